import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Logger } from 'pino';
import { GATEWAY_PRIMARY_VIEW_ROUTE, GatewayPrimaryView, Liveness, Readiness, withoutCardNumbers } from '@bank/shared-contracts';
import type { PrimaryView } from './primary-view';
import { GATEWAY_ERROR_CODES, GatewayError, gatewayErrors } from './errors';
import type { Dispatch } from './message-dispatch';
import { messageKeyForLogs, readSchemeMessage } from './message-validation';
import type { GatewayMetrics } from './metrics';
import type { Routing } from './routing';
import { SCHEME_MESSAGES } from './scheme-messages';
import type { TimeoutReversals } from './timeout-reversals';
import { afterApiDocs, BEARER, ERROR_RESPONSES, installApiDocs, OPERATIONS_TAG, SCHEME_TAG } from './api-docs';
import { enforceGatewayCallMap } from './call-guard';

/** Scheme messages are a few hundred bytes; anything near this is not one. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Enough of a path to recognise it in an error message; a long one is cut, digit runs like a card number are masked. */
const PATH_SHOWN_CHARACTERS = 100;

export function pathForMessage(url: string): string {
  const path = withoutCardNumbers(url.split('?')[0] ?? '');
  return path.length > PATH_SHOWN_CHARACTERS ? `${path.slice(0, PATH_SHOWN_CHARACTERS)}... (${path.length} characters)` : path;
}

const CLIENT_ERRORS: Record<string, { status: number; label: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    label: 'Request Header Fields Too Large',
    code: GATEWAY_ERROR_CODES.headersTooLarge,
    message: 'the request headers are too large: send a scheme message with ordinary headers',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    label: 'Request Timeout',
    code: GATEWAY_ERROR_CODES.requestTimeout,
    message: 'the request did not arrive in time: send it again',
  },
};

