import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { withoutCardNumbers } from '@bank/shared-contracts';
import { GATEWAY_ERROR_CODES, GatewayError, gatewayErrors } from './errors';
import type { Dispatch } from './message-dispatch';
import { messageKeyForLogs, readSchemeMessage } from './message-validation';
import type { GatewayMetrics } from './metrics';
import type { Routing } from './routing';
import { SCHEME_MESSAGES } from './scheme-messages';
import type { TimeoutReversals } from './timeout-reversals';

/** Scheme messages are a few hundred bytes; anything near this is not one. */
const BODY_LIMIT_BYTES = 64 * 1024;

/** Enough of a path to recognise it in an error message; a long one is cut, digit runs like a card number are masked. */
const PATH_SHOWN_CHARACTERS = 100;

export function pathForMessage(url: string): string {
  const path = withoutCardNumbers(url.split('?')[0] ?? '');
  return path.length > PATH_SHOWN_CHARACTERS ? `${path.slice(0, PATH_SHOWN_CHARACTERS)}... (${path.length} characters)` : path;
}

const CLIENT_ERRORS: Record<string, { status: number; label: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, label: 'Request Header Fields Too Large', code: GATEWAY_ERROR_CODES.headersTooLarge, message: 'the request headers are too large: send a scheme message with ordinary headers' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, label: 'Request Timeout', code: GATEWAY_ERROR_CODES.requestTimeout, message: 'the request did not arrive in time: send it again' },
};

/** Answers, on the raw socket, a request Node's HTTP parser refused, in the gateway's error envelope. */
export function writeClientError(failure: NodeJS.ErrnoException, socket: Duplex): void {
  if (failure.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[failure.code ?? ''] ?? { status: 400, label: 'Bad Request', code: GATEWAY_ERROR_CODES.badRequest, message: 'the request is not valid HTTP: send one JSON scheme message with content-type application/json' };
  const body = JSON.stringify({ error: { code: known.code, message: known.message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${known.status} ${known.label}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(failure);
}

/**
 * The gateway's HTTP face: the platforms' scheme paths, plus /routing, /health and /metrics. It
 * takes the body as raw bytes so what is forwarded is exactly what the network sent.
 */
export function createGatewayServer(deps: { dispatch: Dispatch; routing: Routing; metrics: GatewayMetrics; logger: Logger; reversals: Pick<TimeoutReversals, 'pending'> }): FastifyInstance {
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
      return reply.code(status).send({ error: { code: GATEWAY_ERROR_CODES.badRequest, message: `${(failure as Error).message}: send one JSON scheme message with content-type application/json` } });
    }
    deps.logger.error({ err: failure }, 'the gateway failed a request');
    return reply.code(500).send({ error: { code: GATEWAY_ERROR_CODES.internal, message: 'the gateway could not handle this message; it was not answered by a platform' }, responseCode: '96' });
  });

  for (const kind of SCHEME_MESSAGES) {
    server.post(kind.path, async (request, reply) => {
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

  server.get('/routing', async () => deps.routing.snapshot());
  // Liveness of the gateway itself: a platform being down is what the gateway exists to handle.
  server.get('/health', async () => ({ status: 'ok', destination: deps.routing.route().destination, timeoutReversalsOwed: deps.reversals.pending() }));
  server.get('/metrics', async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
  return server;
}
