import { assertAllStarted, createInfra } from '@bank/infra';
import { newRunTag } from '../shared/authorisation-messages';
import { setUpBenchAccounts } from '../shared/bench-cards';
import { startBenchStack, syncPathCpuMeter, type BenchStack } from '../shared/bench-stack';
import type { CpuUsage } from '../shared/cpu-usage';
import { disturbedComponents } from '../shared/infra-interference';
import { forkLoadWorker } from '../shared/load-worker-client';
import type { PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { PRIMARY_AUTH_PARAMETERS } from '../primary-auth/benchmark';
import { openSyncProbe, type CatchUp, type WindowLag } from '../shared/sync-progress';
import { histogramDelta, readSyncerLagHistogram, type HistogramDelta } from './syncer-lag-histogram';

// Sync lag (primary's event time to visible in stand-in) while primary takes card
// authorisations at a fixed rate: primary, stand-in and the syncer are this run's own child
// processes; the lag of every event the load produced is read from stand-in's synced_events.

export const SYNC_LAG_PARAMETERS = {
  accounts: PRIMARY_AUTH_PARAMETERS.accounts,
  fundingMinor: PRIMARY_AUTH_PARAMETERS.fundingMinor,
  /** Connections to primary, as in primary-auth; open loop sends on schedule whatever is in flight. */
  maxSockets: PRIMARY_AUTH_PARAMETERS.concurrency,
  requestTimeoutMs: PRIMARY_AUTH_PARAMETERS.requestTimeoutMs,
  /** An answer later than this after its scheduled send time is reported as late. */
  lateAfterMs: 1_000,
  /** Unmeasured, before the first rate: warms primary, the syncer and stand-in up. */
  warmUp: { ratePerSecond: 300, durationMs: 3_000 },
  /**
   * The sustainable rate first (primary saturates around 400-600/s on this 2-core machine), then
   * the 1,000/s, so that the overloaded phase's aftermath cannot colour the other one.
   */
  rates: [
    { label: 'sustainable', ratePerSecond: 300, durationMs: 20_000 },
    { label: "issue's rate", ratePerSecond: 1_000, durationMs: 20_000 },
  ],
  /** After each phase, how long stand-in may take to hold every event primary produced. */
  catchUpTimeoutMs: 40_000,
  /** Lag is also reported per slice of this length through each window. */
  sliceMs: 5_000,
} as const;

export const SYNC_LAG_TARGETS = {
  /** p99 of the lag of the events produced during a phase. */
  maxLagP99Ms: 500,
} as const;

export interface SyncLagPhase {
  readonly label: string;
  readonly window: { readonly from: string; readonly to: string };
  readonly load: PhaseResult & { readonly cpu: CpuUsage };
  readonly catchUp: CatchUp;
  readonly lag: WindowLag;
  readonly syncerHistogram: HistogramDelta;
}

export interface SyncLagFigures {
  readonly label: string;
  readonly offeredRatePerSecond: number;
  readonly achievedRatePerSecond: number;
  readonly loadSeconds: number;
  readonly sent: number;
  readonly answered: number;
  readonly errors: number;
  readonly lateAnswers: number;
  readonly requestP99Ms: number;
  readonly lagEvents: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly lagEventsMissing: number;
  readonly lagP99AtMost500Ms: boolean;
}

export interface SyncLagResult {
  readonly benchmark: 'sync-lag';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly parameters: typeof SYNC_LAG_PARAMETERS & { readonly runTag: string; readonly standinLimits: BenchStack['standinLimits'] };
  readonly figures: readonly SyncLagFigures[];
  readonly targets: {
    readonly lagP99AtMostMs: {
      readonly required: number;
      readonly byPhase: readonly { readonly label: string; readonly actual: number; readonly met: boolean }[];
    };
  };
  readonly phases: readonly SyncLagPhase[];
  readonly setup: { readonly cards: number; readonly seconds: number; readonly catchUp: CatchUp; readonly logDirectory: string };
  readonly disturbedInfrastructure: readonly string[];
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
const log = (line: string) => console.log(`[sync-lag] ${line}`);

export async function runSyncLagBenchmark(): Promise<SyncLagResult> {
  const machine = machineInfo();
  const infra = createInfra();

  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  const stack = await startBenchStack(infra.config, 'sync-lag', log);
  const parameters = { ...SYNC_LAG_PARAMETERS, runTag: newRunTag(), standinLimits: stack.standinLimits };
  log(`stand-in's risk limits raised to ${parameters.standinLimits.perPaymentMinor} pence per payment and per account per day (defaults 50,000 and 150,000)`);
  const worker = forkLoadWorker();
  let probe: Awaited<ReturnType<typeof openSyncProbe>> | undefined;
  let result: SyncLagResult;
  try {
    const setupBegan = Date.now();
    log(`opening, funding and issuing ${parameters.accounts} cards in primary`);
    const accounts = await setUpBenchAccounts(stack.primary.url, parameters.accounts, parameters.fundingMinor);
    probe = await openSyncProbe(
      stack.databases,
      accounts.map((account) => account.accountId),
    );
    const setupCatchUp = await probe.waitForCatchUp(parameters.catchUpTimeoutMs);
    if (!setupCatchUp.caughtUp)
      throw new Error(
        `stand-in did not receive the set-up's events within ${parameters.catchUpTimeoutMs / 1000} s (${setupCatchUp.syncedEvents} of ${setupCatchUp.primaryEvents}); logs: ${stack.logDirectory}`,
      );
    const setupSeconds = round((Date.now() - setupBegan) / 1000, 1);
    log(`set-up done and synced in ${setupSeconds} s (${setupCatchUp.primaryEvents} events)`);

    await worker.configure({
      baseUrl: stack.primary.url,
      cards: accounts.map((account) => account.card),
      maxSockets: parameters.maxSockets,
      requestTimeoutMs: parameters.requestTimeoutMs,
      runTag: parameters.runTag,
    });
    const statuses = await infra.status();
    const meter = syncPathCpuMeter(stack, worker.pid, statuses);

    log(`warm-up: ${parameters.warmUp.ratePerSecond}/s for ${parameters.warmUp.durationMs / 1000} s (not measured)`);
    await worker.run({ kind: 'open-loop', name: 'warm-up', ...parameters.warmUp });
    await probe.waitForCatchUp(parameters.catchUpTimeoutMs);

    const phases: SyncLagPhase[] = [];
    for (const rate of parameters.rates) {
      const histogramBefore = await readSyncerLagHistogram(stack.syncer.url);
      log(`${rate.label}: ${rate.ratePerSecond}/s open loop for ${rate.durationMs / 1000} s against primary`);
      const from = new Date();
      const { value: load, cpu } = await meter.measure(() =>
        worker.run({
          kind: 'open-loop',
          name: `${rate.label} (${rate.ratePerSecond}/s)`,
          durationMs: rate.durationMs,
          ratePerSecond: rate.ratePerSecond,
          lateAfterMs: parameters.lateAfterMs,
        }),
      );
      const to = new Date();
      log(
        `${rate.label}: ${load.throughputPerSecond}/s answered (${load.errors} errors) over ${round(load.elapsedMs / 1000, 1)} s; waiting for stand-in to catch up`,
      );
      const catchUp = await probe.waitForCatchUp(parameters.catchUpTimeoutMs);
      const lag = await probe.lagOfWindow(from, to, parameters.sliceMs);
      const syncerHistogram = histogramDelta(histogramBefore, await readSyncerLagHistogram(stack.syncer.url), SYNC_LAG_TARGETS.maxLagP99Ms / 1000);
      log(
        `${rate.label}: lag p99 ${lag.lagMs.p99Ms} ms over ${lag.synced} events (${lag.missing} missing), caught up ${catchUp.caughtUp} after ${round(catchUp.waitedMs / 1000, 1)} s`,
      );
      phases.push({ label: rate.label, window: { from: from.toISOString(), to: to.toISOString() }, load: { ...load, cpu }, catchUp, lag, syncerHistogram });
    }

    const disturbed = disturbedComponents(statuses, await infra.status());
    if (disturbed.length > 0) log(`warning: infrastructure disturbed during the run: ${disturbed.join(', ')}`);

    const met = (phase: SyncLagPhase) => phase.lag.missing === 0 && phase.lag.synced > 0 && phase.lag.lagMs.p99Ms <= SYNC_LAG_TARGETS.maxLagP99Ms;
    result = {
      benchmark: 'sync-lag',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine, {
        processes:
          'the load process, primary, its PostgreSQL, Kafka, the syncer, stand-in, its PostgreSQL (and the Redis instances and Pub/Sub emulator) share them',
        meaning: "the lag includes waiting for CPU behind primary and the load; it is this machine's figure, not production's",
      }),
      parameters,
      figures: phases.map((phase) => ({
        label: phase.label,
        offeredRatePerSecond: phase.load.offeredRatePerSecond ?? 0,
        achievedRatePerSecond: phase.load.throughputPerSecond,
        loadSeconds: round(phase.load.elapsedMs / 1000, 1),
        sent: phase.load.sent,
        answered: phase.load.answered,
        errors: phase.load.errors,
        lateAnswers: phase.load.lateAnswers?.count ?? 0,
        requestP99Ms: phase.load.latencyMs.p99Ms,
        lagEvents: phase.lag.synced,
        lagP50Ms: phase.lag.lagMs.p50Ms,
        lagP99Ms: phase.lag.lagMs.p99Ms,
        lagMaxMs: phase.lag.lagMs.maxMs,
        lagEventsMissing: phase.lag.missing,
        lagP99AtMost500Ms: met(phase),
      })),
      targets: {
        lagP99AtMostMs: {
          required: SYNC_LAG_TARGETS.maxLagP99Ms,
          byPhase: phases.map((phase) => ({ label: phase.label, actual: phase.lag.lagMs.p99Ms, met: met(phase) })),
        },
      },
      phases,
      setup: { cards: accounts.length, seconds: setupSeconds, catchUp: setupCatchUp, logDirectory: stack.logDirectory },
      disturbedInfrastructure: disturbed,
    };
  } finally {
    await probe?.close();
    await worker.stop().catch((error: unknown) => log(`could not stop the load generator: ${(error as Error).message}`));
    await stack.stop();
    log('load generator, primary, stand-in and syncer stopped; the infrastructure is left running');
  }
  return result;
}
