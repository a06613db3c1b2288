import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { GATEWAY_ERROR_CODES, GatewayError, gatewayErrors } from './errors';
import type { Dispatch } from './message-dispatch';
import { messageKeyForLogs, readSchemeMessage } from './message-validation';
import type { GatewayMetrics } from './metrics';
import type { Routing } from './routing';
import { SCHEME_MESSAGES } from './scheme-messages';

/** Scheme messages are a few hundred bytes; anything near this is not one. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The gateway's HTTP face: the platforms' scheme paths, plus /routing, /health and /metrics. It
 * takes the body as raw bytes so what is forwarded is exactly what the network sent.
 */
export function createGatewayServer(deps: { dispatch: Dispatch; routing: Routing; metrics: GatewayMetrics; logger: Logger }): FastifyInstance {
  const server = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES });
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  server.setNotFoundHandler((request, reply) => {
    const error = gatewayErrors.noRoute(request.method, request.url.split('?')[0] ?? '');
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
      const result = await deps.dispatch(kind, request.body as Buffer, messageKeyForLogs(message));
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
  server.get('/health', async () => ({ status: 'ok', destination: deps.routing.route().destination }));
  server.get('/metrics', async (_request, reply) => reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()));
  return server;
}
