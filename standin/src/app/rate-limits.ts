import { createHash } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppRefusal } from './app-routes';

// Stand-in's limit on its app API, per customer (per app token): a customer's app, or someone
// holding their token, cannot take stand-in's capacity from everyone else during an incident.
// Stand-in has no Redis, so each replica counts in its own memory (a limit per replica, not
// shared). The scheme routes and the platforms' own calls are never limited.

export const DEFAULT_STANDIN_RATE_LIMITS = { customerPerWindow: 600, windowMs: 60_000 } as const;

export interface StandinRateLimits {
  readonly customerPerWindow: number;
  readonly windowMs: number;
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Registers @fastify/rate-limit (no route limited by itself) and returns the check the call guard
 * runs on the customer routes, after the caller is admitted: 429 STANDIN_RATE_LIMITED with
 * Retry-After (seconds) once a customer meets the limit.
 */
export function customerRateLimit(server: FastifyInstance, limits: StandinRateLimits): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  void server.register(fastifyRateLimit, { global: false });
  let limiter: Limiter | undefined;
  return async (request, reply) => {
    // Made on first use: the plugin's decorators exist once it has loaded, before any request.
    limiter ??= server.createRateLimit({
      max: limits.customerPerWindow,
      timeWindow: limits.windowMs,
      keyGenerator: (limited) =>
        `standin:customer:${createHash('sha256')
          .update(limited.headers.authorization ?? '')
          .digest('hex')}`,
    });
    const counted = await limiter(request);
    if (counted.isAllowed || !counted.isExceeded) return;
    void reply.header('retry-after', String(counted.ttlInSeconds));
    throw new AppRefusal(
      429,
      'STANDIN_RATE_LIMITED',
      `too many requests from this customer: at most ${counted.max} per ${Math.round(limits.windowMs / 1000)} s; try again after ${counted.ttlInSeconds} s (Retry-After)`,
    );
  };
}
