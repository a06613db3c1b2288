import type { Logger } from 'pino';
import {
  timeoutReversalOf,
  type CardAuthorisationRequest,
  type CardReversalRequest,
  type CardReversalResponse,
  type MessageKey,
  type TimeoutReversalsReport,
} from '@bank/shared-contracts';
import type { PanKey } from '../cards/pan-crypto';
import type { Clock } from '../platform/clock';
import type { Db } from '../platform/db';
import { withinMs } from '../platform/deadline';
import type { PrimaryMetrics } from '../platform/metrics';
import type { StandinProxy } from './standin-proxy';
import { timeoutReversalStore, type OwedBecause, type OwedReversal, type OwedTo, type TimeoutReversalStore } from './timeout-reversal-store';

// When primary routed an authorisation to stand-in and the answer did not come in time, the
// network was told 91 (declined) but stand-in may still approve it: stand-in would hold the
// customer's money and advise primary to hold it too, for a payment the merchant was told failed.
// Primary does what an acquirer does after a timeout: it sends stand-in a reversal of that
// authorisation, until stand-in acknowledges it. Stand-in reverses its approval if it made one
// (advised back like any reversal), and otherwise acknowledges a reversal of nothing.
//
// The debt is a row in primary's database (timeout-reversal-store.ts), written before the 91 is
// answered: the insert runs inside the card budget (the proxy's timeout leaves it about 100 ms,
// and the route answers 91 at the budget whatever the insert does), so a slow database never holds
// the 91 back. An insert that fails or is slower than that is kept in memory and written by the
// delivery loop once the database answers (logged, counted; only a crash before then loses it).
// A PostgreSQL insert is primary's equivalent of the gateway's group-committed local store: primary
// has a database, and one more single-row insert on it costs less than a second store would.
// Delivered by a loop that any primary process may run (rows claimed with skip locked), retried
// with backoff for as long as it takes: after `flagAfterAttempts` a row is flagged (a metric,
// `standin status`, an error log) and retried more slowly, never dropped.

export interface TimeoutReversalOptions {
  /** Before the first attempt: long enough for the slow authorisation at stand-in to have finished. */
  readonly firstAttemptAfterMs: number;
  /** The second attempt's wait; each later one doubles it, up to `maxRetryEveryMs`. */
  readonly retryEveryMs: number;
  readonly maxRetryEveryMs: number;
  /** Attempts after which a reversal is flagged for operators; it is still retried, every `flaggedRetryEveryMs`. */
  readonly flagAfterAttempts: number;
  readonly flaggedRetryEveryMs: number;
  /** How long a claimed reversal is left to its claimer before another process may attempt it (a killed claimer's lease runs out). */
  readonly leaseMs: number;
  readonly pollEveryMs: number;
  /** Reversals attempted per poll at most, one at a time. */
  readonly batch: number;
  /** How long the card path waits for the insert before keeping the reversal in memory instead (the route's 91 does not wait on it). */
  readonly recordWithinMs: number;
  /** Reversals not yet written (the database away) kept in memory at most; past it each is logged and counted as dropped. */
  readonly maxUnrecorded: number;
}

export const DEFAULT_TIMEOUT_REVERSAL_OPTIONS: TimeoutReversalOptions = {
  firstAttemptAfterMs: 3_000,
  retryEveryMs: 2_000,
  maxRetryEveryMs: 60_000,
  flagAfterAttempts: 10,
  flaggedRetryEveryMs: 300_000,
  leaseMs: 60_000,
  pollEveryMs: 500,
  batch: 20,
  recordWithinMs: 1_000,
  maxUnrecorded: 10_000,
};

export interface TimeoutReversals {
  /** Records (before the 91 is answered) the reversal of an authorisation stand-in may have approved after primary answered 91. */
  reverseAtStandin(authorisation: CardAuthorisationRequest, because?: OwedBecause): Promise<void>;
  /** Owed and flagged, from the table (stand-in's and primary's own); `oldestFlagged` up to `limit`. */
  report(limit: number): Promise<TimeoutReversalsReport>;
  /** Stops the delivery loop; what is owed stays in the table for the next process. */
  stop(): Promise<void>;
}

/** The reversal's message key is the shared contract's, so primary's and the gateway's reversals of one authorisation are one message. */
export { timeoutReversalOf } from '@bank/shared-contracts';

const STANDIN_REVERSALS_PATH = '/scheme/card/reversals';

type Outcome = 'scheduled' | 'recorded_late' | 'acknowledged' | 'flagged' | 'dropped';

