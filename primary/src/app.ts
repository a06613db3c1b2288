import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Cache } from './platform/cache';
import { systemClock, type Clock } from './platform/clock';
import type { Db } from './platform/db';
import { errors } from './platform/errors';
import { bearerToken, boundaryErrorOptions, installErrorHandling } from './platform/http';
import type { ServiceIdentity } from '@bank/shared-contracts';
import { callerOf, primaryCredentials } from './platform/credentials';
import { allowedCallers } from './platform/call-map';
import type { PrimaryMetrics } from './platform/metrics';
import { createLedger } from './ledger/ledger';
import { createAccountsService } from './accounts/accounts-service';
import { accountsRoutes, customerAuthentication } from './accounts/routes';
import { tokenRoutes } from './accounts/token-routes';
import { DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER, streamSlots } from './notifications/stream-limit';
import { arrangedOverdraftRoutes, createArrangedOverdrafts } from './accounts/arranged-overdraft';
import { createCardsService } from './cards/cards-service';
import type { PanKeys } from './cards/pan-crypto';
import { cardsRoutes } from './cards/routes';
import { createFeedService } from './feed/feed-service';
import { feedRoutes } from './feed/routes';
import { createCardProcessor } from './card-processor/card-processor';
import { schemeCardRoutes } from './card-processor/routes';
import { createInboundFasterPayments } from './transfers/inbound-faster-payments';
import { schemeFasterPaymentRoutes, transferRoutes } from './transfers/routes';
import { createTransfersService } from './transfers/transfers-service';
import type { FasterPaymentsScheme } from './transfers/faster-payments-scheme';
import { createPotsService } from './pots/pots-service';
import { potsRoutes } from './pots/routes';
import { createPayeesService } from './payees/payees-service';
import { payeesRoutes } from './payees/routes';
import { createNotificationsService } from './notifications/notifications-service';
import { notificationsRoutes } from './notifications/routes';
import { createAdviceApplier } from './advices/advice-applier';
import { adviceRoutes } from './advices/routes';
import { createConfigurationStore } from './configuration/configuration-store';
import { createConfigurationCache } from './configuration/configuration-cache';
import type { Operator } from './configuration/operators';
import { configurationRoutes, statusRoutes } from './configuration/routes';
import { createPaymentRouter } from './routing/payment-router';
import { paymentOwners } from './routing/payment-owners';
import { noStandinProxy, type StandinProxy } from './routing/standin-proxy';
import { startLateApprovalReversals, type TimeoutReversals } from './routing/timeout-reversals';
import type { ShadowSender } from './shadow/shadow-sender';
import { primaryHoldsAuthorisation } from './card-processor/routes';
import { afterApiDocs, installApiDocs } from './platform/api-docs';
import { operationsRoutes } from './platform/operations-routes';
import { installCallGuard } from './platform/call-guard';
import { installCors } from './platform/cors';
import { DEFAULT_RATE_LIMITS, installRateLimits, type RateLimits } from './platform/rate-limits';

