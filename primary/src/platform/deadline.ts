// Every wait has a timeout, and on the card path the wait that matters is the network's: a
// database that hangs (SIGSTOPped, a stuck disk) refuses nothing, so a query just never returns,
// and neither pg's pool nor PostgreSQL's own statement_timeout (enforced by the very server that
// is hung) ends it in time. A deadline here ends the *wait*; the work itself may still finish
// later, and every caller says what a late finish means (see card-processor/routes.ts).

/** The work did not finish within its budget: for callers, the database did not answer. */
export class DeadlineExceeded extends Error {
  /** Node's code for a timed-out operation: `isDatabaseUnavailable` treats it as the database not answering. */
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly what: string,
    readonly budgetMs: number,
  ) {
    super(`${what} did not finish within ${budgetMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** A deadline started now: its signal aborts when the budget is spent. */
export interface Deadline {
  readonly budgetMs: number;
  readonly signal: AbortSignal;
  expired(): boolean;
  remainingMs(): number;
  /** `work`'s result, or DeadlineExceeded once the budget is spent (the work is not cancelled). */
  race<T>(work: Promise<T>): Promise<T>;
  /** The answer has gone: the deadline's timer is no longer needed. */
  clear(): void;
}

export function startDeadline(budgetMs: number, what = 'the work'): Deadline {
  const started = performance.now();
  const controller = new AbortController();
  // One timer: the budget running out, the signal aborting and every race losing are one event.
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded(what, budgetMs)), budgetMs);
  timer.unref();
  const aborted = new Promise<never>((_resolve, reject) =>
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true }),
  );
  // Nobody may be racing when it fires.
  aborted.catch(() => undefined);
  return {
    budgetMs,
    signal: controller.signal,
    expired: () => controller.signal.aborted,
    remainingMs: () => (controller.signal.aborted ? 0 : Math.max(0, budgetMs - (performance.now() - started))),
    race<T>(work: Promise<T>): Promise<T> {
      return Promise.race([work, aborted]);
    },
    clear: () => clearTimeout(timer),
  };
}

/** `work`'s result, or a DeadlineExceeded after `ms` (the work goes on: attach to it what a late finish means). */
export function withinMs<T>(work: Promise<T>, ms: number, what: string, budgetMs = ms): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, budgetMs)), Math.max(0, ms));
    timer.unref();
  });
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}
