import type { Logger } from 'pino';
import { timeoutReversalOf, type CardAuthorisationRequest, type CardReversalRequest, type CardReversalResponse } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import type { PrimaryMetrics } from '../platform/metrics';
import type { StandinProxy } from './standin-proxy';

// When primary routed an authorisation to stand-in and the answer did not come in time, the
// network was told 91 (declined) but stand-in may still approve it: stand-in would hold the
// customer's money and advise primary to hold it too, for a payment the merchant was told failed.
// Primary does what an acquirer does after a timeout: it sends stand-in a reversal of that
// authorisation, until stand-in acknowledges it. Stand-in reverses its approval if it made one
// (advised back like any reversal), and otherwise acknowledges a reversal of nothing.
//
// Held in memory, bounded, each with a budget of attempts: the card path never waits on it, and
// what is dropped or given up on is counted and logged with its message key.

export interface TimeoutReversalOptions {
  /** Before the first attempt: long enough for the slow authorisation at stand-in to have finished. */
  readonly firstAttemptAfterMs: number;
  readonly retryEveryMs: number;
  readonly maxAttempts: number;
  readonly maxPending: number;
}

export const DEFAULT_TIMEOUT_REVERSAL_OPTIONS: TimeoutReversalOptions = {
  firstAttemptAfterMs: 3_000,
  retryEveryMs: 2_000,
  maxAttempts: 30,
  maxPending: 10_000,
};

interface Pending {
  readonly reversal: CardReversalRequest;
  attempts: number;
  dueAtMs: number;
}

export interface TimeoutReversals {
  /** Schedules the reversal of an authorisation stand-in may have approved after primary answered 91. */
  reverseAtStandin(authorisation: CardAuthorisationRequest): void;
  pending(): number;
  /** Stops the retry loop; what is still pending is logged. */
  stop(): Promise<void>;
}

/** The reversal's message key is the shared contract's, so primary's and the gateway's reversals of one authorisation are one message. */
export { timeoutReversalOf } from '@bank/shared-contracts';

/** Who a queue of reversals goes to, and how it says so in the logs and metrics. */
interface ReversalTarget {
  /** Sends one attempt; true when acknowledged (response code 00). Never throws for "not now". */
  deliver(reversal: CardReversalRequest): Promise<boolean>;
  count(outcome: 'scheduled' | 'acknowledged' | 'gave_up' | 'dropped'): void;
  readonly messages: { readonly acknowledged: string; readonly gaveUp: string; readonly dropped: string; readonly stopping: string };
}

/** The queue behind both kinds of timeout reversal: bounded, each with a budget of attempts, one attempt at a time. */
function startReversalQueue(target: ReversalTarget, deps: { clock: Clock; logger: Logger; options?: Partial<TimeoutReversalOptions> }) {
  const options = { ...DEFAULT_TIMEOUT_REVERSAL_OPTIONS, ...deps.options };
  const queue = new Map<string, Pending>();
  const keyOf = (reversal: CardReversalRequest) => `${reversal.original.stan}/${reversal.original.rrn}/${reversal.original.terminalId}`;
  const forLogs = (reversal: CardReversalRequest) => ({ stan: reversal.original.stan, rrn: reversal.original.rrn, terminalId: reversal.original.terminalId });
  let running: Promise<void> | undefined;

  async function attempt(key: string, pending: Pending): Promise<void> {
    pending.attempts++;
    let acknowledged = false;
    try {
      acknowledged = await target.deliver(pending.reversal);
    } catch {
      // Still slow or away: the next attempt decides.
    }
    if (acknowledged) {
      queue.delete(key);
      target.count('acknowledged');
      deps.logger.info({ ...forLogs(pending.reversal), attempts: pending.attempts }, target.messages.acknowledged);
    } else if (pending.attempts >= options.maxAttempts) {
      queue.delete(key);
      target.count('gave_up');
      deps.logger.error({ ...forLogs(pending.reversal), attempts: pending.attempts }, target.messages.gaveUp);
    } else {
      pending.dueAtMs = deps.clock.now().getTime() + options.retryEveryMs;
    }
  }

  async function due(): Promise<void> {
    const now = deps.clock.now().getTime();
    // One at a time: a platform that is struggling gets a trickle, not a burst.
    for (const [key, pending] of [...queue]) if (pending.dueAtMs <= now) await attempt(key, pending);
  }

  const timer = setInterval(() => void (running ??= due().finally(() => (running = undefined))), Math.min(500, options.retryEveryMs));
  timer.unref();

  return {
    schedule(authorisation: CardAuthorisationRequest): void {
      const reversal = timeoutReversalOf(authorisation, deps.clock.now());
      const key = keyOf(reversal);
      if (queue.has(key)) return;
      if (queue.size >= options.maxPending) {
        target.count('dropped');
        deps.logger.error(forLogs(reversal), target.messages.dropped);
        return;
      }
      queue.set(key, { reversal, attempts: 0, dueAtMs: deps.clock.now().getTime() + options.firstAttemptAfterMs });
      target.count('scheduled');
    },
    pending: () => queue.size,
    async stop() {
      clearInterval(timer);
      await running;
      if (queue.size > 0) deps.logger.error({ pending: [...queue.values()].map((pending) => forLogs(pending.reversal)) }, target.messages.stopping);
    },
  };
}

