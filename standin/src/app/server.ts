import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import {
  ADVICES_IN_FLIGHT_ROUTE,
  AdvicesInFlightReport,
  CardAuthorisationRequest,
  CardAuthorisationResponse,
  CardReversalRequest,
  CardReversalResponse,
  FasterPaymentInboundCredit,
  FasterPaymentResponse,
  onStandin,
  safeParseContract,
  AdviceLogQuery,
  UNSTORABLE_TEXT,
  UserId,
  StatusResponse,
  withoutCardNumbers,
  type ConfigurationDocument,
  type ServiceIdentity,
} from '@bank/shared-contracts';
import type { Database } from '../store/database';
import type { CardDesk } from '../payments/card-desk';
import type { FasterPaymentsDesk } from '../payments/faster-payments-desk';
import type { StandinCardKeys } from '../cards/card-numbers';
import { AppRefusal, appRoutes } from './app-routes';
import { currentSyncState } from '../views/sync-state';
import { incidentRoutes } from '../incidents/incident-routes';
import { cardViewRoutes } from '../cards/card-view-routes';
import { reconciliationRoutes } from '../advices/reconciliation-results';
import { formatErrorAnswer, isDataException, unstorableFields } from '../payments/format-error';
import { configurationRoutes } from '../configuration/configuration-routes';
import { standinCallerOf, standinCredentials, type StandinCredentials } from './credentials';
import { customerRateLimit, DEFAULT_STANDIN_RATE_LIMITS, type StandinRateLimits } from './rate-limits';
import { tokenOf } from './call-guard';
import { enforceCallMap } from './call-guard';
import { customerOfToken } from './customers';
import { currentConfiguration } from '../configuration/configuration-store';
import type { Operators } from '../configuration/operators';
import { shadowRoutes } from '../shadow/shadow-routes';
import { autopilotRoutes } from '../autopilot/autopilot-routes';
import type { Latest } from '../autopilot/autopilot-loop';
import { advicesInFlightReport, inFlightTotals } from '../advices/advices-in-flight';
import { healthRoutes } from './health-routes';
import { allowAppOrigins } from './cors';
import { afterApiDocs, BEARER, ERROR_RESPONSES, ErrorEnvelope, INTERNAL_TAG, installApiDocs, OPERATIONS_TAG, SCHEME_TAG, APP_TAG } from './api-docs';

// Stand-in's HTTP face. The scheme routes have primary's paths and messages, so the gateway or
// primary can send a payment message here unchanged.

export interface StandinServerDependencies {
  readonly database: Database;
  readonly logger: Logger;
  readonly cards: CardDesk;
  readonly fasterPayments: FasterPaymentsDesk;
  readonly now: () => Date;
  readonly keys: Pick<StandinCardKeys, 'lookupKey'>;
  /** Each service identity's credentials stand-in accepts (two during a rotation): primary, the gateway, the advice consumer. */
  readonly services: Readonly<Partial<Record<ServiceIdentity, readonly string[]>>>;
  /** Incident engineers allowed to change the configuration. */
  readonly operators: Operators;
  /** Told of every configuration document that becomes current through this API. */
  readonly onConfiguration?: (document: ConfigurationDocument) => void;
  /** Serve the API reference's browser at /docs (local mode only, never production). The OpenAPI document (`server.swagger()`) is always built. */
  readonly serveApiDocs?: boolean;
  /** The app API's limit per customer (STANDIN_RATE_LIMIT_CUSTOMER_PER_MINUTE); none: DEFAULT_STANDIN_RATE_LIMITS. */
  readonly rateLimits?: StandinRateLimits;
  /** APP_ORIGINS: the browser app's origins, given CORS answers; none: no CORS header at all. */
  readonly appOrigins?: readonly string[];
  /** Where /metrics reads from; main.ts passes the one its card desk's metrics are registered in. */
  readonly registry?: Registry;
  /** This replica's autopilot (its newest sample and decision, for GET /autopilot); none: the route shows settings and actions only. */
  readonly autopilot?: { latest(): Latest | undefined };
}

const StatusQuery = z.object({ user: UserId.optional() });
const Health = z.object({ status: z.literal('ok') });

