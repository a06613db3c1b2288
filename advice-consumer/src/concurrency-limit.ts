/**
 * At most `max` tasks at once; the others wait their turn, first come first served.
 *
 * The consumer leases far more messages than it sends primary at once (see advice-consumer.ts):
 * this keeps primary's load what it was, however many accounts have advices waiting. Its queue
 * holds one waiter per account with work, so it is bounded by the lease window.
 */
export function createConcurrencyLimit(max: number) {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < max) active += 1;
      // A finishing task hands its place straight to the first waiter, so `active` never exceeds `max`.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active -= 1;
      }
    },
    get active(): number {
      return active;
    },
    get waiting(): number {
      return waiting.length;
    },
  };
}
