import CircuitBreaker from 'opossum';
import Redis from 'ioredis';
import type { Logger } from 'pino';

/**
 * A best-effort cache in Redis. Correctness never depends on it: every read falls back to
 * PostgreSQL on a miss, an error or a slow answer, and a breaker stops asking a Redis that is
 * down or hung (a paused Redis would otherwise cost every request its timeout).
 */
export interface Cache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Whether the keys are gone (false: Redis did not answer; what was cached may be read until its TTL). */
  delete(keys: readonly string[]): Promise<boolean>;
  close(): Promise<void>;
}

export function createRedisCache(options: { url: string; logger: Logger; timeoutMs?: number }): Cache & { breaker: CircuitBreaker } {
  const timeoutMs = options.timeoutMs ?? 50;
  const redis = new Redis(options.url, {
    commandTimeout: timeoutMs,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    // Fail fast while disconnected instead of queueing commands behind a reconnect.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
  redis.on('error', () => undefined);
  const breaker = new CircuitBreaker(async (operation: () => Promise<unknown>) => operation(), {
    timeout: timeoutMs * 2,
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    resetTimeout: 2_000,
    name: 'redis-cache',
  });
  breaker.on('open', () => options.logger.warn({ breaker: 'redis-cache' }, 'Redis slow or down: cache bypassed, reading PostgreSQL'));
  breaker.on('close', () => options.logger.info({ breaker: 'redis-cache' }, 'Redis back: cache in use'));
  return {
    breaker,
    async get(key) {
      try {
        return ((await breaker.fire(() => redis.get(key))) as string | null) ?? undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, value, ttlSeconds) {
      try {
        await breaker.fire(() => redis.set(key, value, 'EX', ttlSeconds));
      } catch {
        // A cache write that fails only costs a later miss.
      }
    },
    async delete(keys) {
      if (keys.length === 0) return true;
      try {
        await breaker.fire(() => redis.del(...keys));
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      breaker.shutdown();
      redis.disconnect();
    },
  };
}
