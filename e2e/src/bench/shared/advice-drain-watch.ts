import type { ServiceProcess } from '../../stack/service-process';
import { pollUntil, type BenchStack } from './bench-stack';
import { readConsumerCounters, waitForConsumerQuiet, type ConsumerQuiet } from './advice-subscription';
import { cpuMeter, type CpuRoot, type CpuUsage } from './cpu-usage';
import type { SyncProbe } from './sync-progress';
import { OPERATOR } from '../../stack/services';

// Stand-in's advices reaching primary once an advice consumer runs: started here, then watched
// until primary has applied every advice stand-in made for the run's accounts (counted in both
// databases) and, when asked, until the consumer's own reconciliation report for those accounts is
// clean. Shared by every benchmark that leaves advices behind (advice-drain measures it, the others
// drain so the advices do not wait in the shared subscription for whoever's consumer runs next).

/**
 * The advice consumer's own defaults (advice-consumer/src/main.ts): re-drive from stand-in's log
 * only for advices older than 120 s, so Pub/Sub delivers. Used for clean-up too: with the stack's
 * test settings (re-drive after 5 s) the re-drive races Pub/Sub, which then redelivers every
 * re-driven advice again and again (out of order, then duplicate) and ends up slower, leaving
 * tens of thousands of copies in the shared subscription.
 */
const PRODUCTION_CONSUMER_ENV: NodeJS.ProcessEnv = { ADVICE_REDRIVE_INTERVAL_MS: '30000', ADVICE_REDRIVE_AFTER_MS: '120000' };

/** `measure`: the drain is the figure. `clean-up`: advices are cleared away, and the consumer then runs until the subscription is quiet. */
export type AdviceDrainPurpose = 'measure' | 'clean-up';

export interface AdviceDrainOptions {
  readonly purpose: AdviceDrainPurpose;
  /** How long primary may take to apply every advice, from the consumer's start. */
  readonly timeoutMs: number;
  /** Then ask the consumer's reconciliation report for these accounts, until clean or `timeoutMs` more. */
  readonly reconcile?: { readonly accountIds: readonly string[]; readonly timeoutMs: number };
  /** `clean-up` only: then how long the consumer may take to go quiet (every Pub/Sub copy of a re-driven advice consumed), so nothing is left in the shared subscription. */
  readonly quietTimeoutMs?: number;
  /** Processes whose CPU is metered while the advices drain (the consumer is added). */
  readonly cpuRoots?: Readonly<Record<string, CpuRoot>>;
  readonly pollMs?: number;
}

export interface ReconciliationOutcome {
  readonly clean: boolean;
  /** From the consumer's start until the report was clean (or, if never, until the last report). */
  readonly afterMs: number;
  readonly reports: number;
  readonly standinAdvices: number;
  readonly primaryApplied: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly diverging: number;
}

