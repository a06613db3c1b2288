import { assertAllStarted, createInfra } from '@bank/infra';
import { drainAdvices, type AdviceDrain } from '../shared/advice-drain-watch';
import { newRunTag } from '../shared/authorisation-messages';
import { pollUntil, startBenchStack, type BenchStack } from '../shared/bench-stack';
import { disturbedComponents } from '../shared/infra-interference';
import { forkLoadWorker } from '../shared/load-worker-client';
import type { PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { PRIMARY_AUTH_PARAMETERS } from '../primary-auth/benchmark';
import { readRoundTrips } from '../primary-auth/primary-round-trips';
import { buildMixedBacklog, MIXED_ADVICES_PER_ACCOUNT, type MixedBacklog } from './mixed-backlog';
import { appliedByType, type AppliedByType } from './applied-by-type';
import type { SyncProbe } from '../shared/sync-progress';
import { setUpSyncedAccounts, type SyncedAccountsSetup } from '../shared/synced-accounts';

// A backlog of stand-in's advices reaching primary: stand-in approves card payments for synced
// customers (its scheme API) while no advice consumer runs, so every approval's advice waits in
// Pub/Sub; then an advice consumer starts, and the benchmark measures how long until primary has
// applied every one and the reconciliation report for the run's accounts is clean, and how many
// advices a second that is. Each backlog size is a run of its own: its own databases (stand-in's
// advice log, which reconciliation reads, holds only the run's advices) and its own Pub/Sub
// project (its consumer gets only the run's advices, so the out-of-order and duplicate counts are
// the run's alone). The sizes run one after the other, so the drain times can be compared: the
// cost should grow linearly with the backlog.

/** Per account, the mixed part of the backlog (mixed-backlog.ts): a backlog must hold at least that many advices per account. */
export interface AdviceDrainSizes {
  /** `ADVICE_DRAIN_ADVICES`: backlog sizes, comma-separated (default 20,000 then 100,000). */
  readonly advices: readonly number[];
  /** `ADVICE_DRAIN_ACCOUNTS` (default 1,000): the accounts every run's backlog is spread over. */
  readonly accounts: number;
}

/**
 * The sizes asked for, checked before anything starts: each backlog must at least hold every
 * account's mixed advices (the rest are card purchases), or the run would fail minutes later.
 */
export function adviceDrainSizes(env: NodeJS.ProcessEnv = process.env): AdviceDrainSizes {
  const wholeNumber = (name: string, raw: string): number => {
    const value = Number(raw.trim());
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name}: expected positive whole numbers, got ${JSON.stringify(raw)}`);
    return value;
  };
  const accounts = wholeNumber('ADVICE_DRAIN_ACCOUNTS', env.ADVICE_DRAIN_ACCOUNTS ?? '1000');
  const advices = (env.ADVICE_DRAIN_ADVICES ?? '20000,100000').split(',').map((raw) => wholeNumber('ADVICE_DRAIN_ADVICES', raw));
  const least = accounts * MIXED_ADVICES_PER_ACCOUNT;
  const small = advices.filter((size) => size < least);
  if (small.length > 0)
    throw new Error(
      `ADVICE_DRAIN_ADVICES=${small.join(',')} is smaller than the mixed part of the backlog: ${accounts} accounts (ADVICE_DRAIN_ACCOUNTS) × ${MIXED_ADVICES_PER_ACCOUNT} advices each = ${least}. Ask for at least ${least} advices, or fewer accounts.`,
    );
  return { advices, accounts };
}

const APPROVALS_PER_SECOND = 500;

function adviceDrainParameters(sizes: { advices: number; accounts: number }) {
  const approvals = sizes.advices - sizes.accounts * MIXED_ADVICES_PER_ACCOUNT;
  return {
    accounts: sizes.accounts,
    fundingMinor: PRIMARY_AUTH_PARAMETERS.fundingMinor,
    cardSyncTimeoutMs: 180_000,
    catchUpTimeoutMs: 120_000,
    /** The backlog asked for: card purchases approved by stand-in, then per account the mixed advices (mixed-backlog.ts). */
    advices: sizes.advices,
    /** The purchases: at this rate (within stand-in's capacity) for as long as their number needs, one advice each (none: no purchase phase). */
    backlog: { ratePerSecond: APPROVALS_PER_SECOND, durationMs: Math.ceil((approvals / APPROVALS_PER_SECOND) * 1000) },
    mixedConcurrency: 32,
    maxSockets: PRIMARY_AUTH_PARAMETERS.concurrency,
    requestTimeoutMs: PRIMARY_AUTH_PARAMETERS.requestTimeoutMs,
    /** Stand-in's relay publishes the backlog to Pub/Sub before the consumer starts: the drain is the consumer's and primary's. */
    relayTimeoutMs: Math.max(60_000, sizes.advices * 3),
    /** From the consumer's start until primary has applied every advice. */
    drainTimeoutMs: Math.max(180_000, sizes.advices * 10),
    reconciliationTimeoutMs: 60_000,
  } as const;
}

export type AdviceDrainParameters = ReturnType<typeof adviceDrainParameters>;

/** Every run, one per backlog size, in the order run. */
export interface AdviceDrainResult {
  readonly benchmark: 'advice-drain';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly runs: readonly AdviceDrainRun[];
  /** Seconds to drain per 1,000 advices, per run (equal if the cost grows linearly). */
  readonly secondsPerThousand: readonly (number | null)[];
}

export interface AdviceDrainRun {
  readonly timestamp: string;
  /** The machine as the run started (its load average: other work on it slows the drain). */
  readonly machine: MachineInfo;
  readonly parameters: AdviceDrainParameters & { readonly runTag: string; readonly standinLimits: BenchStack['standinLimits'] };
  readonly figures: {
    readonly advices: number;
    readonly drainSeconds: number | null;
    readonly advicesPerSecond: number | null;
    readonly advicesPerSecondWhileApplying: number | null;
    readonly reconciliationCleanAfterSeconds: number | null;
    readonly redrivenFromStandinLog: number | null;
    /** Advices primary refused as out of order (each account's must be published and applied in sequence: 0 expected). */
    readonly outOfOrderRefusals: number;
    /** Deliveries primary already had (acknowledged, nothing applied twice). */
    readonly duplicateDeliveries: number;
    /** Advices applied twice, by the reconciliation report (0 expected). */
    readonly duplicatesApplied: number | null;
    /** Every query primary sent during the drain (its relay's and refreshes included), per advice applied. */
    readonly roundTripsPerAdvice: number | null;
  };
  /** Per advice type: how many, and at what rate while that type was being applied. */
  readonly byType: AppliedByType;
  readonly mixed: MixedBacklog;
  /** The card purchases' load (null when the backlog is only the mixed part), and when Pub/Sub had the whole backlog. */
  readonly backlog: { readonly purchases: PhaseResult | null; readonly relayedToPubSubAfterMs: number; readonly relayed: boolean };
  readonly drain: AdviceDrain;
  readonly setup: SyncedAccountsSetup;
  readonly disturbedInfrastructure: readonly string[];
}

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;
const log = (line: string) => console.log(`[advice-drain] ${line}`);
const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2));

export async function runAdviceDrainBenchmark(): Promise<AdviceDrainResult> {
  const sizes = adviceDrainSizes();
  const machine = machineInfo();
  const infra = createInfra();
  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  const runs: AdviceDrainRun[] = [];
  for (const advices of sizes.advices) {
    log(`--- a backlog of ${advices} advices over ${sizes.accounts} accounts ---`);
    runs.push(await drainOnce(infra, { advices, accounts: sizes.accounts }));
  }
  return {
    benchmark: 'advice-drain',
    timestamp: new Date().toISOString(),
    machine,
    note: sharedMachineNote(machine, {
      processes:
        "the advice consumer, the Pub/Sub emulator, primary, its PostgreSQL (and the syncer, Kafka and stand-in, which take primary's resulting events) share them",
      meaning: "the rate is this machine's with the Pub/Sub emulator, not production's",
    }),
    runs,
    secondsPerThousand: runs.map((run) => (run.figures.drainSeconds === null ? null : round((run.figures.drainSeconds / run.figures.advices) * 1000, 3))),
  };
}

async function drainOnce(infra: ReturnType<typeof createInfra>, sizes: { advices: number; accounts: number }): Promise<AdviceDrainRun> {
  const machine = machineInfo();
  const stack = await startBenchStack(infra.config, 'advice-drain', log, { ownDatabases: true, fasterPaymentsScheme: true, ownPubSub: true });
  const parameters = { ...adviceDrainParameters(sizes), runTag: newRunTag(), standinLimits: stack.standinLimits };
  const worker = forkLoadWorker();
  let probe: SyncProbe | undefined;
  let result: AdviceDrainRun;
  try {
    const synced = await setUpSyncedAccounts(stack, parameters, log);
    probe = synced.probe;
    const statuses = await infra.status();

    const { ratePerSecond, durationMs } = parameters.backlog;
    await worker.configure({
      baseUrl: stack.standin.url,
      cards: synced.accounts.map((account) => account.card),
      maxSockets: parameters.maxSockets,
      requestTimeoutMs: parameters.requestTimeoutMs,
      runTag: parameters.runTag,
    });
    let load: PhaseResult | null = null;
    if (durationMs > 0) {
      log(`backlog: ${ratePerSecond}/s approvals through stand-in's scheme API for ${durationMs / 1000} s, no advice consumer running`);
      load = await worker.run({ kind: 'open-loop', name: 'backlog through stand-in', durationMs, ratePerSecond });
      if ((load.decidedBy.standin ?? 0) === 0)
        throw new Error(
          `stand-in decided none of the backlog's authorisations (answered by ${JSON.stringify(load.decidedBy)}, errors ${JSON.stringify(load.errorKinds)})`,
        );
    }
    log(
      `backlog: per account an ATM withdrawal, a purchase reversed in part, a Faster Payment in and out, a freeze and an unfreeze (${parameters.mixedConcurrency} at once)`,
    );
    const mixed = await buildMixedBacklog({
      standinUrl: stack.standin.url,
      accounts: synced.accounts,
      runTag: parameters.runTag,
      concurrency: parameters.mixedConcurrency,
    });
    log(`backlog: ${mixed.calls} calls in ${round(mixed.elapsedMs / 1000)} s; not as expected: ${JSON.stringify(mixed.failures)}`);
    let relayedProgress = await probe.adviceProgress();
    const relayed = await pollUntil(async () => {
      relayedProgress = await probe!.adviceProgress();
      return relayedProgress.unpublished === 0;
    }, parameters.relayTimeoutMs);
    log(
      `backlog: ${load?.approved ?? 0} approved by stand-in (${load?.errors ?? 0} errors), ${relayedProgress.standin} advices, all relayed to Pub/Sub ${relayed.done ? `${round(relayed.waitedMs / 1000)} s after the load` : 'NOT within the timeout'}`,
    );

    const pidOf = (name: string) => statuses.find((status) => status.name === name)?.pid;
    log(
      `starting the advice consumer (production re-drive settings: only Pub/Sub delivers within ${parameters.drainTimeoutMs / 1000} s unless advices go missing)`,
    );
    const roundTripsBefore = await readRoundTrips(stack.primary.url);
    const drain = await drainAdvices(stack, probe, {
      purpose: 'measure',
      timeoutMs: parameters.drainTimeoutMs,
      reconcile: { accountIds: synced.accounts.map((account) => account.accountId), timeoutMs: parameters.reconciliationTimeoutMs },
      cpuRoots: {
        primary: () => stack.primary.pid(),
        'postgres (primary)': pidOf('pg-primary'),
        'stand-in': () => stack.standin.pid(),
        'postgres (stand-in)': pidOf('pg-standin'),
        'pub/sub emulator': pidOf('pubsub'),
        kafka: pidOf('kafka'),
        syncer: () => stack.syncer.pid(),
        runner: process.pid,
      },
    });
    const roundTripsAfter = await readRoundTrips(stack.primary.url);
    const drained = drain.appliedAtEnd - drain.appliedAtStart;
    const roundTripsPerAdvice =
      drained > 0 ? round((roundTripsAfter.main + roundTripsAfter.card - roundTripsBefore.main - roundTripsBefore.card) / drained, 2) : null;
    const byType = await appliedByType(
      stack.databases.primary,
      synced.accounts.map((account) => account.accountId),
    );
    log(
      `drain: ${drain.appliedAtEnd} of ${drain.advices} applied, the last ${seconds(drain.lastAppliedAfterMs)} s after the consumer was started (${drain.advicesPerSecond}/s); reconciliation ${drain.reconciliation?.clean ? `clean after ${seconds(drain.reconciliation.afterMs)} s` : 'NOT clean'}`,
    );

    const disturbed = disturbedComponents(statuses, await infra.status());
    if (disturbed.length > 0) log(`warning: infrastructure disturbed during the run: ${disturbed.join(', ')}`);
    result = {
      timestamp: new Date().toISOString(),
      machine,
      parameters,
      figures: {
        advices: drain.advices,
        drainSeconds: drain.drained ? seconds(drain.lastAppliedAfterMs) : null,
        advicesPerSecond: drain.advicesPerSecond,
        advicesPerSecondWhileApplying: drain.advicesPerSecondWhileApplying,
        reconciliationCleanAfterSeconds: drain.reconciliation?.clean ? seconds(drain.reconciliation.afterMs) : null,
        redrivenFromStandinLog: drain.redrivenFromStandinLog,
        outOfOrderRefusals: drain.consumerOutcomes.out_of_order ?? 0,
        duplicateDeliveries: drain.consumerOutcomes.duplicate ?? 0,
        duplicatesApplied: drain.reconciliation?.duplicated ?? null,
        roundTripsPerAdvice,
      },
      byType,
      mixed,
      backlog: { purchases: load, relayedToPubSubAfterMs: relayed.waitedMs, relayed: relayed.done },
      drain,
      setup: synced.setup,
      disturbedInfrastructure: disturbed,
    };
  } finally {
    await probe?.close();
    await worker.stop().catch((error: unknown) => log(`could not stop the load generator: ${(error as Error).message}`));
    await stack.stop();
    log("load generator, primary, stand-in, syncer and advice consumer stopped, the run's databases dropped; the infrastructure is left running");
  }
  return result;
}