/** Whose approval a loop reverses, how one attempt is made, and how the loop says so in logs and metrics. */
interface OwedReversalTarget {
  readonly owedTo: OwedTo;
  /** One attempt: undefined when acknowledged (response code 00), otherwise why not. Never throws for "not now". */
  deliver(reversal: CardReversalRequest): Promise<string | undefined>;
  count(outcome: Outcome): void;
  readonly messages: {
    readonly acknowledged: string;
    readonly flagged: string;
    readonly recordedLate: string;
    readonly notRecordedInTime: string;
    readonly dropped: string;
    readonly lost: string;
  };
}

interface OwedReversalDeps {
  db: Db;
  /** Primary's own PAN key: the owed reversal's card number is stored encrypted under it. */
  panKey: PanKey;
  clock: Clock;
  logger: Logger;
  options?: Partial<TimeoutReversalOptions>;
}

/** The table's delivery loop for one target, and how a debt is recorded (before the 91, or once a late approval is seen). */
function startOwedReversals(target: OwedReversalTarget, deps: OwedReversalDeps) {
  const options = { ...DEFAULT_TIMEOUT_REVERSAL_OPTIONS, ...deps.options };
  const { clock, logger } = deps;
  const store = timeoutReversalStore(deps);
  const forLogs = (key: MessageKey) => ({ stan: key.stan, rrn: key.rrn, terminalId: key.terminalId, owedTo: target.owedTo });
  /** Owed but not yet in the table (its insert failed or was slow): written by the loop. */
  const unrecorded = new Map<string, Parameters<TimeoutReversalStore['owe']>>();
  let running: Promise<void> | undefined;

  async function recordUnrecorded(): Promise<void> {
    for (const [key, owed] of [...unrecorded]) {
      await store.owe(...owed);
      unrecorded.delete(key);
      logger.info({ ...forLogs(owed[1].original), reason: owed[2] }, target.messages.recordedLate);
    }
  }

  const retryWaitMs = (attempts: number) => Math.min(options.retryEveryMs * 2 ** Math.max(0, attempts - 1), options.maxRetryEveryMs);

  async function attempt(owed: OwedReversal): Promise<void> {
    let failure: string | undefined;
    try {
      failure = await target.deliver(owed.reversal);
    } catch (error) {
      failure = (error as Error).message;
    }
    const now = clock.now();
    if (failure === undefined) {
      await store.acknowledged(owed.original);
      target.count('acknowledged');
      logger.info({ ...forLogs(owed.original), attempts: owed.attempts }, target.messages.acknowledged);
      return;
    }
    const flag = owed.attempts >= options.flagAfterAttempts;
    const retryAt = new Date(now.getTime() + (flag ? options.flaggedRetryEveryMs : retryWaitMs(owed.attempts)));
    await store.notAcknowledged(owed.original, failure, retryAt, flag, now);
    if (flag && !owed.flagged) {
      target.count('flagged');
      logger.error({ event: 'timeout_reversal_flagged', ...forLogs(owed.original), attempts: owed.attempts, failure }, target.messages.flagged);
    }
  }

  async function deliverDue(): Promise<void> {
    await recordUnrecorded();
    const now = clock.now();
    const claimed = await store.claimDue(target.owedTo, now, new Date(now.getTime() + options.leaseMs), options.batch);
    // One at a time: a platform that is struggling gets a trickle, not a burst.
    for (const owed of claimed) await attempt(owed);
  }

  const timer = setInterval(() => {
    running ??= deliverDue()
      .catch((error: unknown) => logger.warn({ err: error, owedTo: target.owedTo }, 'delivering owed reversals failed; trying again at the next poll'))
      .finally(() => (running = undefined));
  }, options.pollEveryMs);
  timer.unref();

  return {
    async owe(authorisation: CardAuthorisationRequest, because: OwedBecause): Promise<void> {
      const now = clock.now();
      const reversal = timeoutReversalOf(authorisation, now);
      const owed: Parameters<TimeoutReversalStore['owe']> = [target.owedTo, reversal, because, new Date(now.getTime() + options.firstAttemptAfterMs), now];
      target.count('scheduled');
      try {
        await withinMs(store.owe(...owed), options.recordWithinMs, 'recording an owed reversal');
      } catch (error) {
        const key = `${reversal.original.stan}/${reversal.original.rrn}/${reversal.original.terminalId}`;
        if (unrecorded.size >= options.maxUnrecorded && !unrecorded.has(key)) {
          target.count('dropped');
          logger.error({ event: 'timeout_reversal_dropped', ...forLogs(reversal.original), err: error }, target.messages.dropped);
          return;
        }
        unrecorded.set(key, owed);
        target.count('recorded_late');
        logger.warn({ ...forLogs(reversal.original), err: error }, target.messages.notRecordedInTime);
      }
    },
    report: (limit: number) => store.report(limit),
    async stop() {
      clearInterval(timer);
      await running;
      await recordUnrecorded().catch(() => undefined);
      if (unrecorded.size > 0)
        logger.error({ event: 'timeout_reversals_lost', pending: [...unrecorded.values()].map((owed) => forLogs(owed[1].original)) }, target.messages.lost);
    },
  };
}

