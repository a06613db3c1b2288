import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import {
  ADVICES_IN_FLIGHT_ROUTE,
  CardAuthorisationRequest,
  CardReversalRequest,
  FasterPaymentInboundCredit,
  onStandin,
  safeParseContract,
  UserId,
  type AdvicesInFlightReport,
  type ConfigurationDocument,
  type StatusResponse,
} from '@bank/shared-contracts';
import type { Database } from '../store/database';
import type { CardDesk } from '../payments/card-desk';
import type { FasterPaymentsDesk } from '../payments/faster-payments-desk';
import type { StandinCardKeys } from '../cards/card-numbers';
import { AppRefusal, appRoutes } from './app-routes';
import { configurationRoutes } from '../configuration/configuration-routes';
import { currentConfiguration } from '../configuration/configuration-store';
import type { Operators } from '../configuration/operators';
import { shadowRoutes } from '../shadow/shadow-routes';
import { advicesInFlightReport, inFlightTotals } from '../advices/advices-in-flight';

// Stand-in's HTTP face. The scheme routes have primary's paths and messages, so the gateway or
// primary can send a payment message here unchanged.

export interface StandinServerDependencies {
  readonly database: Database;
  readonly logger: Logger;
  readonly cards: CardDesk;
  readonly fasterPayments: FasterPaymentsDesk;
  readonly now: () => Date;
  readonly keys: Pick<StandinCardKeys, 'lookupKey'>;
  /** Operators' and reconciliation's token for stand-in's internal API. */
  readonly internalToken: string;
  /** Incident engineers allowed to change the configuration. */
  readonly operators: Operators;
  /** Told of every configuration document that becomes current through this API. */
  readonly onConfiguration?: (document: ConfigurationDocument) => void;
}

class BadMessage extends Error {
  constructor(readonly body: { error: { code: string; message: string; issues: { path: string; message: string }[] } }) {
    super(body.error.message);
  }
}

function read<T>(what: string, schema: z.ZodType<T>, input: unknown): T {
  const parsed = safeParseContract(what, schema, input);
  if (!parsed.ok) throw new BadMessage({ error: { code: 'STANDIN_INVALID_MESSAGE', message: parsed.error.message, issues: [...parsed.error.issues] } });
  return parsed.value;
}

export function createStandinServer(deps: StandinServerDependencies): FastifyInstance {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'standin_' });
  const decisions = new Counter({ name: 'standin_card_decisions_total', help: 'Stand-in card decisions by response code', labelNames: ['response_code'], registers: [registry] });

  const server: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  server.setErrorHandler((failure, request, reply) => {
    if (failure instanceof BadMessage) return reply.code(400).send(failure.body);
    if (failure instanceof AppRefusal) return reply.code(failure.statusCode).send({ error: { code: failure.code, message: failure.message } });
    const status = (failure as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return reply.code(status).send({ error: { code: 'STANDIN_BAD_REQUEST', message: (failure as Error).message } });
    request.log.error({ err: failure }, 'stand-in failed a request');
    return reply.code(500).send({ error: { code: 'STANDIN_INTERNAL', message: 'stand-in could not handle this message; resend it' } });
  });
  server.setNotFoundHandler((request, reply) => reply.code(404).send({ error: { code: 'STANDIN_NO_ROUTE', message: `stand-in has no ${request.method} ${request.url.split('?')[0]}` } }));

  server.post('/scheme/card/authorisations', async (request) => {
    const answer = await deps.cards.authorise(read('card authorisation request', CardAuthorisationRequest, request.body));
    decisions.inc({ response_code: answer.responseCode });
    return answer;
  });
  server.post('/scheme/card/reversals', async (request) => deps.cards.reverse(read('card reversal request', CardReversalRequest, request.body)));
  server.post('/scheme/faster-payments/inbound', async (request) => deps.fasterPayments.receive(read('Faster Payments inbound credit', FasterPaymentInboundCredit, request.body)));

  appRoutes(server, { database: deps.database, keys: deps.keys, now: deps.now, parse: read });
  configurationRoutes(server, {
    database: deps.database,
    operators: deps.operators,
    internalToken: deps.internalToken,
    now: deps.now,
    parse: read,
    ...(deps.onConfiguration ? { onCurrent: deps.onConfiguration } : {}),
  });
  shadowRoutes(server, { database: deps.database, cards: deps.cards, internalToken: deps.internalToken, operators: deps.operators, now: deps.now, parse: read });

  // Stand-in's advice log, the truth that reconciliation compares primary with.
  server.get('/internal/advices', async (request) => {
    if (request.headers.authorization !== `Bearer ${deps.internalToken}`) throw new AppRefusal(401, 'STANDIN_UNAUTHENTICATED', 'the internal API needs the internal token');
    const { rows } = await deps.database.query<{ advice: unknown }>('select advice from advices order by account_id, sequence');
    return { advices: rows.map((row) => row.advice) };
  });

  // Per user, which advices primary has not applied yet: what the CLI checks before it moves
  // users back to primary. Operators only: it names customers.
  server.get(ADVICES_IN_FLIGHT_ROUTE, async (request): Promise<AdvicesInFlightReport> => {
    const token = request.headers.authorization?.startsWith('Bearer ') ? request.headers.authorization.slice(7).trim() : undefined;
    if (!deps.operators.identify(token)) {
      throw new AppRefusal(401, 'STANDIN_OPERATOR_TOKEN_REQUIRED', 'the advices in flight are for operators: Authorization: Bearer <operator token>');
    }
    return advicesInFlightReport(deps.database, deps.now());
  });
  const inFlight = inFlightTotals(deps.database, deps.now);

  server.get('/health', async () => {
    await deps.database.query('select 1');
    return { status: 'ok' };
  });
  server.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  // What an app polls: which experience to show this user and which platform to call. The answer
  // comes from the configuration alone, so it matches primary's once the two agree.
  server.get('/status', async (request): Promise<StatusResponse> => {
    const raw = (request.query as { user?: unknown }).user;
    const user = raw === undefined ? undefined : read('status query user', UserId, raw);
    const configuration = await currentConfiguration(deps.database);
    // The app's own targeting, or today's always-on cohort.
    const standin = onStandin(configuration, 'app', user, deps.now());
    const lag = (await deps.database.query<{ lag_ms: number; alerting: boolean }>('select lag_ms, alerting from sync_lag')).rows[0];
    const backlog = (await deps.database.query<{ count: string }>('select count(*) from advices where published_at is null')).rows[0];
    return {
      platform: 'standin',
      configurationVersion: configuration.version,
      ...(user === undefined ? {} : { user }),
      experience: standin ? 'standin' : 'full',
      talkTo: standin ? 'standin' : 'primary',
      checkedAt: deps.now().toISOString(),
      ...(lag ? { sync: { lagMs: lag.lag_ms, alerting: lag.alerting } } : {}),
      adviceBacklog: Number(backlog?.count ?? 0),
      advicesInFlight: await inFlight(),
    };
  });
  return server;
}