export interface PrimaryDependencies {
  readonly db: Db;
  /** The card authorisation path's own pool (PRIMARY_CARD_POOL_SIZE, statement_timeout the card budget); none: `db`. */
  readonly cardDb?: Db;
  readonly clock: Clock;
  readonly keys: PanKeys;
  /** Each service identity's credentials primary accepts (two during a rotation): the gateway, stand-in, the advice consumer, the card manufacturer, onboarding. */
  readonly services: Readonly<Partial<Record<ServiceIdentity, readonly string[]>>>;
  readonly logger: Logger;
  readonly metrics: PrimaryMetrics;
  readonly fasterPaymentsScheme: FasterPaymentsScheme;
  /** Best effort only: see platform/cache.ts. */
  readonly cache: Cache;
  /** Incident engineers who may change the stand-in configuration (OPERATOR_TOKENS). None: nobody can change it. */
  readonly operators?: readonly Operator[];
  /** Where payments routed to stand-in go. None (tests that never route): a routed payment gets the not-answered fallback. */
  readonly standin?: StandinProxy;
  /** Reverses at stand-in what it did not answer in time (started by main.ts). None: nothing is reversed. */
  readonly timeoutReversals?: TimeoutReversals;
  /** Copies sampled card decisions to stand-in after answering (started by main.ts). None: nothing is shadowed, whatever the configuration says. */
  readonly shadow?: Pick<ShadowSender, 'offer'>;
  /** See CLEARING_MATCH_WAIT_MS; none: clearings are never sent back (they post at once, as before). */
  readonly clearingMatchWaitMs?: number;
  /** PRIMARY_CARD_BUDGET_MS: the longest primary takes over a card message; none: DEFAULT_CARD_BUDGET_MS. */
  readonly cardBudgetMs?: number;
  /** Limits on the app API per customer and on account opening (Redis-shared in main.ts); none: DEFAULT_RATE_LIMITS, in memory. */
  readonly rateLimits?: RateLimits;
  /** PRIMARY_CUSTOMER_TOKEN_TTL_DAYS: how long an app token is accepted; none: DEFAULT_CUSTOMER_TOKEN_TTL_DAYS. */
  readonly customerTokenTtlDays?: number;
  /** PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER: open notification streams a customer may hold at once; none: DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER. */
  readonly notificationStreamsPerCustomer?: number;
  /** APP_ORIGINS: the browser app's origins, answered with CORS headers; none: no CORS at all. */
  readonly appOrigins?: readonly string[];
  /** Serve the API reference's browser at /docs (local mode only, never production). The OpenAPI document (`app.swagger()`) is always built. */
  readonly serveApiDocs?: boolean;
}

