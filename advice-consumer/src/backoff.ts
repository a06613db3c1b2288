/**
 * Exponential backoff with jitter, and a bounded memory of how often each advice has been
 * retried or given back, so the delay keeps growing across Pub/Sub redeliveries of one advice.
 *
 * Why the consumer needs its own: a nack makes Pub/Sub redeliver at once. The emulator ignores a
 * subscription's `retryPolicy` (checked against the installed emulator: a subscription created
 * with minimumBackoff 2 s redelivered a nacked message every ~150 ms, as without one), and the
 * Node client has no delayed nack. So the consumer waits before it retries or gives a message
 * back, keeping the message leased meanwhile (the client extends its ack deadline).
 */

export interface BackoffOptions {
  /** The first delay. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly capMs: number;
}

/**
 * The delay before try number `attempt` (0 = the first retry): base × 2^attempt, capped, with
 * "equal jitter" (somewhere in the upper half), so many waiting advices do not all retry at once
 * and none retries much sooner than its backoff says.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * How many times each advice (by id) has been retried or given back lately. Bounded: past `limit`
 * ids the oldest is forgotten (it then starts from the shortest delay again, nothing worse).
 */
export function createAttemptMemory(limit: number) {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`attempt memory limit must be a positive integer, got ${limit}`);
  const attempts = new Map<string, number>();
  return {
    get(id: string): number {
      return attempts.get(id) ?? 0;
    },
    /** One more for `id`; returns the new count. */
    bump(id: string): number {
      const next = (attempts.get(id) ?? 0) + 1;
      attempts.delete(id); // re-inserted last: the map's order is least recently bumped first
      attempts.set(id, next);
      if (attempts.size > limit) attempts.delete(attempts.keys().next().value!);
      return next;
    },
    forget(id: string): void {
      attempts.delete(id);
    },
    get size(): number {
      return attempts.size;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks which). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
