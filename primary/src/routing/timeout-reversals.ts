import type { Logger } from 'pino';
import type { CardAuthorisationRequest, CardReversalRequest } from '@bank/shared-contracts';
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

export const DEFAULT_TIMEOUT_REVERSAL_OPTIONS: TimeoutReversalOptions = { firstAttemptAfterMs: 3_000, retryEveryMs: 2_000, maxAttempts: 30, maxPending: 10_000 };

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

/**
 * The reversal's own message key: the original's RRN and terminal, and a STAN of its own derived
 * from the original's, so every attempt is the same message (stand-in answers a repeat as before).
 */
export function timeoutReversalOf(authorisation: CardAuthorisationRequest, transmittedAt: Date): CardReversalRequest {
  const stan = String((Number(authorisation.stan) + 500_000) % 1_000_000).padStart(6, '0');
  return {
    mti: '0420',
    pan: authorisation.pan,
    original: { stan: authorisation.stan, rrn: authorisation.rrn, terminalId: authorisation.terminalId },
    amountMinor: authorisation.amountMinor,
    currency: authorisation.currency,
    transmittedAt: transmittedAt.toISOString(),
    stan,
    rrn: authorisation.rrn,
    terminalId: authorisation.terminalId,
  };
}

export function startTimeoutReversals(deps: { standin: StandinProxy; clock: Clock; logger: Logger; metrics: PrimaryMetrics; options?: Partial<TimeoutReversalOptions> }): TimeoutReversals {
  const options = { ...DEFAULT_TIMEOUT_REVERSAL_OPTIONS, ...deps.options };
  const queue = new Map<string, Pending>();
  const keyOf = (reversal: CardReversalRequest) => `${reversal.original.stan}/${reversal.original.rrn}/${reversal.original.terminalId}`;
  const forLogs = (reversal: CardReversalRequest) => ({ stan: reversal.original.stan, rrn: reversal.original.rrn, terminalId: reversal.original.terminalId });
  let running: Promise<void> | undefined;

  async function attempt(key: string, pending: Pending): Promise<void> {
    pending.attempts++;
    let acknowledged = false;
    try {
      const answer = await deps.standin.forward({ path: '/scheme/card/reversals', body: pending.reversal });
      acknowledged = answer.statusCode === 200 && (answer.body as { responseCode?: string }).responseCode === '00';
    } catch {
      // Stand-in still slow or away: the next attempt decides.
    }
    if (acknowledged) {
      queue.delete(key);
      deps.metrics.timeoutReversals.inc({ outcome: 'acknowledged' });
      deps.logger.info({ ...forLogs(pending.reversal), attempts: pending.attempts }, 'stand-in acknowledged the reversal of an authorisation it did not answer in time');
    } else if (pending.attempts >= options.maxAttempts) {
      queue.delete(key);
      deps.metrics.timeoutReversals.inc({ outcome: 'gave_up' });
      deps.logger.error({ ...forLogs(pending.reversal), attempts: pending.attempts }, 'gave up reversing at stand-in an authorisation answered 91: if stand-in approved it, the money stays held until an operator reverses it');
    } else {
      pending.dueAtMs = deps.clock.now().getTime() + options.retryEveryMs;
    }
  }

  async function due(): Promise<void> {
    const now = deps.clock.now().getTime();
    // One at a time: a stand-in that is struggling gets a trickle, not a burst.
    for (const [key, pending] of [...queue]) if (pending.dueAtMs <= now) await attempt(key, pending);
  }

  const timer = setInterval(() => void (running ??= due().finally(() => (running = undefined))), Math.min(500, options.retryEveryMs));
  timer.unref();

  return {
    reverseAtStandin(authorisation) {
      const reversal = timeoutReversalOf(authorisation, deps.clock.now());
      const key = keyOf(reversal);
      if (queue.has(key)) return;
      if (queue.size >= options.maxPending) {
        deps.metrics.timeoutReversals.inc({ outcome: 'dropped' });
        deps.logger.error(forLogs(reversal), 'too many reversals pending at stand-in: this one is dropped, and an operator must check the authorisation');
        return;
      }
      queue.set(key, { reversal, attempts: 0, dueAtMs: deps.clock.now().getTime() + options.firstAttemptAfterMs });
      deps.metrics.timeoutReversals.inc({ outcome: 'scheduled' });
    },
    pending: () => queue.size,
    async stop() {
      clearInterval(timer);
      await running;
      if (queue.size > 0) deps.logger.error({ pending: [...queue.values()].map((pending) => forLogs(pending.reversal)) }, 'stopping with reversals not yet acknowledged by stand-in');
    },
  };
}
