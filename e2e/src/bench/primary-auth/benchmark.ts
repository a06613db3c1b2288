import path from 'node:path';
import { assertAllStarted, createInfra, infraEndpoints } from '@bank/infra';
import { newRunTag } from '../shared/authorisation-messages';
import { setUpBenchAccounts } from '../shared/bench-cards';
import { cpuMeter, type CpuUsage } from '../shared/cpu-usage';
import { disturbedComponents } from '../shared/infra-interference';
import { forkLoadWorker } from '../shared/load-worker-client';
import type { LoadPhase, PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { waitForOutboxDrain, type BacklogDrain } from './outbox-backlog';
import { measureFunctionAlone, type FunctionAloneResult } from './function-alone';
import { ensurePgbenchDatabase, measurePgbenchTps, PGBENCH_DATABASE, settleAfterPgbench, type PgbenchResult } from '../shared/pgbench-reference';
import { migratePrimary, startPrimary } from './primary-process';
import { measureFsyncFloor, type FsyncFloor } from '../shared/pg-test-fsync';
import { readRoundTrips, roundTripsPerAuthorisation, type RoundTripsPerAuthorisation } from './primary-round-trips';

// Card authorisations through primary's scheme API at saturation, then at half that rate, with
// pgbench -N on the same PostgreSQL cluster, in the same run, as the yardstick.

export const PRIMARY_AUTH_PARAMETERS = {
  accounts: 200,
  /** £1,000,000 each, in pence: no authorisation should ever decline for funds. */
  fundingMinor: 100_000_000,
  concurrency: 64,
  requestTimeoutMs: 10_000,
  warmUpMs: 5_000,
  saturationMs: 20_000,
  /** Lets primary's pool reconnect after the pause for pgbench; not measured. */
  halfRateWarmUpMs: 3_000,
  halfRateMs: 20_000,
  halfRateFraction: 0.5,
  /** A trickle after the half rate: one authorisation's own latency with nothing queued before it (the floor under the half-rate p50). */
  lowRatePerSecond: 20,
  lowRateMs: 10_000,
  outboxDrainTimeoutMs: 60_000,
  pgbench: { scale: 10, clients: 16, threads: 2, durationSeconds: 20 },
} as const;

export const PRIMARY_AUTH_TARGETS = {
  /** Saturation throughput at least this fraction of pgbench -N TPS. */
  minThroughputToPgbenchRatio: 0.4,
  /** p99 latency at half the saturation throughput at most this. */
  maxHalfRateP99Ms: 20,
  /** p50 latency at half the saturation throughput under this. */
  maxHalfRateP50Ms: 3,
} as const;

export interface PrimaryAuthResult {
  readonly benchmark: 'primary-auth';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly parameters: typeof PRIMARY_AUTH_PARAMETERS & { readonly runTag: string; readonly pgbenchDatabase: string };
  readonly figures: {
    readonly saturationThroughputPerSecond: number;
    readonly saturationP50Ms: number;
    readonly saturationP99Ms: number;
    readonly saturationErrors: number;
    readonly pgbenchTps: number;
    readonly throughputToPgbenchRatio: number;
    /** card_authorise driven by pgbench (no HTTP, no Node) over pgbench -N: the database's own ceiling for this work. */
    readonly functionAloneTps: number;
    readonly functionAloneToPgbenchRatio: number;
    readonly halfRateTargetPerSecond: number;
    readonly halfRateAchievedPerSecond: number;
    readonly halfRateP50Ms: number;
    readonly halfRateP99Ms: number;
    readonly halfRateErrors: number;
    /** Counted by primary (primary_database_round_trips_total) over the saturation phase. */
    readonly roundTripsPerAuthorisation: RoundTripsPerAuthorisation;
    /** CPU time per authorisation at saturation, in ms: primary's Node process and its PostgreSQL cluster. */
    readonly cpuMsPerAuthorisation: { readonly primaryNode: number; readonly postgres: number };
  };
  readonly targets: {
    readonly throughputAtLeastRatioOfPgbench: { readonly required: number; readonly actual: number; readonly met: boolean };
    readonly halfRateP99AtMostMs: { readonly required: number; readonly actual: number; readonly met: boolean };
    readonly halfRateP50BelowMs: { readonly required: number; readonly actual: number; readonly met: boolean };
  };
  /** The disk's floor for one commit at a time (pg_test_fsync); undefined when the binary is not installed. */
  readonly fsyncFloor: FsyncFloor | undefined;
  readonly phases: {
    readonly warmUp: MeasuredPhase;
    readonly saturation: MeasuredPhase;
    readonly halfRateWarmUp: MeasuredPhase;
    readonly halfRate: MeasuredPhase;
    readonly lowRate: MeasuredPhase;
  };
  readonly pgbench: PgbenchResult & {
    readonly database: string;
    readonly preparation: 'initialised' | 'reused';
    readonly cpu: CpuUsage;
    readonly settledAfterwards: Awaited<ReturnType<typeof settleAfterPgbench>>;
  };
  readonly functionAlone: FunctionAloneResult & { readonly cpu: CpuUsage };
  readonly outbox: { readonly afterSaturation: BacklogDrain; readonly afterPgbench: BacklogDrain };
  readonly setup: { readonly cards: number; readonly seconds: number; readonly primaryLog: string };
  /** Components restarted, killed or paused during the run by someone else: the figures are then suspect. */
  readonly disturbedInfrastructure: readonly string[];
}

export type MeasuredPhase = PhaseResult & { readonly cpu: CpuUsage };

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
const log = (line: string) => console.log(`[primary-auth] ${line}`);

export async function runPrimaryAuthBenchmark(): Promise<PrimaryAuthResult> {
  const parameters = { ...PRIMARY_AUTH_PARAMETERS, runTag: newRunTag(), pgbenchDatabase: PGBENCH_DATABASE };
  const machine = machineInfo();
  const infra = createInfra();
  const databaseUrl = infraEndpoints(infra.config).postgres.primary;

  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  log('migrating primary');
  migratePrimary(infra.config);
  const primary = await startPrimary(infra.config, { logFile: path.join(infra.config.dataDir, 'bench', 'primary-auth.primary.log') });
  log(`primary started (pid ${primary.pid}) at ${primary.baseUrl}; log ${primary.logFile}`);
  const worker = forkLoadWorker();
  let result: PrimaryAuthResult;
  try {
    const setupBegan = Date.now();
    log(`opening, funding and issuing ${parameters.accounts} cards`);
    const accounts = await setUpBenchAccounts(primary.baseUrl, parameters.accounts, parameters.fundingMinor);
    const cards = accounts.map((account) => account.card);
    const setupSeconds = round((Date.now() - setupBegan) / 1000, 1);
    await worker.configure({
      baseUrl: primary.baseUrl,
      cards,
      maxSockets: parameters.concurrency,
      requestTimeoutMs: parameters.requestTimeoutMs,
      runTag: parameters.runTag,
    });
    log(`load generator forked (pid ${worker.pid})`);
    const statuses = await infra.status();
    const meter = cpuMeter({
      'load generator': worker.pid,
      primary: primary.pid,
      'postgres (primary cluster)': statuses.find((status) => status.name === 'pg-primary')?.pid,
      kafka: statuses.find((status) => status.name === 'kafka')?.pid,
      'redis (primary)': statuses.find((status) => status.name === 'redis-primary')?.pid,
      'runner (+ pgbench)': process.pid,
    });
    const run = async (phase: LoadPhase): Promise<MeasuredPhase> => {
      const { value, cpu } = await meter.measure(() => worker.run(phase));
      return { ...value, cpu };
    };

    log(`warm-up: ${parameters.warmUpMs / 1000} s closed loop, ${parameters.concurrency} in flight`);
    const warmUp = await run({ kind: 'closed-loop', name: 'warm-up', durationMs: parameters.warmUpMs, concurrency: parameters.concurrency });
    log(`saturation: ${parameters.saturationMs / 1000} s closed loop, ${parameters.concurrency} in flight`);
    const roundTripsBefore = await readRoundTrips(primary.baseUrl);
    const saturation = await run({ kind: 'closed-loop', name: 'saturation', durationMs: parameters.saturationMs, concurrency: parameters.concurrency });
    const roundTrips = roundTripsPerAuthorisation(roundTripsBefore, await readRoundTrips(primary.baseUrl), saturation.answered);
    log(`saturation: ${saturation.throughputPerSecond}/s, p99 ${saturation.latencyMs.p99Ms} ms; waiting for primary's outbox to drain`);
    if (!(saturation.throughputPerSecond > 0))
      throw new Error(`saturation phase answered nothing (errors: ${JSON.stringify(saturation.errorKinds)}); log: ${primary.logFile}`);
    const afterSaturation = await waitForOutboxDrain(databaseUrl, parameters.outboxDrainTimeoutMs);

    log(`pgbench -N: preparing database ${PGBENCH_DATABASE} (scale ${parameters.pgbench.scale})`);
    const preparation = await ensurePgbenchDatabase(databaseUrl, parameters.pgbench.scale);
    log(`pgbench -N: ${parameters.pgbench.durationSeconds} s, ${parameters.pgbench.clients} clients`);
    const { value: pgbench, cpu: pgbenchCpu } = await meter.measure(() => measurePgbenchTps(databaseUrl, parameters.pgbench));
    log(`pgbench -N: ${pgbench.tps} TPS; vacuuming and checkpointing its database before primary is measured again`);
    const settledAfterwards = await settleAfterPgbench(databaseUrl);
    const afterPgbench = await waitForOutboxDrain(databaseUrl, parameters.outboxDrainTimeoutMs);

    const halfRate = round(saturation.throughputPerSecond * parameters.halfRateFraction, 1);
    log(`half rate: ${halfRate}/s open loop (${parameters.halfRateWarmUpMs / 1000} s unmeasured, then ${parameters.halfRateMs / 1000} s)`);
    const halfRateWarmUp = await run({ kind: 'open-loop', name: 'half-rate warm-up', durationMs: parameters.halfRateWarmUpMs, ratePerSecond: halfRate });
    const halfRatePhase = await run({ kind: 'open-loop', name: 'half rate', durationMs: parameters.halfRateMs, ratePerSecond: halfRate });
    log(`low rate: ${parameters.lowRatePerSecond}/s open loop for ${parameters.lowRateMs / 1000} s (the latency floor)`);
    const lowRate = await run({ kind: 'open-loop', name: 'low rate', durationMs: parameters.lowRateMs, ratePerSecond: parameters.lowRatePerSecond });

    // After the half-rate phase, so that its dead rows and dirty pages do not land in primary's measurement.
    log(`card_authorise alone through pgbench: ${parameters.pgbench.durationSeconds} s, ${parameters.pgbench.clients} clients (no HTTP, no Node)`);
    const { value: functionAlone, cpu: functionAloneCpu } = await meter.measure(() =>
      measureFunctionAlone(
        databaseUrl,
        accounts.map((account) => account.cardId),
        parameters.pgbench,
      ),
    );
    log(`card_authorise alone: ${functionAlone.tps} TPS`);
    log("pg_test_fsync: the disk's floor for one commit at a time");
    const fsyncFloor = await measureFsyncFloor(path.join(infra.config.dataDir, 'bench'));

    const disturbed = disturbedComponents(statuses, await infra.status());
    const cpuMs = (name: string) => round(((saturation.cpu.coresByProcess[name] ?? 0) * 1000) / saturation.throughputPerSecond, 3);
    if (disturbed.length > 0) log(`warning: infrastructure disturbed during the run: ${disturbed.join(', ')}`);

    const ratio = round(saturation.throughputPerSecond / pgbench.tps, 3);
    result = {
      benchmark: 'primary-auth',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine),
      parameters,
      figures: {
        saturationThroughputPerSecond: saturation.throughputPerSecond,
        saturationP50Ms: saturation.latencyMs.p50Ms,
        saturationP99Ms: saturation.latencyMs.p99Ms,
        saturationErrors: saturation.errors,
        pgbenchTps: round(pgbench.tps, 1),
        throughputToPgbenchRatio: ratio,
        functionAloneTps: round(functionAlone.tps, 1),
        functionAloneToPgbenchRatio: round(functionAlone.tps / pgbench.tps, 3),
        halfRateTargetPerSecond: halfRate,
        halfRateAchievedPerSecond: halfRatePhase.throughputPerSecond,
        halfRateP50Ms: halfRatePhase.latencyMs.p50Ms,
        halfRateP99Ms: halfRatePhase.latencyMs.p99Ms,
        halfRateErrors: halfRatePhase.errors,
        roundTripsPerAuthorisation: roundTrips,
        cpuMsPerAuthorisation: { primaryNode: cpuMs('primary'), postgres: cpuMs('postgres (primary cluster)') },
      },
      targets: {
        throughputAtLeastRatioOfPgbench: {
          required: PRIMARY_AUTH_TARGETS.minThroughputToPgbenchRatio,
          actual: ratio,
          met: ratio >= PRIMARY_AUTH_TARGETS.minThroughputToPgbenchRatio,
        },
        // An errored request has no latency; a phase with errors cannot claim its p99.
        halfRateP99AtMostMs: {
          required: PRIMARY_AUTH_TARGETS.maxHalfRateP99Ms,
          actual: halfRatePhase.latencyMs.p99Ms,
          met: halfRatePhase.errors === 0 && halfRatePhase.latencyMs.p99Ms <= PRIMARY_AUTH_TARGETS.maxHalfRateP99Ms,
        },
        halfRateP50BelowMs: {
          required: PRIMARY_AUTH_TARGETS.maxHalfRateP50Ms,
          actual: halfRatePhase.latencyMs.p50Ms,
          met: halfRatePhase.errors === 0 && halfRatePhase.latencyMs.p50Ms < PRIMARY_AUTH_TARGETS.maxHalfRateP50Ms,
        },
      },
      fsyncFloor,
      phases: { warmUp, saturation, halfRateWarmUp, halfRate: halfRatePhase, lowRate },
      pgbench: { ...pgbench, database: PGBENCH_DATABASE, preparation, cpu: pgbenchCpu, settledAfterwards },
      functionAlone: { ...functionAlone, cpu: functionAloneCpu },
      outbox: { afterSaturation, afterPgbench },
      setup: { cards: cards.length, seconds: setupSeconds, primaryLog: primary.logFile },
      disturbedInfrastructure: disturbed,
    };
  } finally {
    await worker.stop();
    await primary.stop();
    log('load generator and primary stopped; the infrastructure is left running');
  }
  return result;
}