/** Every 4xx and 5xx body: the documented envelope, with no card number of the caller's echoed back (a URL, an unknown key). */
function refusal(code: string, message: string, issues?: { path: string; message: string }[]) {
  return { error: { code, message: withoutCardNumbers(message), ...(issues ? { issues } : {}) } };
}

class BadMessage extends Error {
  constructor(readonly body: ReturnType<typeof refusal>) {
    super(body.error.message);
  }
}

function read<T>(what: string, schema: z.ZodType<T>, input: unknown): T {
  const parsed = safeParseContract(what, schema, input);
  if (!parsed.ok) throw new BadMessage(refusal('STANDIN_INVALID_MESSAGE', parsed.error.message, [...parsed.error.issues]));
  return parsed.value;
}

/**
 * What fails before a route runs gets the envelope too: a URL that cannot be decoded or whose
 * path parameter is past the router's limit (fastify's frameworkErrors), headers too large or a
 * request that is not HTTP (the server's clientError, answered on the raw socket).
 */
const boundaryErrors: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
  frameworkErrors(failure, _request, reply) {
    const status = failure.statusCode ?? 400;
    void (reply as FastifyReply).code(status).send(refusal(status === 414 ? 'STANDIN_PATH_TOO_LONG' : 'STANDIN_BAD_URL', failure.message));
  },
  clientErrorHandler(failure: Error & { code?: string }, socket: Socket) {
    if (failure.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, body] =
      failure.code === 'HPE_HEADER_OVERFLOW'
        ? [431, refusal('STANDIN_HEADERS_TOO_LARGE', 'the request headers are larger than stand-in accepts')]
        : failure.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, refusal('STANDIN_REQUEST_TIMEOUT', 'the request did not arrive in time')]
          : [400, refusal('STANDIN_BAD_REQUEST', 'the request is not valid HTTP')];
    const text = JSON.stringify(body);
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`,
      );
    socket.destroy(failure);
  },
};

export function createStandinServer(deps: StandinServerDependencies): FastifyInstance {
  const registry = deps.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'standin_' });
  const decisions = new Counter({
    name: 'standin_card_decisions_total',
    help: 'Stand-in card decisions by response code',
    labelNames: ['response_code'],
    registers: [registry],
  });

  const server: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ...boundaryErrors,
  });
  server.setErrorHandler((failure, request, reply) => {
    if (failure instanceof BadMessage) return reply.code(400).send(failure.body);
    if (failure instanceof AppRefusal) return reply.code(failure.statusCode).send(refusal(failure.code, failure.message));
    const status = (failure as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send(refusal('STANDIN_BAD_REQUEST', (failure as Error).message));
    request.log.error({ err: failure }, 'stand-in failed a request');
    return reply.code(500).send(refusal('STANDIN_INTERNAL', 'stand-in could not handle this message; resend it'));
  });
  server.setNotFoundHandler((request, reply) =>
    reply.code(404).send(refusal('STANDIN_NO_ROUTE', `stand-in has no ${request.method} ${request.url.split('?')[0]}`)),
  );
  // Before any route: each is checked against the call map as it is added, the API browser's too.
  const credentials = standinCredentials({ operators: deps.operators, services: deps.services });
  enforceCallMap(server, {
    credentialOf: (token) => {
      const credential = credentials.whoIs(token);
      return credential && standinCallerOf(credential);
    },
    customerHolds: async (token) => (await customerOfToken(deps.database, token, deps.now())) !== undefined,
    customerLimit: customerRateLimit(server, deps.rateLimits ?? DEFAULT_STANDIN_RATE_LIMITS),
  });
  // After the call map's hook (which checks the preflight route too), before the routes.
  allowAppOrigins(server, deps.appOrigins ?? []);
  installApiDocs(server, {
    title: 'Stand-in platform',
    description:
      'The independently written minimal bank that takes over when primary cannot: the scheme API (the same paths and messages as primary\'s), a limited app API (the customer\'s primary token), the configuration API, shadow decisioning and operations. Errors are `{"error":{"code","message","issues"?}}`, 4xx for the caller\'s mistakes.',
    version: '0.1.0',
    serve: deps.serveApiDocs ?? false,
  });
  afterApiDocs(server, (server) => standinRoutes(server, deps, credentials, decisions, registry));
  return server;
}

function standinRoutes(
  server: FastifyInstance,
  deps: StandinServerDependencies,
  credentials: StandinCredentials,
  decisions: Counter,
  registry: Registry,
): void {
  server.post(
    '/scheme/card/authorisations',
    {
      schema: {
        summary: 'A card authorisation (0100): answered with an ISO 8583 response code',
        tags: [SCHEME_TAG],
        body: CardAuthorisationRequest,
        response: { 200: CardAuthorisationResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const parsed = safeParseContract('card authorisation request', CardAuthorisationRequest, request.body);
      let answer: CardAuthorisationResponse | undefined;
      if (!parsed.ok) {
        const fields = unstorableFields(parsed.error.issues);
        answer = fields.length ? formatErrorAnswer(request.body, `format error: ${fields.join(', ')}: ${UNSTORABLE_TEXT}`) : undefined;
        if (!answer) throw new BadMessage(refusal('STANDIN_INVALID_MESSAGE', parsed.error.message, [...parsed.error.issues]));
      } else {
        try {
          answer = await deps.cards.authorise(parsed.value);
        } catch (failure) {
          answer = isDataException(failure) ? formatErrorAnswer(parsed.value, 'format error: the message holds a value stand-in cannot store') : undefined;
          if (!answer) throw failure;
          request.log.warn({ err: failure }, 'card message holds a value the database refuses: answered 30 (format error)');
        }
      }
      decisions.inc({ response_code: answer.responseCode });
      return answer;
    },
  );
  server.post(
    '/scheme/card/reversals',
    {
      schema: { summary: 'A card reversal (0420)', tags: [SCHEME_TAG], body: CardReversalRequest, response: { 200: CardReversalResponse, ...ERROR_RESPONSES } },
    },
    async (request) => deps.cards.reverse(read('card reversal request', CardReversalRequest, request.body)),
  );
  server.post(
    '/scheme/faster-payments/inbound',
    {
      schema: {
        summary: 'An inbound Faster Payments credit (one answer per fpsId)',
        tags: [SCHEME_TAG],
        body: FasterPaymentInboundCredit,
        response: { 200: FasterPaymentResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => deps.fasterPayments.receive(read('Faster Payments inbound credit', FasterPaymentInboundCredit, request.body)),
  );

  appRoutes(server, { database: deps.database, keys: deps.keys, now: deps.now, parse: read });
  configurationRoutes(server, {
    database: deps.database,
    operators: deps.operators,
    credentials,
    now: deps.now,
    parse: read,
    ...(deps.onConfiguration ? { onCurrent: deps.onConfiguration } : {}),
  });
  incidentRoutes(server, { database: deps.database, now: deps.now, parse: read });
  cardViewRoutes(server, { database: deps.database, keys: deps.keys, parse: read });
  reconciliationRoutes(server, { database: deps.database, now: deps.now, parse: read });
  autopilotRoutes(server, {
    database: deps.database,
    operators: deps.operators,
    now: deps.now,
    parse: read,
    ...(deps.autopilot ? { latest: () => deps.autopilot?.latest() } : {}),
  });
  shadowRoutes(server, {
    database: deps.database,
    cards: deps.cards,
    credentials,
    operators: deps.operators,
    now: deps.now,
    parse: read,
  });

  // Stand-in's advice log, the truth that reconciliation compares primary with.
  server.get(
    '/internal/advices',
    {
      schema: {
        summary: "Stand-in's advice log, in pages (?limit, ?after: the previous page's next; the advice consumer's credential)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      // Compared in constant time like every credential (the call guard has checked it too).
      const credential = credentials.whoIs(tokenOf(request));
      if (!credential || !('service' in credential) || credential.service !== 'advice-consumer')
        throw new AppRefusal(401, 'STANDIN_UNAUTHENTICATED', "the advice log is the advice consumer's: Authorization: Bearer <ADVICE_CONSUMER_TOKEN>");
      const query = read('advice log query', AdviceLogQuery, request.query);
      // The re-drive's candidates are the advices not yet seen applied (an index keeps them apart
      // from every advice ever made), so its pass costs what is in flight, not the whole log.
      if (query.unseenAppliedBefore !== undefined) {
        const { rows } = await deps.database.query<{ advice: unknown }>(
          `select advice from advices where applied_seen_at is null and created_at <= $1
          order by account_id, sequence limit $2`,
          [query.unseenAppliedBefore, query.limit],
        );
        return { advices: rows.map((row) => row.advice) };
      }
      // The whole log, a page at a time (keyset on the unique (account_id, sequence)): no answer
      // grows with the log, and a page costs the same however far into it.
      // Narrowed to some accounts when asked (reconciling a few accounts reads theirs only).
      const [afterAccount, afterSequence] = query.after === undefined ? [null, null] : query.after.split(':');
      const { rows } = await deps.database.query<{ advice: unknown; account_id: string; sequence: number }>(
        `select advice, account_id, sequence from advices
        where ($1::uuid is null or (account_id, sequence) > ($1::uuid, $2::int)) and ($4::uuid[] is null or account_id = any($4::uuid[]))
        order by account_id, sequence limit $3`,
        [afterAccount, afterSequence === null ? null : Number(afterSequence), query.limit, query.accounts ?? null],
      );
      const last = rows.at(-1);
      return {
        advices: rows.map((row) => row.advice),
        ...(rows.length === query.limit && last ? { next: `${last.account_id}:${last.sequence}` } : {}),
      };
    },
  );

  // Per user, which advices primary has not applied yet: what the CLI checks before it moves
  // users back to primary. Operators only: it names customers.
  server.get(
    ADVICES_IN_FLIGHT_ROUTE,
    {
      schema: {
        summary: 'Per user, the advices primary has not applied yet (operator)',
        tags: [INTERNAL_TAG],
        security: BEARER,
        response: { 200: AdvicesInFlightReport, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<AdvicesInFlightReport> => {
      const token = request.headers.authorization?.startsWith('Bearer ') ? request.headers.authorization.slice(7).trim() : undefined;
      if (!deps.operators.identify(token)) {
        throw new AppRefusal(401, 'STANDIN_OPERATOR_TOKEN_REQUIRED', 'the advices in flight are for operators: Authorization: Bearer <operator token>');
      }
      return advicesInFlightReport(deps.database, deps.now());
    },
  );
  const inFlight = inFlightTotals(deps.database, deps.now);

  server.get(
    '/health',
    { schema: { summary: 'Is stand-in up? (its database answers)', tags: [OPERATIONS_TAG], response: { 200: Health, '5xx': ErrorEnvelope } } },
    async () => {
      await deps.database.query('select 1');
      return { status: 'ok' };
    },
  );
  healthRoutes(server, { database: deps.database });
  server.get('/metrics', { schema: { summary: 'Prometheus metrics (text exposition format)', tags: [OPERATIONS_TAG] } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  // What an app polls: which experience to show this user and which platform to call. The answer
  // comes from the configuration alone, so it matches primary's once the two agree.
  server.get(
    '/status',
    {
      schema: {
        summary: "Which experience and platform this user's app should use; sync lag, advice backlog, advices in flight",
        tags: [APP_TAG],
        querystring: StatusQuery,
        response: { 200: StatusResponse, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<StatusResponse> => {
      const raw = (request.query as { user?: unknown }).user;
      const user = raw === undefined ? undefined : read('status query user', UserId, raw);
      const configuration = await currentConfiguration(deps.database);
      // The app's own targeting, or today's always-on cohort.
      const standin = onStandin(configuration, 'app', user, deps.now());
      const lag = await currentSyncState(deps.database, deps.now());
      const backlog = (await deps.database.query<{ count: string }>('select count(*) from advices where published_at is null')).rows[0];
      return {
        platform: 'standin',
        configurationVersion: configuration.version,
        ...(user === undefined ? {} : { user }),
        experience: standin ? 'standin' : 'full',
        talkTo: standin ? 'standin' : 'primary',
        checkedAt: deps.now().toISOString(),
        ...(lag ? { sync: { lagMs: lag.lagMs, alerting: lag.alerting } } : {}),
        adviceBacklog: Number(backlog?.count ?? 0),
        advicesInFlight: await inFlight(),
      };
    },
  );
}