/** Answers, on the raw socket, a request Node's HTTP parser refused, in the gateway's error envelope. */
export function writeClientError(failure: NodeJS.ErrnoException, socket: Duplex): void {
  if (failure.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[failure.code ?? ''] ?? {
    status: 400,
    label: 'Bad Request',
    code: GATEWAY_ERROR_CODES.badRequest,
    message: 'the request is not valid HTTP: send one JSON scheme message with content-type application/json',
  };
  const body = JSON.stringify({ error: { code: known.code, message: known.message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${known.label}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(failure);
}

/**
 * The gateway's HTTP face: the platforms' scheme paths, plus /routing, /health and /metrics. It
 * takes the body as raw bytes so what is forwarded is exactly what the network sent.
 */
const Health = z.object({
  status: z.literal('ok'),
  destination: z.enum(['primary', 'standin']).describe('where payment traffic goes now'),
  timeoutReversalsOwed: z.object({ primary: z.number().int(), standin: z.number().int() }),
});

export interface GatewayServerDependencies {
  readonly dispatch: Dispatch;
  readonly routing: Routing;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly reversals: Pick<TimeoutReversals, 'pending'>;
  /** The payment network's credentials (NETWORK_TOKEN, and NETWORK_TOKEN_NEXT during a rotation): the scheme routes are its only. */
  readonly networkCredentials: readonly string[];
  /** Stand-in's credentials: its autopilot reads GET /primary-view. */
  readonly standinCredentials?: readonly string[];
  /** What the gateway sees of primary; none (the reference, tests of other routes): GET /primary-view answers 503. */
  readonly primaryView?: Pick<PrimaryView, 'snapshot'>;
  /** Serve the API reference's browser at /docs (local mode only, never production). The OpenAPI document (`server.swagger()`) is always built. */
  readonly serveApiDocs?: boolean;
}

export function createGatewayServer(deps: GatewayServerDependencies): FastifyInstance {
  const server = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // A URL that is not valid percent-encoding never reaches a route (nor the error handler).
    frameworkErrors: (_error, _request, reply) => {
      const error = gatewayErrors.badUrl();
      void (reply as FastifyReply).code(error.statusCode).send(error.toBody());
    },
    // Refusals before there is a request at all (headers too large, a malformed request line):
    // Node's parser fails and fastify would write its own body; the envelope is the same as ever.
    clientErrorHandler: (failure, socket) => writeClientError(failure as NodeJS.ErrnoException, socket),
  });
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  server.setNotFoundHandler((request, reply) => {
    const error = gatewayErrors.noRoute(request.method, pathForMessage(request.url));
    return reply.code(error.statusCode).send(error.toBody());
  });
  server.setErrorHandler((failure, _request, reply) => {
    if (failure instanceof GatewayError) return reply.code(failure.statusCode).send(failure.toBody());
    const status = (failure as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      // fastify's own refusals (wrong content type, body too large) name no content, only the problem.
      return reply.code(status).send({
        error: {
          code: GATEWAY_ERROR_CODES.badRequest,
          message: `${(failure as Error).message}: send one JSON scheme message with content-type application/json`,
        },
      });
    }
    deps.logger.error({ err: failure }, 'the gateway failed a request');
    return reply.code(500).send({
      error: { code: GATEWAY_ERROR_CODES.internal, message: 'the gateway could not handle this message; it was not answered by a platform' },
      responseCode: '96',
    });
  });

  // Before any route: each is checked against the call map as it is added, the API browser's too.
  enforceGatewayCallMap(server, { networkCredentials: deps.networkCredentials, standinCredentials: deps.standinCredentials ?? [] });
  installApiDocs(server, {
    title: 'Data-centre gateway',
    description:
      'The payment networks\' way in: each scheme message is validated against its contract and forwarded, byte for byte, to primary (or to stand-in under direct connect or failover); the platform\'s status and body come back unchanged. What the gateway answers itself is `{"error":{"code","message","issues"?},"responseCode"?}`.',
    version: '0.1.0',
    serve: deps.serveApiDocs ?? false,
  });
  afterApiDocs(server, (server) => gatewayRoutes(server, deps));
  return server;
}

function gatewayRoutes(server: FastifyInstance, deps: GatewayServerDependencies): void {
  for (const kind of SCHEME_MESSAGES) {
    const schema = {
      summary: `A ${kind.description}, forwarded unchanged to the platform that takes it now (the payment network's credential)`,
      tags: [SCHEME_TAG],
      security: BEARER,
      body: kind.schema,
      response: { 200: kind.answer, ...ERROR_RESPONSES },
    };
    server.post(kind.path, { schema }, async (request, reply) => {
      let message: unknown;
      try {
        message = readSchemeMessage(kind, request.body);
      } catch (error) {
        deps.metrics.messages.inc({ message: kind.name, destination: 'none', outcome: 'invalid' });
        throw error;
      }
      const result = await deps.dispatch(kind, request.body as Buffer, message, messageKeyForLogs(message));
      if (result.kind === 'gateway') {
        return reply.code(result.error.statusCode).header('x-gateway-destination', 'none').send(result.error.toBody());
      }
      const { answer } = result;
      if (answer.retryAfter !== undefined) reply.header('retry-after', answer.retryAfter);
      return reply
        .code(answer.status)
        .header('content-type', answer.contentType ?? 'application/json')
        .header('x-gateway-destination', answer.platform)
        .send(answer.body);
    });
  }

  server.get(
    GATEWAY_PRIMARY_VIEW_ROUTE,
    {
      schema: {
        summary:
          "What the gateway has seen of primary since it started (counters that only go up: difference two reads), whether primary's breaker is open, whether primary answers its probe (stand-in's credential)",
        tags: [OPERATIONS_TAG],
        security: BEARER,
        response: { 200: GatewayPrimaryView, ...ERROR_RESPONSES },
      },
    },
    async () => {
      if (!deps.primaryView) throw gatewayErrors.primaryViewUnavailable();
      return deps.primaryView.snapshot();
    },
  );
  server.get('/routing', { schema: { summary: 'Where traffic goes now, why, and since when', tags: [OPERATIONS_TAG] } }, async () => deps.routing.snapshot());
  // Liveness of the gateway itself: a platform being down is what the gateway exists to handle.
  server.get(
    '/health',
    { schema: { summary: 'Is the gateway up? (a platform being down is what it exists to handle)', tags: [OPERATIONS_TAG], response: { 200: Health } } },
    async () => ({ status: 'ok', destination: deps.routing.route().destination, timeoutReversalsOwed: deps.reversals.pending() }),
  );
  server.get(
    '/health/live',
    { schema: { summary: 'Does the gateway process run?', tags: [OPERATIONS_TAG], response: { 200: Liveness } } },
    async (): Promise<Liveness> => ({ status: 'live' }),
  );
  // Ready while it can record the timeout reversals it owes (its store on disk answers): without
  // that it may not answer 91 for anyone. The platforms are not its dependencies but its job.
  server.get(
    '/health/ready',
    {
      schema: {
        summary: 'Should this gateway take traffic? (its store of owed timeout reversals answers; else 503)',
        tags: [OPERATIONS_TAG],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply): Promise<Readiness> => {
      let store = 'ok';
      try {
        deps.reversals.pending();
      } catch {
        store = 'unreachable';
      }
      reply.code(store === 'ok' ? 200 : 503);
      return { status: store === 'ok' ? 'ready' : 'unready', checks: { timeoutReversalStore: store } };
    },
  );
  server.get('/metrics', { schema: { summary: 'Prometheus metrics (text exposition format)', tags: [OPERATIONS_TAG] } }, async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
}
