import { assertAllStarted, createInfra } from '@bank/infra';
import { drainAdvices, type AdviceDrain } from '../shared/advice-drain-watch';
import { authorisationMessages, newRunTag } from '../shared/authorisation-messages';
import type { BenchAccount } from '../shared/bench-cards';
import { startBenchStack, syncPathCpuMeter, type BenchStack } from '../shared/bench-stack';
import type { CpuUsage } from '../shared/cpu-usage';
import { disturbedComponents } from '../shared/infra-interference';
import { forkLoadWorker, type LoadWorker } from '../shared/load-worker-client';
import type { PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { ensurePgbenchDatabase, measurePgbenchTps, PGBENCH_DATABASE, settleAfterPgbench, type PgbenchResult } from '../shared/pgbench-reference';
import { PRIMARY_AUTH_PARAMETERS } from '../primary-auth/benchmark';
import type { CatchUp, SyncProbe } from '../shared/sync-progress';
import { setUpSyncedAccounts, type SyncedAccountsSetup } from '../shared/synced-accounts';
import { bearerOf } from '../../stack/credentials';

// Stand-in's card authorisation throughput and p99 at saturation, with primary's measured in the
// same run, with the same load shape (closed loop, primary-auth's concurrency) and duration, on
// the same cards (synced to stand-in before it is measured).

export const STANDIN_AUTH_PARAMETERS = {
  accounts: PRIMARY_AUTH_PARAMETERS.accounts,
  fundingMinor: PRIMARY_AUTH_PARAMETERS.fundingMinor,
  concurrency: PRIMARY_AUTH_PARAMETERS.concurrency,
  requestTimeoutMs: PRIMARY_AUTH_PARAMETERS.requestTimeoutMs,
  warmUpMs: PRIMARY_AUTH_PARAMETERS.warmUpMs,
  saturationMs: PRIMARY_AUTH_PARAMETERS.saturationMs,
  /** How long stand-in may take to see every bench card. */
  cardSyncTimeoutMs: 60_000,
  /** After the set-up, and between the platforms: the syncer finishes primary's events so it is idle while stand-in is measured. */
  catchUpTimeoutMs: 40_000,
  /**
   * Afterwards (not measured: advice-drain is the benchmark for that): an advice consumer has
   * primary apply stand-in's advices, so that they do not wait in the shared Pub/Sub subscription
   * for whoever's advice consumer runs next.
   */
  adviceDrainTimeoutMs: 300_000,
  /** Stand-in at half its saturation rate, open loop: a few seconds unmeasured, then measured. */
  halfRateWarmUpMs: PRIMARY_AUTH_PARAMETERS.halfRateWarmUpMs,
  halfRateMs: PRIMARY_AUTH_PARAMETERS.halfRateMs,
  halfRateFraction: PRIMARY_AUTH_PARAMETERS.halfRateFraction,
  /** pgbench -N on stand-in's PostgreSQL cluster, in the same run: what its database can do here. */
  pgbench: PRIMARY_AUTH_PARAMETERS.pgbench,
} as const;

export const STANDIN_AUTH_TARGETS = {
  /** Stand-in's saturation throughput at least this multiple of primary's. */
  minThroughputToPrimaryRatio: 1,
  /** And at least this fraction of pgbench -N on its own cluster (issue 15). */
  minThroughputToPgbenchRatio: 0.4,
  /** p99 at half its saturation rate at most this. */
  maxHalfRateP99Ms: 20,
} as const;

export type MeasuredPhase = PhaseResult & { readonly cpu: CpuUsage };

interface PlatformFigures {
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly answered: number;
  readonly approved: number;
  readonly errors: number;
}

export interface StandinAuthResult {
  readonly benchmark: 'standin-auth';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly parameters: typeof STANDIN_AUTH_PARAMETERS & {
    readonly runTags: { readonly primary: string; readonly standin: string };
    readonly standinLimits: BenchStack['standinLimits'];
  };
  readonly figures: {
    readonly primary: PlatformFigures;
    readonly standin: PlatformFigures;
    readonly standinToPrimaryThroughputRatio: number;
    readonly standinPgbenchTps: number;
    readonly standinToPgbenchThroughputRatio: number;
    readonly standinHalfRate: { readonly ratePerSecond: number; readonly p50Ms: number; readonly p99Ms: number; readonly errors: number };
    /** Statements stand-in sent its database per authorisation (its own counter), when the build reports it. */
    readonly standinDatabaseCallsPerAuthorisation: number | null;
  };
  readonly targets: {
    readonly standinThroughputAtLeastPrimary: { readonly requiredRatio: number; readonly actual: number; readonly met: boolean };
    readonly standinThroughputToPgbench: { readonly requiredRatio: number; readonly actual: number; readonly met: boolean };
    readonly standinHalfRateP99: { readonly maxMs: number; readonly actual: number; readonly met: boolean };
  };
  readonly phases: {
    readonly primaryWarmUp: MeasuredPhase;
    readonly primary: MeasuredPhase;
    readonly standinWarmUp: MeasuredPhase;
    readonly standin: MeasuredPhase;
    readonly standinHalfRate: MeasuredPhase;
    readonly standinPgbench: PgbenchResult & { readonly cpu: CpuUsage };
  };
  /** One authorisation sent to stand-in before the load: who answered, and how. */
  readonly standinSanityCheck: { readonly httpStatus: number; readonly responseCode: string | null; readonly decidedBy: string | null };
  readonly setup: SyncedAccountsSetup & { readonly syncCatchUpBeforeStandin: CatchUp };
  readonly advicesAfterwards: AdviceDrain;
  readonly disturbedInfrastructure: readonly string[];
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/** Stand-in's own counters: database calls for card authorisations, and card decisions (null where the build has no such counter). */
async function standinCardCounters(standinUrl: string): Promise<{ calls: number | null; decisions: number }> {
  const text = await (await fetch(`${standinUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const sum = (name: string) => {
    const lines = text.split('\n').filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
    return lines.length === 0 ? null : lines.reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  };
  return { calls: sum('standin_card_database_calls_total'), decisions: sum('standin_card_decisions_total') ?? 0 };
}
const log = (line: string) => console.log(`[standin-auth] ${line}`);

function platformFigures(phase: PhaseResult): PlatformFigures {
  return {
    throughputPerSecond: phase.throughputPerSecond,
    p50Ms: phase.latencyMs.p50Ms,
    p99Ms: phase.latencyMs.p99Ms,
    maxMs: phase.latencyMs.maxMs,
    answered: phase.answered,
    approved: phase.approved,
    errors: phase.errors,
  };
}

/** One authorisation straight to stand-in: proves it answers for the bench cards, and as itself. */
async function standinSanityCheck(standinUrl: string, account: BenchAccount): Promise<StandinAuthResult['standinSanityCheck']> {
  const response = await fetch(`${standinUrl}/scheme/card/authorisations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearerOf('gateway') },
    body: authorisationMessages(newRunTag(), [account.card]).next(),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as { responseCode?: unknown; decidedBy?: unknown };
  return {
    httpStatus: response.status,
    responseCode: typeof body.responseCode === 'string' ? body.responseCode : null,
    decidedBy: typeof body.decidedBy === 'string' ? body.decidedBy : null,
  };
}

async function measurePlatform(
  worker: LoadWorker,
  measure: <T>(work: () => Promise<T>) => Promise<{ value: T; cpu: CpuUsage }>,
  target: { name: string; baseUrl: string; cards: readonly BenchAccount[]; runTag: string },
): Promise<{ warmUp: MeasuredPhase; saturation: MeasuredPhase }> {
  const parameters = STANDIN_AUTH_PARAMETERS;
  await worker.configure({
    baseUrl: target.baseUrl,
    cards: target.cards.map((account) => account.card),
    maxSockets: parameters.concurrency,
    requestTimeoutMs: parameters.requestTimeoutMs,
    runTag: target.runTag,
  });
  const run = async (name: string, durationMs: number): Promise<MeasuredPhase> => {
    const { value, cpu } = await measure(() => worker.run({ kind: 'closed-loop', name, durationMs, concurrency: parameters.concurrency }));
    return { ...value, cpu };
  };
  log(
    `${target.name}: warm-up ${parameters.warmUpMs / 1000} s, then saturation ${parameters.saturationMs / 1000} s, closed loop, ${parameters.concurrency} in flight`,
  );
  const warmUp = await run(`${target.name} warm-up`, parameters.warmUpMs);
  const saturation = await run(`${target.name} saturation`, parameters.saturationMs);
  log(
    `${target.name}: ${saturation.throughputPerSecond}/s, p99 ${saturation.latencyMs.p99Ms} ms, ${saturation.approved} approved of ${saturation.answered}, ${saturation.errors} errors`,
  );
  if (!(saturation.throughputPerSecond > 0)) throw new Error(`${target.name} answered nothing (errors: ${JSON.stringify(saturation.errorKinds)})`);
  return { warmUp, saturation };
}

export async function runStandinAuthBenchmark(): Promise<StandinAuthResult> {
  const machine = machineInfo();
  const infra = createInfra();

  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  const stack = await startBenchStack(infra.config, 'standin-auth', log);
  const parameters = { ...STANDIN_AUTH_PARAMETERS, runTags: { primary: newRunTag(), standin: newRunTag() }, standinLimits: stack.standinLimits };
  log(`stand-in's risk limits raised to ${parameters.standinLimits.perPaymentMinor} pence per payment and per account per day (defaults 50,000 and 150,000)`);
  const worker = forkLoadWorker();
  let probe: SyncProbe | undefined;
  let result: StandinAuthResult;
  try {
    const synced = await setUpSyncedAccounts(stack, parameters, log);
    probe = synced.probe;
    const accounts = synced.accounts;

    const statuses = await infra.status();
    const meter = syncPathCpuMeter(stack, worker.pid, statuses);
    const primary = await measurePlatform(worker, meter.measure, {
      name: 'primary',
      baseUrl: stack.primary.url,
      cards: accounts,
      runTag: parameters.runTags.primary,
    });

    log('waiting for the syncer to bring stand-in up to date, so it is idle while stand-in is measured');
    const catchUp = await probe.waitForCatchUp(parameters.catchUpTimeoutMs);
    log(
      `stand-in ${catchUp.caughtUp ? 'caught up' : 'still behind'} after ${round(catchUp.waitedMs / 1000, 1)} s (${catchUp.syncedEvents} of ${catchUp.primaryEvents} events)`,
    );
    const sanity = await standinSanityCheck(stack.standin.url, accounts[0] as BenchAccount);
    log(`stand-in sanity check: HTTP ${sanity.httpStatus}, response code ${sanity.responseCode}, decided by ${sanity.decidedBy}`);
    if (sanity.httpStatus !== 200 || sanity.decidedBy !== 'standin')
      throw new Error(`stand-in did not answer a bench card's authorisation as itself: ${JSON.stringify(sanity)}`);
    const countersBefore = await standinCardCounters(stack.standin.url);
    const standin = await measurePlatform(worker, meter.measure, {
      name: 'stand-in',
      baseUrl: stack.standin.url,
      cards: accounts,
      runTag: parameters.runTags.standin,
    });
    const countersAfter = await standinCardCounters(stack.standin.url);
    const callsPerAuthorisation =
      countersBefore.calls === null || countersAfter.calls === null
        ? null
        : round((countersAfter.calls - countersBefore.calls) / Math.max(1, countersAfter.decisions - countersBefore.decisions), 3);
    log(`stand-in: ${callsPerAuthorisation ?? 'not counted by this build:'} database calls per authorisation`);

    const halfRate = round(standin.saturation.throughputPerSecond * parameters.halfRateFraction, 1);
    log(
      `stand-in at half its saturation rate: ${halfRate}/s open loop (${parameters.halfRateWarmUpMs / 1000} s unmeasured, then ${parameters.halfRateMs / 1000} s)`,
    );
    await meter.measure(() =>
      worker.run({ kind: 'open-loop', name: 'stand-in half-rate warm-up', durationMs: parameters.halfRateWarmUpMs, ratePerSecond: halfRate }),
    );
    const halfRun = await meter.measure(() =>
      worker.run({ kind: 'open-loop', name: 'stand-in half rate', durationMs: parameters.halfRateMs, ratePerSecond: halfRate }),
    );
    const standinHalfRate: MeasuredPhase = { ...halfRun.value, cpu: halfRun.cpu };
    log(`stand-in half rate: p50 ${standinHalfRate.latencyMs.p50Ms} ms, p99 ${standinHalfRate.latencyMs.p99Ms} ms, ${standinHalfRate.errors} errors`);

    log(`pgbench -N on stand-in's cluster: preparing database ${PGBENCH_DATABASE} (scale ${parameters.pgbench.scale})`);
    await ensurePgbenchDatabase(stack.databases.standin, parameters.pgbench.scale);
    const pgbenchRun = await meter.measure(() => measurePgbenchTps(stack.databases.standin, parameters.pgbench));
    const standinPgbench = { ...pgbenchRun.value, cpu: pgbenchRun.cpu };
    log(`pgbench -N on stand-in's cluster: ${standinPgbench.tps} TPS`);
    await settleAfterPgbench(stack.databases.standin);

    const disturbed = disturbedComponents(statuses, await infra.status());
    if (disturbed.length > 0) log(`warning: infrastructure disturbed during the run: ${disturbed.join(', ')}`);

    log(`letting primary apply stand-in's advices (at most ${parameters.adviceDrainTimeoutMs / 1000} s)`);
    const advices = await drainAdvices(stack, probe, { purpose: 'clean-up', timeoutMs: parameters.adviceDrainTimeoutMs, pollMs: 1_000 });
    log(
      `advices: ${advices.appliedAtEnd} of ${advices.advices} applied in primary, the last ${round((advices.lastAppliedAfterMs ?? Number.NaN) / 1000, 1)} s after the advice consumer started`,
    );

    const ratio = round(standin.saturation.throughputPerSecond / primary.saturation.throughputPerSecond, 3);
    const pgbenchRatio = round(standin.saturation.throughputPerSecond / standinPgbench.tps, 3);
    result = {
      benchmark: 'standin-auth',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine, {
        processes:
          "the load process, primary, stand-in, both PostgreSQL clusters, Kafka, the syncer and the Pub/Sub emulator share them: primary's figure includes its sync path (outbox relay, Kafka, the syncer writing to stand-in's database), stand-in's its advice relay to Pub/Sub",
        meaning: 'the figures compare the two platforms on this machine, they are not production capacity',
      }),
      parameters,
      figures: {
        primary: platformFigures(primary.saturation),
        standin: platformFigures(standin.saturation),
        standinToPrimaryThroughputRatio: ratio,
        standinPgbenchTps: round(standinPgbench.tps, 1),
        standinToPgbenchThroughputRatio: pgbenchRatio,
        standinHalfRate: {
          ratePerSecond: halfRate,
          p50Ms: standinHalfRate.latencyMs.p50Ms,
          p99Ms: standinHalfRate.latencyMs.p99Ms,
          errors: standinHalfRate.errors,
        },
        standinDatabaseCallsPerAuthorisation: callsPerAuthorisation,
      },
      targets: {
        standinThroughputAtLeastPrimary: {
          requiredRatio: STANDIN_AUTH_TARGETS.minThroughputToPrimaryRatio,
          actual: ratio,
          met: ratio >= STANDIN_AUTH_TARGETS.minThroughputToPrimaryRatio,
        },
        standinThroughputToPgbench: {
          requiredRatio: STANDIN_AUTH_TARGETS.minThroughputToPgbenchRatio,
          actual: pgbenchRatio,
          met: pgbenchRatio >= STANDIN_AUTH_TARGETS.minThroughputToPgbenchRatio,
        },
        standinHalfRateP99: {
          maxMs: STANDIN_AUTH_TARGETS.maxHalfRateP99Ms,
          actual: standinHalfRate.latencyMs.p99Ms,
          met: standinHalfRate.latencyMs.p99Ms <= STANDIN_AUTH_TARGETS.maxHalfRateP99Ms,
        },
      },
      phases: {
        primaryWarmUp: primary.warmUp,
        primary: primary.saturation,
        standinWarmUp: standin.warmUp,
        standin: standin.saturation,
        standinHalfRate,
        standinPgbench,
      },
      standinSanityCheck: sanity,
      setup: { ...synced.setup, syncCatchUpBeforeStandin: catchUp },
      advicesAfterwards: advices,
      disturbedInfrastructure: disturbed,
    };
  } finally {
    await probe?.close();
    await worker.stop().catch((error: unknown) => log(`could not stop the load generator: ${(error as Error).message}`));
    await stack.stop();
    log('load generator, primary, stand-in, syncer and advice consumer stopped; the infrastructure is left running');
  }
  return result;
}
