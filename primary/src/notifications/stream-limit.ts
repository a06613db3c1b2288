// A notifications stream holds a connection and polls the database every second for as long as
// the app keeps it open, so one customer (or one stolen token) opening streams without end would
// take connections and database time from everyone. Each process lets a customer hold a few at
// once (an app on a phone and a tablet, and one reconnecting); the next is answered 429 with
// Retry-After. Counted in the process's memory: a stream lives on the replica that serves it.

/** PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER's default. */
export const DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER = 3;

/** What a refused stream is told to wait before trying again (an app's stream that ended frees its place at once). */
export const STREAM_RETRY_AFTER_SECONDS = 30;

export interface StreamSlots {
  /** The most one customer may hold open at once. */
  readonly max: number;
  /** A place for one more stream of this customer, released by the function returned; undefined when they hold the maximum. */
  take(customerId: string): (() => void) | undefined;
  /** Streams open now, for a customer (tests, metrics). */
  openFor(customerId: string): number;
}

export function streamSlots(maxPerCustomer: number): StreamSlots {
  const open = new Map<string, number>();
  return {
    max: maxPerCustomer,
    take(customerId) {
      const held = open.get(customerId) ?? 0;
      if (held >= maxPerCustomer) return undefined;
      open.set(customerId, held + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const now = (open.get(customerId) ?? 1) - 1;
        if (now <= 0) open.delete(customerId);
        else open.set(customerId, now);
      };
    },
    openFor: (customerId) => open.get(customerId) ?? 0,
  };
}
