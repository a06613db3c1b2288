import { assertAllStarted, createInfra } from '@bank/infra';
import { drainAdvices, type AdviceDrain } from '../shared/advice-drain-watch';
import { clearStaleAdvices, type ConsumerQuiet } from '../shared/advice-subscription';
import { newRunTag } from '../shared/authorisation-messages';
import { pollUntil, startBenchStack, type BenchStack } from '../shared/bench-stack';
import { disturbedComponents, otherProcessesRunning } from '../shared/infra-interference';
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
// advices a second that is. The stack has databases of its own: stand-in's advice log (which
// reconciliation reads whole) holds only this run's advices.

/** The backlog's size (`ADVICE_DRAIN_ADVICES`, default 20,000) and accounts (`ADVICE_DRAIN_ACCOUNTS`, default 1,000): the drain time should grow linearly with it. */
const ADVICES = Number(process.env.ADVICE_DRAIN_ADVICES ?? 20_000);
const ACCOUNTS = Number(process.env.ADVICE_DRAIN_ACCOUNTS ?? 1_000);
const APPROVALS_PER_SECOND = 500;
const APPROVALS = Math.max(0, ADVICES - ACCOUNTS * MIXED_ADVICES_PER_ACCOUNT);

export const ADVICE_DRAIN_PARAMETERS = {
  accounts: ACCOUNTS,
  fundingMinor: PRIMARY_AUTH_PARAMETERS.fundingMinor,
  cardSyncTimeoutMs: 180_000,
  catchUpTimeoutMs: 120_000,
  /** The backlog asked for: card purchases approved by stand-in, then per account the mixed advices (mixed-backlog.ts). */
  advices: ADVICES,
  /** The purchases: at this rate (within stand-in's capacity) for as long as their number needs, one advice each. */
  backlog: { ratePerSecond: APPROVALS_PER_SECOND, durationMs: Math.ceil((APPROVALS / APPROVALS_PER_SECOND) * 1000) },
  mixedConcurrency: 32,
  maxSockets: PRIMARY_AUTH_PARAMETERS.concurrency,
  requestTimeoutMs: PRIMARY_AUTH_PARAMETERS.requestTimeoutMs,
  /** Before the backlog: what earlier runs left in the shared subscription is cleared, for at most this long. */
  staleClearTimeoutMs: 180_000,
  /** Stand-in's relay publishes the backlog to Pub/Sub before the consumer starts: the drain is the consumer's and primary's. */
  relayTimeoutMs: 60_000,
  /** From the consumer's start until primary has applied every advice. */
  drainTimeoutMs: Math.max(180_000, ADVICES * 10),
  reconciliationTimeoutMs: 60_000,
} as const;

export interface AdviceDrainResult {
  readonly benchmark: 'advice-drain';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly parameters: typeof ADVICE_DRAIN_PARAMETERS & { readonly runTag: string; readonly standinLimits: BenchStack['standinLimits'] };
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
  readonly backlog: PhaseResult & { readonly relayedToPubSubAfterMs: number; readonly relayed: boolean };
  readonly drain: AdviceDrain;
  /** What earlier runs had left in the shared subscription, handled before the backlog was built. */
  readonly staleAdvicesCleared: ConsumerQuiet;
  /** Other advice consumers on this machine share the Pub/Sub subscription: they could take (and lose) some of this run's advices. */
  readonly otherAdviceConsumers: number;
  readonly setup: SyncedAccountsSetup;
  readonly disturbedInfrastructure: readonly string[];
}

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;
const log = (line: string) => console.log(`[advice-drain] ${line}`);
const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2));

export async function runAdviceDrainBenchmark(): Promise<AdviceDrainResult> {
  const machine = machineInfo();
  const infra = createInfra();
  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  const stack = await startBenchStack(infra.config, 'advice-drain', log, { ownDatabases: true, fasterPaymentsScheme: true });
  const parameters = { ...ADVICE_DRAIN_PARAMETERS, runTag: newRunTag(), standinLimits: stack.standinLimits };
  const worker = forkLoadWorker();
  let probe: SyncProbe | undefined;
  let result: AdviceDrainResult;
  try {
    const synced = await setUpSyncedAccounts(stack, parameters, log);
    probe = synced.probe;
    const statuses = await infra.status();

    log('clearing what earlier runs left in the shared Pub/Sub subscription (a consumer runs until it has been quiet for 12 s)');
    const staleCleared = await clearStaleAdvices(stack, parameters.staleClearTimeoutMs);
    log(
      `cleared: ${staleCleared.messagesHandled} stale messages in ${round(staleCleared.waitedMs / 1000)} s${staleCleared.quiet ? '' : ' (NOT quiet: the drain below shares the subscription with them)'}`,
    );

    const { ratePerSecond, durationMs } = parameters.backlog;
    log(`backlog: ${ratePerSecond}/s approvals through stand-in's scheme API for ${durationMs / 1000} s, no advice consumer running`);
    await worker.configure({
      baseUrl: stack.standin.url,
      cards: synced.accounts.map((account) => account.card),
      maxSockets: parameters.maxSockets,
      requestTimeoutMs: parameters.requestTimeoutMs,
      runTag: parameters.runTag,
    });
    const load = await worker.run({ kind: 'open-loop', name: 'backlog through stand-in', durationMs, ratePerSecond });
    if ((load.decidedBy.standin ?? 0) === 0)
      throw new Error(
        `stand-in decided none of the backlog's authorisations (answered by ${JSON.stringify(load.decidedBy)}, errors ${JSON.stringify(load.errorKinds)})`,
      );
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
      `backlog: ${load.approved} approved by stand-in (${load.errors} errors), ${relayedProgress.standin} advices, all relayed to Pub/Sub ${relayed.done ? `${round(relayed.waitedMs / 1000)} s after the load` : 'NOT within the timeout'}`,
    );

    const others = otherProcessesRunning('advice-consumer/dist/main.js');
    if (others > 0)
      log(`warning: ${others} other advice consumer${others > 1 ? 's' : ''} on this machine share the subscription and may take some of the backlog`);
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
      benchmark: 'advice-drain',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine, {
        processes:
          "the advice consumer, the Pub/Sub emulator, primary, its PostgreSQL (and the syncer, Kafka and stand-in, which take primary's resulting events) share them",
        meaning: "the rate is this machine's with the Pub/Sub emulator, not production's",
      }),
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
      backlog: { ...load, relayedToPubSubAfterMs: relayed.waitedMs, relayed: relayed.done },
      drain,
      staleAdvicesCleared: staleCleared,
      otherAdviceConsumers: others,
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
