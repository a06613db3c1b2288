import CircuitBreaker from 'opossum';
import type { BreakerSettings } from './config';
import type { BreakerState } from './destination';

/** Primary answered, but with a server error: passed on to the network unchanged, and counted against primary. */
export class PrimaryServerError<T> extends Error {
  constructor(readonly answer: T) {
    super('primary answered with a server error');
    this.name = 'PrimaryServerError';
  }
}

export interface PrimaryBreaker {
  /** Runs a call to primary through the breaker; rejects with code EOPENBREAKER, without calling, while it is open. */
  run<T>(call: () => Promise<T>): Promise<T>;
  state(): BreakerState;
  onStateChange(listener: (state: BreakerState) => void): void;
  shutdown(): void;
}

/**
 * The breaker around every forward to primary. Each call passes its own deadline as an
 * AbortSignal, so the breaker's own timeout is off: card and Faster Payments deadlines differ, and
 * opossum's timeout would not cancel the request anyway. A 4xx from primary resolves (primary is
 * working; the message was wrong), so only no answer, a refused connection or a 5xx count.
 *
 * When the breaker half-opens, a health probe takes the single trial call, so no payment message
 * is ever the one that tests whether primary is back.
 */
export function createPrimaryBreaker(settings: BreakerSettings, probe: () => Promise<void>): PrimaryBreaker {
  const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
    name: 'primary-scheme-api',
    timeout: false,
    resetTimeout: settings.resetTimeoutMs,
    volumeThreshold: settings.volumeThreshold,
    errorThresholdPercentage: settings.errorThresholdPercentage,
    rollingCountTimeout: settings.rollingWindowMs,
    rollingCountBuckets: 10,
    allowWarmUp: false,
  });
  const listeners: ((state: BreakerState) => void)[] = [];
  const state = (): BreakerState => (breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed');
  const notify = () => {
    for (const listener of listeners) listener(state());
  };
  breaker.on('open', notify);
  breaker.on('close', notify);
  breaker.on('halfOpen', () => {
    notify();
    // A failed probe re-opens the breaker (and its reset timer); a successful one closes it.
    breaker.fire(probe).catch(() => undefined);
  });
  return {
    run: <T>(call: () => Promise<T>) => breaker.fire(call) as Promise<T>,
    state,
    onStateChange: (listener) => void listeners.push(listener),
    shutdown: () => breaker.shutdown(),
  };
}

/** Rejections by the breaker itself: nothing was sent to primary. */
export function isBreakerRejection(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'EOPENBREAKER' || code === 'ESEMLOCKED';
}