export function startTimeoutReversals(deps: {
  standin: StandinProxy;
  clock: Clock;
  logger: Logger;
  metrics: PrimaryMetrics;
  options?: Partial<TimeoutReversalOptions>;
}): TimeoutReversals {
  const queue = startReversalQueue(
    {
      async deliver(reversal) {
        const answer = await deps.standin.forward({ path: '/scheme/card/reversals', body: reversal });
        return answer.statusCode === 200 && (answer.body as { responseCode?: string }).responseCode === '00';
      },
      count: (outcome) => deps.metrics.timeoutReversals.inc({ outcome }),
      messages: {
        acknowledged: 'stand-in acknowledged the reversal of an authorisation it did not answer in time',
        gaveUp: 'gave up reversing at stand-in an authorisation answered 91: if stand-in approved it, the money stays held until an operator reverses it',
        dropped: 'too many reversals pending at stand-in: this one is dropped, and an operator must check the authorisation',
        stopping: 'stopping with reversals not yet acknowledged by stand-in',
      },
    },
    deps,
  );
  return { reverseAtStandin: queue.schedule, pending: queue.pending, stop: queue.stop };
}

// The same debt, owed by primary to itself: when primary could not answer an authorisation within
// its card budget (its database slow or hung), the network heard 91, but the decision may still
// commit an approval once the database answers. Primary then reverses its own approval, through
// its own reversal logic, as soon as it sees it (no delay: the approval is already committed).

export interface LateApprovalReversals {
  /** Reverses, here, an approval primary made after answering the network 91. */
  reverseHere(authorisation: CardAuthorisationRequest): void;
  pending(): number;
  stop(): Promise<void>;
}

export const DEFAULT_LATE_APPROVAL_REVERSAL_OPTIONS: Partial<TimeoutReversalOptions> = { firstAttemptAfterMs: 0 };

export function startLateApprovalReversals(deps: {
  /** Primary's own card processor: the reversal is applied as the network's would be. */
  reverse(reversal: CardReversalRequest): Promise<CardReversalResponse>;
  clock: Clock;
  logger: Logger;
  metrics: PrimaryMetrics;
  options?: Partial<TimeoutReversalOptions>;
}): LateApprovalReversals {
  const queue = startReversalQueue(
    {
      deliver: async (reversal) => (await deps.reverse(reversal)).responseCode === '00',
      count: (outcome) => deps.metrics.lateApprovalReversals.inc({ outcome }),
      messages: {
        acknowledged: 'reversed an approval primary made after its card budget, when the network had been answered 91',
        gaveUp: 'gave up reversing an approval primary made after answering the network 91: the money stays held until an operator reverses it',
        dropped: 'too many late approvals waiting to be reversed: this one is dropped, and an operator must check the authorisation',
        stopping: 'stopping with late approvals not yet reversed',
      },
    },
    { ...deps, options: { ...DEFAULT_LATE_APPROVAL_REVERSAL_OPTIONS, ...deps.options } },
  );
  return { reverseHere: queue.schedule, pending: queue.pending, stop: queue.stop };
}
