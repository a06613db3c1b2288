import { createHash } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Redis from 'ioredis';
import { allowedCallers } from './call-map';
import { errors } from './errors';
import { bearerToken } from './http';

// Limits on what one caller can ask of primary: the app API per customer, and account opening.
// Counted in Redis, so every primary replica counts together; Redis is best effort here as
// everywhere in primary, so while it is down or slow the limits are not applied (skipOnError)
// rather than the app API refusing every customer. The scheme, internal and operations routes are
// not limited here: the network's traffic and the bank's own services must never be turned away.

export const DEFAULT_RATE_LIMITS = {
  /** Requests per customer (per app token) per window, across the app API. */
  customerPerWindow: 600,
  /** Accounts opened per window, by the onboarding back end, bank-wide. */
  accountOpeningsPerWindow: 3_000,
  windowMs: 60_000,
} as const;

export interface RateLimits {
  readonly customerPerWindow: number;
  readonly accountOpeningsPerWindow: number;
  readonly windowMs: number;
  /** Where the counts are kept (shared by replicas); none: this process's memory. */
  readonly redis?: Redis;
  /** The counts' key prefix in Redis (default `primary-rate-limit:`): replicas that limit together share it. */
  readonly nameSpace?: string;
}

const ACCOUNT_OPENING = 'POST /accounts';

/** Which limit a request counts against: a customer's (by token, hashed), account opening's, or none. */
function limitOf(request: FastifyRequest): 'customer' | 'opening' | undefined {
  const url = request.routeOptions.url;
  if (url === undefined) return undefined;
  if (`${request.method} ${url}` === ACCOUNT_OPENING) return 'opening';
  const callers = allowedCallers(request.method, url);
  return callers?.length === 1 && callers[0] === 'customer' ? 'customer' : undefined;
}

/** A Redis connection of the limits' own: commands fail fast, so a Redis outage costs the app API a moment, not a hang. */
export function rateLimitRedis(url: string, options: { readonly commandTimeoutMs?: number } = {}): Redis {
  const redis = new Redis(url, {
    commandTimeout: options.commandTimeoutMs ?? 100,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Registers the limits. After the call guard (its hook runs first, so an unknown caller gets 401
 * without counting) and before the routes. 429 with Retry-After (seconds) and the error envelope.
 */
export function installRateLimits(app: FastifyInstance, limits: RateLimits): void {
  void app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: limits.windowMs,
    max: (request) => (limitOf(request) === 'opening' ? limits.accountOpeningsPerWindow : limits.customerPerWindow),
    allowList: (request) => limitOf(request) === undefined,
    keyGenerator: (request) =>
      limitOf(request) === 'opening'
        ? 'primary:open-account'
        : `primary:customer:${createHash('sha256')
            .update(bearerToken(request) ?? '')
            .digest('hex')}`,
    ...(limits.redis ? { redis: limits.redis, nameSpace: limits.nameSpace ?? 'primary-rate-limit:' } : {}),
    skipOnError: true,
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (request, context) =>
      errors.rateLimited(
        limitOf(request) === 'opening' ? 'too many accounts opened' : 'too many requests from this customer',
        context.max,
        Math.round(limits.windowMs / 1000),
        context.after,
      ),
  });
}
