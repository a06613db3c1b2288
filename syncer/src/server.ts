import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';

export interface SyncerHealth {
  readonly status: 'ok' | 'unhealthy';
  readonly consumer: string;
  readonly database: 'ok' | 'unreachable';
  /** `kafkaSilentForMs` while nothing has been heard from Kafka for longer than the appetite. */
  readonly lag?: { readonly lagMs: number; readonly alerting: boolean; readonly appliedAt?: string; readonly kafkaSilentForMs?: number };
}

/** The documented error envelope, for every error this service answers, fastify's and Node's own included. */
function envelope(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function send(reply: FastifyReply, statusCode: number, code: string, message: string): FastifyReply {
  return reply.code(statusCode).type('application/json; charset=utf-8').send(envelope(code, message));
}

/**
 * /health answers liveness: unhealthy (503) only when the consumer crashed for good, the one
 * state a restart of the process fixes. Kafka or the database being away is reported, but a
 * new syncer would not bring them back.
 */
export function buildSyncerServer(deps: {
  registry: Registry;
  health: () => Promise<SyncerHealth>;
  log?: { error: (details: object, message: string) => void };
}): FastifyInstance {
  const server = Fastify({
    logger: false,
    // fastify's own refusals before routing (a URL that is not valid percent-encoding, an over-long path parameter).
    frameworkErrors: (error, _request, reply) => {
      // fastify expects nothing back here: the reply is sent, not awaited.
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') void send(reply, 414, 'SYNCER_URI_TOO_LONG', 'a path parameter is longer than allowed');
      else if (error.code === 'FST_ERR_BAD_URL') void send(reply, 400, 'SYNCER_BAD_URL', 'the URL is not valid percent-encoding');
      else void send(reply, 400, 'SYNCER_BAD_REQUEST', 'the request could not be routed');
    },
    // Refusals by Node's HTTP parser, before fastify sees a request (headers too large, malformed requests).
    clientErrorHandler: (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const [status, reason, code, message] =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'SYNCER_HEADERS_TOO_LARGE', 'the request line and headers are larger than allowed']
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout', 'SYNCER_REQUEST_TIMEOUT', 'the request did not arrive in time']
            : [400, 'Bad Request', 'SYNCER_MALFORMED_REQUEST', 'the request is not well-formed HTTP'];
      const body = envelope(code, message);
      if (socket.writable)
        socket.write(
          `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
        );
      socket.destroy();
    },
  });
  server.setNotFoundHandler((request, reply) =>
    send(reply, 404, 'SYNCER_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`),
  );
  server.setErrorHandler((error: FastifyError, _request, reply) => {
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
      return send(reply, error.statusCode, 'SYNCER_BAD_REQUEST', error.message);
    deps.log?.error({ err: error }, "unhandled error in the syncer's API");
    return send(reply, 500, 'SYNCER_INTERNAL', 'internal error; the request may be retried');
  });
  server.get('/health', async (_request, reply) => {
    const health = await deps.health();
    return reply.code(health.status === 'ok' ? 200 : 503).send(health);
  });
  // /health/live is /health's question (only a crashed-for-good consumer fails it); /health/ready
  // also wants both ends of the job to answer: stand-in's database and Kafka (the consumer is in
  // its group, consuming). A second syncer replica waits in the group unready-but-live no more
  // than a rebalance: Kafka gives it partitions, or none when there are fewer than replicas.
  server.get('/health/live', async (_request, reply) => {
    const health = await deps.health();
    return reply.code(health.status === 'ok' ? 200 : 503).send({ status: health.status === 'ok' ? 'live' : 'crashed', consumer: health.consumer });
  });
  server.get('/health/ready', async (_request, reply) => {
    const health = await deps.health();
    const checks = { database: health.database, kafka: health.consumer === 'consuming' ? 'ok' : 'unreachable' };
    const ready = health.status === 'ok' && checks.database === 'ok' && checks.kafka === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unready', checks });
  });
  server.get('/metrics', async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
  return server;
}