export interface AdviceDrain {
  readonly purpose: AdviceDrainPurpose;
  /** Stand-in's advices for the accounts when the consumer started. */
  readonly advices: number;
  /** Of those, not yet relayed to Pub/Sub by stand-in at the start. */
  readonly unpublishedAtStart: number;
  readonly appliedAtStart: number;
  readonly appliedAtEnd: number;
  /** Every advice applied in primary within the timeout. */
  readonly drained: boolean;
  /** From spawning the consumer until it answered /health. */
  readonly consumerStartMs: number;
  /** From spawning the consumer until the watcher saw every advice applied (polled every `pollMs`); null if it never did. */
  readonly allAppliedSeenAfterMs: number | null;
  /** From spawning the consumer to primary's first and last `applied_at` for the accounts: exact, not polled. */
  readonly firstAppliedAfterMs: number | null;
  readonly lastAppliedAfterMs: number | null;
  /** Advices applied during the drain per second, from the consumer's spawn to the last one applied (start-up included). */
  readonly advicesPerSecond: number | null;
  /** The same from the first advice applied to the last: the rate once the consumer was applying. */
  readonly advicesPerSecondWhileApplying: number | null;
  readonly reconciliation: ReconciliationOutcome | null;
  /** The consumer's counters at the end: outcomes by kind, and advices it had to re-drive from stand-in's log (not delivered by Pub/Sub). */
  readonly consumerOutcomes: Readonly<Record<string, number>>;
  readonly redrivenFromStandinLog: number | null;
  readonly consumerEnv: NodeJS.ProcessEnv;
  readonly cpu: CpuUsage;
  /** `clean-up` only: the consumer going quiet afterwards (null: not waited for). */
  readonly subscriptionQuiet: ConsumerQuiet | null;
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
const DEFAULT_QUIET_TIMEOUT_MS = 180_000;

const RECONCILIATION_ACCOUNTS_PER_REQUEST = 200;

interface ReconciliationReport {
  clean: boolean;
  standinAdvices: number;
  primaryApplied: number;
  accounts: { missing: unknown[]; duplicated: unknown[]; diverging: unknown[] }[];
}

async function reconcileUntilClean(
  consumer: ServiceProcess,
  accountIds: readonly string[],
  timeoutMs: number,
  spawnedAt: number,
): Promise<ReconciliationOutcome> {
  let last: ReconciliationReport | undefined;
  let reports = 0;
  let lastAt = Date.now();
  // A few hundred accounts per request: 1,000 ids in the query string pass Node's 16 KiB limit on a
  // request's head, and the consumer answered 431 (a 20,000-advice run reported "not clean" for it).
  const chunks: string[][] = [];
  for (let index = 0; index < accountIds.length; index += RECONCILIATION_ACCOUNTS_PER_REQUEST)
    chunks.push(accountIds.slice(index, index + RECONCILIATION_ACCOUNTS_PER_REQUEST));
  const { done } = await pollUntil(
    async () => {
      const parts: ReconciliationReport[] = [];
      for (const chunk of chunks) {
        const response = await fetch(`${consumer.url}/internal/reconciliation?accounts=${chunk.join(',')}`, {
          headers: { authorization: `Bearer ${OPERATOR.token}` },
          signal: AbortSignal.timeout(30_000),
        });
        if (!response.ok) throw new Error(`reconciliation answered ${response.status}`);
        parts.push((await response.json()) as ReconciliationReport);
      }
      last = {
        clean: parts.every((part) => part.clean),
        standinAdvices: parts.reduce((total, part) => total + part.standinAdvices, 0),
        primaryApplied: parts.reduce((total, part) => total + part.primaryApplied, 0),
        accounts: parts.flatMap((part) => part.accounts),
      };
      lastAt = Date.now();
      reports++;
      return last.clean;
    },
    timeoutMs,
    1_000,
  );
  const sum = (pick: (account: ReconciliationReport['accounts'][number]) => unknown[]) =>
    (last?.accounts ?? []).reduce((total, account) => total + pick(account).length, 0);
  return {
    clean: done && last?.clean === true,
    afterMs: lastAt - spawnedAt,
    reports,
    standinAdvices: last?.standinAdvices ?? 0,
    primaryApplied: last?.primaryApplied ?? 0,
    missing: sum((account) => account.missing),
    duplicated: sum((account) => account.duplicated),
    diverging: sum((account) => account.diverging),
  };
}

/** Starts the stack's advice consumer and waits for stand-in's advices for the probe's accounts to be applied in primary. */
export async function drainAdvices(stack: BenchStack, probe: SyncProbe, options: AdviceDrainOptions): Promise<AdviceDrain> {
  const pollMs = options.pollMs ?? 250;
  const consumerEnv = PRODUCTION_CONSUMER_ENV;
  const atStart = await probe.adviceProgress();
  let consumer: ServiceProcess | undefined;
  const meter = cpuMeter({ ...options.cpuRoots, 'advice consumer': () => consumer?.pid() });
  const spawnedAt = Date.now();
  const { value, cpu } = await meter.measure(async () => {
    consumer = await stack.startAdviceConsumer(consumerEnv);
    const consumerStartMs = Date.now() - spawnedAt;
    let progress = atStart;
    const applied = await pollUntil(
      async () => {
        progress = await probe.adviceProgress();
        return progress.appliedInPrimary >= progress.standin;
      },
      options.timeoutMs,
      pollMs,
    );
    return { consumer, consumerStartMs, applied, progress };
  });
  const { progress, applied, consumerStartMs } = value;
  const reconciliation = options.reconcile
    ? await reconcileUntilClean(value.consumer, options.reconcile.accountIds, options.reconcile.timeoutMs, spawnedAt)
    : null;
  const subscriptionQuiet =
    options.purpose === 'clean-up' && applied.done ? await waitForConsumerQuiet(value.consumer, options.quietTimeoutMs ?? DEFAULT_QUIET_TIMEOUT_MS) : null;
  const counters = await readConsumerCounters(value.consumer).catch(() => ({ outcomes: {}, redriven: null }));

  const sinceSpawn = (at: Date | null) => (at === null ? null : at.getTime() - spawnedAt);
  const drainedCount = progress.appliedInPrimary - atStart.appliedInPrimary;
  // Only advices applied during this drain: an earlier drain's first applied_at says nothing here.
  const firstAppliedAfterMs = atStart.appliedInPrimary === 0 ? sinceSpawn(progress.firstAppliedAt) : null;
  const lastAppliedAfterMs = drainedCount > 0 ? sinceSpawn(progress.lastAppliedAt) : null;
  const perSecond = (count: number, ms: number | null) => (ms !== null && ms > 0 ? round(count / (ms / 1000), 1) : null);
  return {
    purpose: options.purpose,
    advices: atStart.standin,
    unpublishedAtStart: atStart.unpublished,
    appliedAtStart: atStart.appliedInPrimary,
    appliedAtEnd: progress.appliedInPrimary,
    drained: applied.done,
    consumerStartMs,
    allAppliedSeenAfterMs: applied.done ? applied.waitedMs + consumerStartMs : null,
    firstAppliedAfterMs,
    lastAppliedAfterMs,
    advicesPerSecond: perSecond(drainedCount, lastAppliedAfterMs),
    advicesPerSecondWhileApplying:
      firstAppliedAfterMs !== null && lastAppliedAfterMs !== null ? perSecond(drainedCount - 1, lastAppliedAfterMs - firstAppliedAfterMs) : null,
    reconciliation,
    consumerOutcomes: counters.outcomes,
    redrivenFromStandinLog: counters.redriven,
    consumerEnv,
    cpu,
    subscriptionQuiet,
  };
}