export function startTimeoutReversals(
  deps: OwedReversalDeps & {
    standin: StandinProxy;
    metrics: PrimaryMetrics;
  },
): TimeoutReversals {
  const owed = startOwedReversals(
    {
      owedTo: 'standin',
      async deliver(reversal) {
        const answer = await deps.standin.forward({ path: STANDIN_REVERSALS_PATH, body: reversal });
        const responseCode = (answer.body as { responseCode?: string } | undefined)?.responseCode;
        return answer.statusCode === 200 && responseCode === '00'
          ? undefined
          : `stand-in answered HTTP ${answer.statusCode}, response code ${responseCode ?? 'none'}`;
      },
      count: (outcome) => deps.metrics.timeoutReversals.inc({ outcome }),
      messages: {
        acknowledged: 'stand-in acknowledged the reversal of an authorisation it did not answer in time',
        flagged:
          'stand-in has not acknowledged a timeout reversal after many attempts: flagged, still retried; if stand-in approved the payment, the money stays held until it does',
        recordedLate: 'timeout reversal owed to stand-in recorded late (the database was slow or away)',
        notRecordedInTime: 'a timeout reversal owed to stand-in could not be recorded in time: kept in memory until the database answers',
        dropped: 'a timeout reversal owed to stand-in could not be recorded and too many are waiting to be: an operator must check this authorisation',
        lost: 'stopping with timeout reversals the database never recorded: an operator must check these authorisations',
      },
    },
    deps,
  );
  return { reverseAtStandin: (authorisation, because = 'timeout') => owed.owe(authorisation, because), report: owed.report, stop: owed.stop };
}

// The same debt, owed by primary to itself: when primary could not answer an authorisation within
// its card budget (its database slow or hung), the network heard 91, but the decision may still
// commit an approval once the database answers (the function checks its deadline before commit,
// so only a commit slower than what was left of the budget). Primary then reverses its own
// approval, through its own reversal logic, as soon as it sees it (no delay: the approval is
// already committed). The debt is a row in the same table, owed to 'primary', so a restart before
// the reversal is applied no longer loses it; only a crash before the late outcome is seen does.

export interface LateApprovalReversals {
  /** Reverses, here, an approval primary made after answering the network 91. */
  reverseHere(authorisation: CardAuthorisationRequest): void;
  stop(): Promise<void>;
}

export const DEFAULT_LATE_APPROVAL_REVERSAL_OPTIONS: Partial<TimeoutReversalOptions> = { firstAttemptAfterMs: 0 };

export function startLateApprovalReversals(
  deps: OwedReversalDeps & {
    /** Primary's own card processor: the reversal is applied as the network's would be. */
    reverse(reversal: CardReversalRequest): Promise<CardReversalResponse>;
    metrics: PrimaryMetrics;
  },
): LateApprovalReversals {
  const owed = startOwedReversals(
    {
      owedTo: 'primary',
      async deliver(reversal) {
        const answer = await deps.reverse(reversal);
        return answer.responseCode === '00' ? undefined : `primary's own reversal answered ${answer.responseCode}`;
      },
      count: (outcome) => deps.metrics.lateApprovalReversals.inc({ outcome }),
      messages: {
        acknowledged: 'reversed an approval primary made after its card budget, when the network had been answered 91',
        flagged:
          'primary could not reverse its own approval made after answering the network 91, after many attempts: flagged, still retried; the money stays held until it does',
        recordedLate: 'late approval reversal recorded late (the database was slow or away)',
        notRecordedInTime: 'a late approval reversal could not be recorded in time: kept in memory until the database answers',
        dropped: 'a late approval reversal could not be recorded and too many are waiting to be: an operator must check this authorisation',
        lost: 'stopping with late approval reversals the database never recorded: an operator must check these authorisations',
      },
    },
    { ...deps, options: { ...DEFAULT_LATE_APPROVAL_REVERSAL_OPTIONS, ...deps.options } },
  );
  return {
    reverseHere: (authorisation) =>
      void owed.owe(authorisation, 'late_approval').catch((error: unknown) => deps.logger.error({ err: error }, 'recording a late approval reversal failed')),
    stop: owed.stop,
  };
}
