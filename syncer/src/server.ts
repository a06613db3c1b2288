import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface SyncerHealth {
  readonly status: 'ok' | 'unhealthy';
  readonly consumer: string;
  readonly database: 'ok' | 'unreachable';
  /** `kafkaSilentForMs` while nothing has been heard from Kafka for longer than the appetite. */
  readonly lag?: { readonly lagMs: number; readonly alerting: boolean; readonly appliedAt?: string; readonly kafkaSilentForMs?: number };
}

/**
 * /health answers liveness: unhealthy (503) only when the consumer crashed for good, the one
 * state a restart of the process fixes. Kafka or the database being away is reported, but a
 * new syncer would not bring them back.
 */
export function buildSyncerServer(deps: { registry: Registry; health: () => Promise<SyncerHealth> }): FastifyInstance {
  const server = Fastify({ logger: false });
  server.get('/health', async (_request, reply) => {
    const health = await deps.health();
    return reply.code(health.status === 'ok' ? 200 : 503).send(health);
  });
  server.get('/metrics', async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
  return server;
}