/** Wires primary's services together and serves their routes. Nothing is started here. */
export function buildPrimary(deps: PrimaryDependencies): { app: FastifyInstance; services: ReturnType<typeof createServices> } {
  const services = createServices(deps);
  // No per-request log lines: the card path is hot, and /metrics has the latency histogram.
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ...boundaryErrorOptions,
  });
  installErrorHandling(app);
  // First, so every route (the API browser's too) is checked against the call map as it is added.
  const credentials = primaryCredentials({ operators: deps.operators ?? [], services: deps.services });
  const identify = (token: string) => {
    const credential = credentials.identify(token);
    return credential && callerOf(credential);
  };
  installCallGuard(app, {
    identify,
    isCustomer: async (token) => (await services.accounts.customerForToken(token)) !== undefined,
  });
  // After the guard (its onRoute hook checks the preflight route), before every route: an instance
  // hook, so CORS answers preflights and sets its headers before the guard and the limits run.
  installCors(app, deps.appOrigins ?? []);
  // After the guard (an unknown caller is refused without counting), before every route.
  installRateLimits(app, deps.rateLimits ?? DEFAULT_RATE_LIMITS);
  installApiDocs(app, {
    title: 'Primary platform',
    description:
      'The bank\'s system of record: the app API (customer token), the scheme API (the payment networks, through the gateway), the internal API, the configuration API and operations. Errors are `{"error":{"code","message","issues"?}}`, 4xx for the caller\'s mistakes.',
    version: '0.1.0',
    serve: deps.serveApiDocs ?? false,
  });

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  // Primary's own approvals that finish after the card budget (the network heard 91) are reversed here.
  // Its clock schedules retries, it decides nothing: the real one, as every replica's loop must
  // agree when a row is due (a test's fixed clock would never make one due).
  const lateApprovals = startLateApprovalReversals({
    db: deps.db,
    panKey: deps.keys.primary,
    reverse: (reversal) => services.cardProcessor.reverse(reversal),
    clock: systemClock,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  app.addHook('onClose', async () => lateApprovals.stop());

  afterApiDocs(app, (app) => {
    const customer = customerAuthentication(services.accounts);
    // The call guard has already admitted only the identities the call map names for the route;
    // routes that check again in their handler (internal and operations routes) check the same map.
    const internal = (request: FastifyRequest) => {
      const token = bearerToken(request);
      const caller = token === undefined ? undefined : identify(token);
      if (!caller || !allowedCallers(request.method, request.routeOptions.url ?? '')?.includes(caller)) throw errors.unauthenticated();
    };
    const operatorOrInternal = internal;

    accountsRoutes(app, { accounts: services.accounts, customer });
    tokenRoutes(app, { accounts: services.accounts, credentials, customer });
    arrangedOverdraftRoutes(app, { overdrafts: services.arrangedOverdrafts, credentials });
    cardsRoutes(app, { cards: services.cards, accounts: services.accounts, customer, internal });
    feedRoutes(app, { feed: services.feed, accounts: services.accounts, customer });
    schemeCardRoutes(app, {
      processor: services.cardProcessor,
      router: services.router,
      configuration: services.configuration.cache,
      ...(deps.shadow ? { shadow: deps.shadow } : {}),
      ...(deps.cardBudgetMs === undefined ? {} : { budgetMs: deps.cardBudgetMs }),
      lateApprovals,
      ...(deps.timeoutReversals ? { timeoutReversals: deps.timeoutReversals } : {}),
      metrics: deps.metrics,
    });
    schemeFasterPaymentRoutes(app, { inbound: services.inboundFasterPayments, router: services.router });
    transferRoutes(app, { db: deps.db, transfers: services.transfers, accounts: services.accounts, customer, router: services.router });
    potsRoutes(app, { db: deps.db, pots: services.pots, accounts: services.accounts, customer });
    payeesRoutes(app, { payees: services.payees, accounts: services.accounts, customer });
    notificationsRoutes(app, {
      notifications: services.notifications,
      accounts: services.accounts,
      customer,
      streams: streamSlots(deps.notificationStreamsPerCustomer ?? DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER),
    });
    adviceRoutes(app, { applier: services.advices, internal, operatorOrInternal });
    configurationRoutes(app, {
      store: services.configuration.store,
      cache: services.configuration.cache,
      credentials,
    });
    statusRoutes(app, { cache: services.configuration.cache, clock: deps.clock });
    operationsRoutes(app, {
      db: deps.db,
      configuration: services.configuration.cache,
      metrics: deps.metrics,
      quarantinedAdvices: () => services.advices.quarantinedCount(),
      operatorOrInternal,
      ...(deps.timeoutReversals ? { timeoutReversals: deps.timeoutReversals } : {}),
    });
  });
  return { app, services };
}

function createServices(deps: PrimaryDependencies) {
  const { db, clock, keys, metrics } = deps;
  const ledger = createLedger({ clock });
  const accounts = createAccountsService({
    db,
    clock,
    ledger,
    cache: deps.cache,
    logger: deps.logger,
    ...(deps.customerTokenTtlDays === undefined ? {} : { customerTokenTtlDays: deps.customerTokenTtlDays }),
  });
  const arrangedOverdrafts = createArrangedOverdrafts({ db, clock, ledger });
  const cards = createCardsService({ db, clock, keys });
  const feed = createFeedService({ db, clock });
  const cardProcessor = createCardProcessor({
    db,
    authorisationDb: deps.cardDb ?? db,
    clock,
    ledger,
    cards,
    feed,
    metrics,
    clearingMatchWaitMs: deps.clearingMatchWaitMs ?? 0,
  });
  const inboundFasterPayments = createInboundFasterPayments({ db, clock, ledger, accounts, feed });
  const transfers = createTransfersService({ db, clock, ledger, accounts, feed, scheme: deps.fasterPaymentsScheme });
  const pots = createPotsService({ db, clock, ledger, feed });
  const payees = createPayeesService({ db, clock });
  const notifications = createNotificationsService({ db });
  const advices = createAdviceApplier({ db, clock, ledger, accounts, cards, cardProcessor, feed, inboundFasterPayments });
  // Started (refresh, peer sync) by main.ts: an app built here routes with what it is offered.
  const configurationStore = createConfigurationStore({ db, clock });
  const configuration = { store: configurationStore, cache: createConfigurationCache({ store: configurationStore, logger: deps.logger, metrics }) };
  const router = createPaymentRouter({
    configuration: configuration.cache,
    owners: paymentOwners({ db, cards, accounts }),
    primaryHoldsAuthorisation: (key) => primaryHoldsAuthorisation(db, key),
    standin: deps.standin ?? noStandinProxy,
    ...(deps.timeoutReversals ? { timeoutReversals: deps.timeoutReversals } : {}),
    clock,
    metrics,
    logger: deps.logger,
  });
  return {
    ledger,
    accounts,
    arrangedOverdrafts,
    cards,
    feed,
    cardProcessor,
    inboundFasterPayments,
    transfers,
    pots,
    payees,
    notifications,
    advices,
    configuration,
    router,
  };
}
