import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Advice, QuarantinedAdvice, Readiness } from '@bank/shared-contracts';
import type { OperatorOf } from '@bank/shared-contracts';
import { reconcile, type AppliedAdvice, type ReconciliationReport } from './reconciliation';

// The advice consumer's HTTP API: health, metrics, and the reconciliation report (and re-drive)
// for operators, the same as `npm run reconcile`. Every error, fastify's own included, answers
// with the documented envelope {"error":{"code","message"}} and never with internals.

export const ACCOUNT_ID_MAX_LENGTH = 200;
export const ACCOUNT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACCOUNTS_MAX = 10_000;

export class AdviceConsumerHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One place for every error body this service sends. */
function envelope(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function send(reply: FastifyReply, statusCode: number, code: string, message: string): FastifyReply {
  return reply.code(statusCode).type('application/json; charset=utf-8').send(envelope(code, message));
}

/**
 * `?accounts=a,b`, `?accounts=a&accounts=b` or both: the accounts an incident's report is narrowed
 * to, or undefined for all. Anything else in the query is refused, so a misspelt parameter does not
 * silently widen the report to every account.
 */
export function parseAccountsQuery(query: unknown): Set<string> | undefined {
  const entries = Object.entries((query ?? {}) as Record<string, unknown>);
  const unknown = entries.map(([name]) => name).filter((name) => name !== 'accounts');
  if (unknown.length > 0)
    throw new AdviceConsumerHttpError(
      400,
      'ADVICE_CONSUMER_INVALID_QUERY',
      `unknown query parameter ${unknown.map((name) => `"${name.slice(0, 40)}"`).join(', ')}; the only one is accounts`,
    );
  const raw = entries.find(([name]) => name === 'accounts')?.[1];
  if (raw === undefined) return undefined;
  const values = Array.isArray(raw) ? raw : [raw];
  if (!values.every((value): value is string => typeof value === 'string'))
    throw new AdviceConsumerHttpError(400, 'ADVICE_CONSUMER_INVALID_QUERY', 'accounts: expected account ids, comma-separated or repeated');
  const ids = values
    .flatMap((value) => value.split(','))
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  if (ids.length === 0) throw new AdviceConsumerHttpError(400, 'ADVICE_CONSUMER_INVALID_QUERY', 'accounts: expected at least one account id');
  // Checked here, so a typo is the caller's 400 and not an upstream's refusal reported as a 502.
  const malformed = ids.find((id) => !ACCOUNT_ID.test(id));
  if (malformed !== undefined)
    throw new AdviceConsumerHttpError(400, 'ADVICE_CONSUMER_INVALID_QUERY', `accounts: "${malformed.slice(0, 40)}" is not an account id (a UUID)`);
  if (ids.length > ACCOUNTS_MAX)
    throw new AdviceConsumerHttpError(400, 'ADVICE_CONSUMER_INVALID_QUERY', `accounts: at most ${ACCOUNTS_MAX} account ids, got ${ids.length}`);
  const tooLong = ids.find((id) => id.length > ACCOUNT_ID_MAX_LENGTH);
  if (tooLong)
    throw new AdviceConsumerHttpError(
      400,
      'ADVICE_CONSUMER_INVALID_QUERY',
      `accounts: an account id is at most ${ACCOUNT_ID_MAX_LENGTH} characters, got one of ${tooLong.length}`,
    );
  return new Set(ids);
}

export interface AdviceConsumerServerDeps {
  readonly health: () => { status: string };
  /** /health/ready: its dependencies answer (always ready when not given). */
  readonly ready?: () => Promise<Readiness>;
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  /** Stand-in's advice log (the truth) and what primary has applied: only these accounts' when given. */
  readonly standinLog: (accounts?: readonly string[]) => Promise<Advice[]>;
  readonly primaryApplied: (accounts?: readonly string[]) => Promise<AppliedAdvice[]>;
  /** The advices primary quarantined; none when not given. */
  readonly primaryQuarantined?: () => Promise<QuarantinedAdvice[]>;
  readonly redrive: (report: ReconciliationReport, log: Advice[]) => Promise<unknown>;
  /** The operator a bearer token belongs to: the report names customers' accounts and the re-drive moves money. */
  readonly operatorOf: OperatorOf;
  readonly log?: { error: (details: object, message: string) => void };
}

/** A dependency of the report that could not be read: a 502 naming it, without its internals. */
async function fromUpstream<T>(name: string, read: () => Promise<T>, deps: AdviceConsumerServerDeps): Promise<T> {
  try {
    return await read();
  } catch (error) {
    deps.log?.error({ err: error }, `${name} could not be read for the reconciliation report`);
    throw new AdviceConsumerHttpError(502, 'ADVICE_CONSUMER_UPSTREAM_UNAVAILABLE', `${name} could not be read; try again`);
  }
}

export function buildAdviceConsumerServer(deps: AdviceConsumerServerDeps): FastifyInstance {
  const server = Fastify({
    logger: false,
    // fastify's own refusals before routing (a URL that is not valid percent-encoding, an over-long path parameter).
    frameworkErrors: (error, _request, reply) => {
      // fastify expects nothing back here: the reply is sent, not awaited.
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') void send(reply, 414, 'ADVICE_CONSUMER_URI_TOO_LONG', 'a path parameter is longer than allowed');
      else if (error.code === 'FST_ERR_BAD_URL') void send(reply, 400, 'ADVICE_CONSUMER_BAD_URL', 'the URL is not valid percent-encoding');
      else void send(reply, 400, 'ADVICE_CONSUMER_BAD_REQUEST', 'the request could not be routed');
    },
    // Refusals by Node's HTTP parser, before fastify sees a request (headers too large, malformed requests).
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, reason, code, message] =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'ADVICE_CONSUMER_HEADERS_TOO_LARGE', 'the request line and headers are larger than allowed']
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', 'ADVICE_CONSUMER_REQUEST_TIMEOUT', 'the request did not arrive in time']
            : [400, 'Bad Request', 'ADVICE_CONSUMER_MALFORMED_REQUEST', 'the request is not well-formed HTTP'];
      const body = envelope(code, message);
      if (socket.writable)
        socket.write(
          `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
        );
      socket.destroy();
    },
  });
  server.setNotFoundHandler((request, reply) =>
    send(reply, 404, 'ADVICE_CONSUMER_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`),
  );
  server.setErrorHandler((error: FastifyError | AdviceConsumerHttpError, _request, reply) => {
    if (error instanceof AdviceConsumerHttpError) return send(reply, error.statusCode, error.code, error.message);
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // fastify's own 4xx: malformed JSON, body too large, unsupported media type.
      return send(reply, error.statusCode, 'ADVICE_CONSUMER_BAD_REQUEST', error.message);
    }
    deps.log?.error({ err: error }, "unhandled error in the advice consumer's API");
    return send(reply, 500, 'ADVICE_CONSUMER_INTERNAL', 'internal error; the request may be retried');
  });

  server.get('/health', async () => deps.health());
  server.get('/health/live', async () => ({ status: 'live' }));
  server.get('/health/ready', async (_request, reply) => {
    const readiness = (await deps.ready?.()) ?? { status: 'ready', checks: {} };
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });
  server.get('/metrics', async (_request, reply) => {
    const metrics = await deps.metrics();
    return reply.type(metrics.contentType).send(metrics.body);
  });
  // A report for some accounts reads only theirs from both platforms (with 100,000 advices in the
  // log, reading all of it for each request of 200 accounts took past the 30 s a request may).
  const scoped = (query: unknown) => {
    const accounts = parseAccountsQuery(query);
    const ids = accounts ? [...accounts] : undefined;
    return {
      standinLog: () => fromUpstream("stand-in's advice log", () => deps.standinLog(ids), deps),
      primaryApplied: () => fromUpstream("primary's applied advices", () => deps.primaryApplied(ids), deps),
      // Primary lists its quarantined advices whole (at most 10,000): narrowed here.
      primaryQuarantined: async () => {
        const all = await fromUpstream("primary's quarantined advices", deps.primaryQuarantined ?? (async () => []), deps);
        return accounts ? all.filter((row) => accounts.has(row.accountId)) : all;
      },
    };
  };
  // The call map of this service: /health and /metrics for anyone; the report and the re-drive for operators only.
  const operatorOnly = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!deps.operatorOf(token))
      throw new AdviceConsumerHttpError(
        401,
        'ADVICE_CONSUMER_UNAUTHENTICATED',
        'the reconciliation is for operators: send Authorization: Bearer <operator token>',
      );
  };
  server.get('/internal/reconciliation', { onRequest: operatorOnly }, async (request) => {
    const { standinLog, primaryApplied, primaryQuarantined } = scoped(request.query);
    return reconcile(await standinLog(), await primaryApplied(), new Date(), await primaryQuarantined());
  });
  server.post('/internal/reconciliation/redrive', { onRequest: operatorOnly }, async (request) => {
    const { standinLog, primaryApplied, primaryQuarantined } = scoped(request.query);
    const log = await standinLog();
    const redrive = await deps.redrive(reconcile(log, await primaryApplied(), new Date(), await primaryQuarantined()), log);
    return { redrive, report: reconcile(log, await primaryApplied(), new Date(), await primaryQuarantined()) };
  });
  return server;
}
