import { assertAllStarted, createInfra, type ComponentStatus } from '@bank/infra';
import type { ServiceProcess } from '../../stack/service-process';
import { drainAdvices, type AdviceDrain } from '../shared/advice-drain-watch';
import { newRunTag } from '../shared/authorisation-messages';
import { startBenchStack, type BenchStack } from '../shared/bench-stack';
import { cpuMeter, type CpuMeter, type CpuUsage } from '../shared/cpu-usage';
import { binTimeline, switchFigures, type SwitchFigures, type TimelineBin } from './failover-timeline';
import {
  autopilotChangeSince,
  changeDirectConnect,
  engineerTurnsDirectConnectOn,
  everyoneBackOnPrimary,
  gatewayRouting,
  gatewaySwitchesLogged,
  setAutopilot,
  waitForGatewayOnPrimary,
  type LoggedSwitch,
} from './gateway-control';
import { disturbedComponents } from '../shared/infra-interference';
import { forkLoadWorker, type LoadWorker } from '../shared/load-worker-client';
import { epochNowMs, type PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { PRIMARY_AUTH_PARAMETERS } from '../primary-auth/benchmark';
import type { SyncProbe } from '../shared/sync-progress';
import { setUpSyncedAccounts, type SyncedAccounts, type SyncedAccountsSetup } from '../shared/synced-accounts';

// Primary SIGKILLed under steady card-authorisation load through the data-centre gateway: how long
// until the payment network has stand-in's first approval, and what it heard meanwhile (504/91
// from the gateway, answers past its deadline). Three paths, each with a gateway of its own:
//  - automatic failover (GATEWAY_AUTO_FAILOVER=on): the gateway sends stand-in what primary
//    refuses, and everything once primary's breaker opens;
//  - direct connect: failover off, the incident engineer runs `standin direct-connect on` (the real
//    CLI) at the moment of the kill, and the gateway's next poll of stand-in's configuration moves
//    the traffic;
//  - autopilot (issue 21): failover off, nobody at the keyboard; stand-in's autopilot, armed for
//    card payments and direct connect with a short hold, sees primary fail through this gateway's
//    view and switches stand-in on by itself.
// The stack has databases of its own, so turning direct connect on reaches no one else's gateway.

function failoverRatePerSecond(env: NodeJS.ProcessEnv = process.env): number {
  const rate = Number(env.FAILOVER_RATE_PER_SECOND ?? 200);
  if (!Number.isInteger(rate) || rate < 1 || rate > 5_000)
    throw new Error(`FAILOVER_RATE_PER_SECOND must be a whole number from 1 to 5000, not ${env.FAILOVER_RATE_PER_SECOND}`);
  return rate;
}

function autopilotHoldMs(env: NodeJS.ProcessEnv = process.env): number {
  const hold = Number(env.FAILOVER_AUTOPILOT_HOLD_MS ?? 5_000);
  if (!Number.isInteger(hold) || hold < 2_000 || hold > 60_000)
    throw new Error(`FAILOVER_AUTOPILOT_HOLD_MS must be whole milliseconds from 2000 to 60000, not ${env.FAILOVER_AUTOPILOT_HOLD_MS}`);
  return hold;
}

export const FAILOVER_PARAMETERS = {
  accounts: PRIMARY_AUTH_PARAMETERS.accounts,
  fundingMinor: PRIMARY_AUTH_PARAMETERS.fundingMinor,
  cardSyncTimeoutMs: 60_000,
  catchUpTimeoutMs: 40_000,
  /**
   * Steady load, open loop (a network does not slow down because a bank did). Well below either
   * platform's saturation. FAILOVER_RATE_PER_SECOND sets another (issue 15's second target is half
   * of stand-in's own saturation rate, from `npm run bench -- standin-auth`).
   */
  ratePerSecond: failoverRatePerSecond(),
  /** Load before the kill (steady state), and after it. */
  beforeKillMs: 10_000,
  afterKillMs: 15_000,
  /** The payment network's own deadline for an answer, from when the request was due to leave. */
  networkDeadlineMs: 2_000,
  maxSockets: PRIMARY_AUTH_PARAMETERS.concurrency,
  /** The load's own give-up time: far past the deadline, so a missing answer is counted rather than cut short. */
  requestTimeoutMs: 10_000,
  /**
   * The gateway as shipped: its own defaults (card deadline 1,500 ms, breaker reset 5 s), except
   * that the stack's gateway definition polls stand-in's configuration every 250 ms for tests;
   * the default, 1 s, is what direct connect takes in production.
   */
  gateways: {
    autoFailover: { name: 'gateway-auto-failover', env: { GATEWAY_AUTO_FAILOVER: 'on', GATEWAY_CONFIG_POLL_MS: '1000' } },
    directConnect: { name: 'gateway-direct-connect', env: { GATEWAY_AUTO_FAILOVER: 'off', GATEWAY_CONFIG_POLL_MS: '1000' } },
    autopilot: { name: 'gateway-autopilot', env: { GATEWAY_AUTO_FAILOVER: 'off', GATEWAY_CONFIG_POLL_MS: '1000' } },
  },
  /**
   * The autopilot's settings for its path: card payments and direct connect opted in, and a hold of
   * FAILOVER_AUTOPILOT_HOLD_MS (default 5 s; the autopilot's own default is 30 s, which would add
   * 25 s to its figure). Sampling at stand-in's default, every 2 s.
   */
  autopilot: { holdMs: autopilotHoldMs(), optIn: { cardPayments: true, directConnect: true } },
  /** After each path: primary restarted, and the gateway back on it, within this. */
  recoveryTimeoutMs: 60_000,
  /** The timeline around the kill, in the JSON: fine bins close to it, per second over the whole load. */
  fineBins: { fromMs: -500, toMs: 3_000, binMs: 100 },
  /** Afterwards (not measured: advice-drain is the benchmark for that): stand-in's approvals reach primary, and reconciliation says whether any were lost. */
  adviceDrainTimeoutMs: 300_000,
  reconciliationTimeoutMs: 60_000,
} as const;

export type FailoverPathName = 'automatic failover' | 'direct connect' | 'autopilot';

export interface FailoverPath {
  readonly path: FailoverPathName;
  readonly gateway: { readonly name: string; readonly env: Readonly<Record<string, string>>; readonly logFile: string };
  /** Epoch ms of the SIGKILL (just before the signal), and how long primary took to be gone. */
  readonly killedAt: string;
  readonly primaryGoneAfterMs: number;
  /** Events primary had produced for the accounts and stand-in held, just before the kill. */
  readonly syncAtKill: { readonly primaryEvents: number; readonly syncedEvents: number };
  /** Direct connect only: the engineer's CLI command, done (stand-in took the change) this long after the kill. */
  readonly directConnectChange: { readonly acceptedAfterKillMs: number; readonly version: number } | null;
  /** Autopilot only: its configuration change (stand-in's audit), this long after the kill, and its reason (the evidence). */
  readonly autopilotChange: { readonly afterKillMs: number; readonly version: number; readonly reason: string } | null;
  /** The gateway's own log: its first switch to stand-in after the kill. */
  readonly switchLogged: (LoggedSwitch & { readonly afterKillMs: number }) | null;
  readonly figures: SwitchFigures;
  readonly load: Omit<PhaseResult, 'timeline'>;
  /** Cores busy in the steady state before the kill, and from the kill to the end of the load. */
  readonly cpu: { readonly beforeKill: CpuUsage; readonly afterKill: CpuUsage };
  readonly timeline: { readonly fine: readonly TimelineBin[]; readonly perSecond: readonly TimelineBin[] };
  /** Primary restarted and the gateway sending it traffic again (not measured against anything). */
  readonly recovery: { readonly primaryRestartMs: number; readonly gatewayBackOnPrimaryAfterMs: number };
}

export interface FailoverResult {
  readonly benchmark: 'failover';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly parameters: typeof FAILOVER_PARAMETERS & { readonly standinLimits: BenchStack['standinLimits'] };
  readonly paths: readonly FailoverPath[];
  readonly setup: SyncedAccountsSetup;
  readonly advicesAfterwards: AdviceDrain;
  readonly disturbedInfrastructure: readonly string[];
}

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`[failover] ${line}`);

interface PathContext {
  readonly stack: BenchStack;
  readonly worker: LoadWorker;
  readonly synced: SyncedAccounts;
  readonly probe: SyncProbe;
  readonly statuses: readonly ComponentStatus[];
}

/** Where the CPU goes while the load runs through `gateway`: primary by its current pid, so the one restarted after the kill is metered from its start. */
function failoverCpuMeter(context: PathContext, gateway: ServiceProcess): CpuMeter {
  const pidOf = (name: string) => context.statuses.find((status) => status.name === name)?.pid;
  return cpuMeter({
    'load generator': context.worker.pid,
    gateway: () => gateway.pid(),
    primary: () => context.stack.primary.pid(),
    'postgres (primary)': pidOf('pg-primary'),
    kafka: pidOf('kafka'),
    syncer: () => context.stack.syncer.pid(),
    'stand-in': () => context.stack.standin.pid(),
    'postgres (stand-in)': pidOf('pg-standin'),
    'pub/sub emulator': pidOf('pubsub'),
    // Not the runner: the killed primary is its child, and a reaped child's whole lifetime lands in its parent's counters.
  });
}

async function measurePath(
  context: PathContext,
  path: FailoverPathName,
  gateway: { name: string; env: Record<string, string>; service: ServiceProcess; logFile: string },
): Promise<FailoverPath> {
  const { stack, worker, synced, probe } = context;
  const meter = failoverCpuMeter(context, gateway.service);
  const parameters = FAILOVER_PARAMETERS;
  if (path === 'autopilot')
    await setAutopilot(stack.standin.url, {
      mode: 'on',
      optIn: parameters.autopilot.optIn,
      holdMs: parameters.autopilot.holdMs,
      reason: 'bench failover: the autopilot armed, nobody at the keyboard',
    });
  const catchUp = await probe.waitForCatchUp(parameters.catchUpTimeoutMs);
  if (!catchUp.caughtUp)
    throw new Error(`${path}: stand-in is ${catchUp.primaryEvents - catchUp.syncedEvents} events behind before the load; logs: ${stack.logDirectory}`);
  // The gateways all follow stand-in's configuration: the previous path's direct connect, turned
  // off, reaches this one at its next poll (1 s), not at once.
  await waitForGatewayOnPrimary(gateway.service.url, parameters.recoveryTimeoutMs);
  const routing = await gatewayRouting(gateway.service.url);
  if (routing.destination !== 'primary' || routing.primaryBreaker !== 'closed')
    throw new Error(
      `${path}: before the kill ${gateway.name} sends traffic to ${routing.destination} (${routing.cause}, primary's breaker ${routing.primaryBreaker})`,
    );

  await worker.configure({
    baseUrl: gateway.service.url,
    cards: synced.accounts.map((account) => account.card),
    maxSockets: parameters.maxSockets,
    requestTimeoutMs: parameters.requestTimeoutMs,
    runTag: newRunTag(),
    // Through the gateway, as the payment network: the gateway refuses anyone else (401).
    presentAs: 'network',
  });
  log(
    `${path}: ${parameters.ratePerSecond}/s open loop through ${gateway.name} for ${(parameters.beforeKillMs + parameters.afterKillMs) / 1000} s; primary SIGKILLed after ${parameters.beforeKillMs / 1000} s`,
  );
  const running = worker.run({
    kind: 'open-loop',
    name: `${path}: ${parameters.ratePerSecond}/s through the gateway, primary killed`,
    durationMs: parameters.beforeKillMs + parameters.afterKillMs,
    ratePerSecond: parameters.ratePerSecond,
    lateAfterMs: parameters.networkDeadlineMs,
    recordTimeline: true,
  });
  // Awaited below; until then a failure must not count as unhandled.
  running.catch(() => undefined);
  const { cpu: cpuBeforeKill } = await meter.measure(() => sleep(parameters.beforeKillMs));

  const syncAtKill = await probe.counts();
  const killedAtMs = epochNowMs();
  const { value: afterKill, cpu: cpuAfterKill } = await meter.measure(async () => {
    await stack.primary.kill();
    const primaryGoneAfterMs = round(epochNowMs() - killedAtMs);
    let directConnectChange: FailoverPath['directConnectChange'] = null;
    if (path === 'direct connect') {
      const { version } = await engineerTurnsDirectConnectOn(
        { primary: stack.primary.url, standin: stack.standin.url },
        'bench failover: primary is down, connect the gateway directly',
      );
      directConnectChange = { acceptedAfterKillMs: round(epochNowMs() - killedAtMs), version };
    }
    log(
      `${path}: primary killed${directConnectChange ? `; direct connect on (version ${directConnectChange.version}) ${directConnectChange.acceptedAfterKillMs} ms later` : ''}`,
    );
    return { primaryGoneAfterMs, directConnectChange, load: await running };
  });
  const { primaryGoneAfterMs, directConnectChange } = afterKill;
  const { timeline = [], ...load } = afterKill.load;

  // A run in which the gateway answered nothing (it refused the load's credential, say) has no
  // failover to measure: "0 past the deadline" would be a figure about nothing.
  if (!timeline.some((entry) => entry.outcome === 'answered'))
    throw new Error(
      `${path}: not one authorisation was answered through ${gateway.name} (errors: ${JSON.stringify(load.errorKinds)}); log: ${gateway.logFile}`,
    );
  const figures = switchFigures(timeline, killedAtMs, parameters.networkDeadlineMs);
  const byAutopilot = path === 'autopilot' ? await autopilotChangeSince(stack.standin.url, killedAtMs) : undefined;
  const autopilotChange = byAutopilot ? { afterKillMs: round(byAutopilot.atMs - killedAtMs), version: byAutopilot.version, reason: byAutopilot.reason } : null;
  if (path === 'autopilot')
    log(`autopilot: ${autopilotChange ? `switched ${autopilotChange.afterKillMs} ms after the kill: "${autopilotChange.reason}"` : 'made no change'}`);
  const switched = gatewaySwitchesLogged(gateway.logFile, killedAtMs).find((line) => line.to === 'standin');
  log(
    `${path}: first stand-in approval ${figures.firstStandinApprovalAfterKillMs ?? 'never'} ms after the kill; during the switch ${figures.duringSwitch.noAnswer504} × 504/91, ${figures.duringSwitch.pastDeadline} past the deadline; after the kill ${figures.afterKill.noAnswer504} × 504/91, ${figures.afterKill.pastDeadline} past the deadline, ${figures.afterKill.otherErrors} other errors`,
  );

  // Back to normal for the next path (and so the advices can be applied).
  const restartBegan = Date.now();
  await stack.primary.restart();
  const primaryRestartMs = Date.now() - restartBegan;
  if (path === 'direct connect') await changeDirectConnect(stack.standin.url, false, 'bench failover: primary is back');
  if (path === 'autopilot') {
    // Going back stays a human decision: the engineer disarms it and moves everyone back.
    await setAutopilot(stack.standin.url, { mode: 'off', reason: 'bench failover: primary is back' });
    await everyoneBackOnPrimary(stack.standin.url, 'bench failover: primary is back, everyone back on it');
  }
  const gatewayBackOnPrimaryAfterMs = await waitForGatewayOnPrimary(gateway.service.url, parameters.recoveryTimeoutMs);
  log(`${path}: primary restarted in ${round(primaryRestartMs / 1000)} s, ${gateway.name} back on it ${round(gatewayBackOnPrimaryAfterMs / 1000)} s later`);

  return {
    path,
    gateway: { name: gateway.name, env: gateway.env, logFile: gateway.logFile },
    killedAt: new Date(killedAtMs).toISOString(),
    primaryGoneAfterMs,
    syncAtKill: { primaryEvents: syncAtKill.primary, syncedEvents: syncAtKill.standin },
    directConnectChange,
    autopilotChange,
    switchLogged: switched ? { ...switched, afterKillMs: round(switched.atMs - killedAtMs) } : null,
    figures,
    load,
    cpu: { beforeKill: cpuBeforeKill, afterKill: cpuAfterKill },
    timeline: {
      fine: binTimeline(timeline, killedAtMs, parameters.networkDeadlineMs, parameters.fineBins),
      perSecond: binTimeline(timeline, killedAtMs, parameters.networkDeadlineMs, {
        fromMs: -parameters.beforeKillMs,
        toMs: parameters.afterKillMs + parameters.networkDeadlineMs,
        binMs: 1_000,
      }),
    },
    recovery: { primaryRestartMs, gatewayBackOnPrimaryAfterMs },
  };
}

export async function runFailoverBenchmark(): Promise<FailoverResult> {
  const machine = machineInfo();
  const infra = createInfra();
  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  const stack = await startBenchStack(infra.config, 'failover', log, { ownDatabases: true, gatewayForStandin: true });
  const parameters = { ...FAILOVER_PARAMETERS, standinLimits: stack.standinLimits };
  const worker = forkLoadWorker();
  let probe: SyncProbe | undefined;
  let result: FailoverResult;
  try {
    const gateways = {
      autoFailover: { ...parameters.gateways.autoFailover, ...(await stack.startGateway(parameters.gateways.autoFailover)) },
      directConnect: { ...parameters.gateways.directConnect, ...(await stack.startGateway(parameters.gateways.directConnect)) },
      // The gateway stand-in's autopilot watches (its GATEWAY_URL).
      autopilot: {
        ...parameters.gateways.autopilot,
        ...(await stack.startGateway({
          ...parameters.gateways.autopilot,
          ...(stack.standinGatewayPort === undefined ? {} : { port: stack.standinGatewayPort }),
        })),
      },
    };
    const synced = await setUpSyncedAccounts(stack, parameters, log);
    probe = synced.probe;
    const statuses = await infra.status();
    const context = { stack, worker, synced, probe, statuses };
    const paths = [
      await measurePath(context, 'automatic failover', gateways.autoFailover),
      await measurePath(context, 'direct connect', gateways.directConnect),
      await measurePath(context, 'autopilot', gateways.autopilot),
    ];
    const disturbed = disturbedComponents(statuses, await infra.status());
    if (disturbed.length > 0) log(`warning: infrastructure disturbed during the run: ${disturbed.join(', ')}`);

    log(`letting primary apply stand-in's approvals (at most ${parameters.adviceDrainTimeoutMs / 1000} s), then reconciling`);
    const advices = await drainAdvices(stack, probe, {
      purpose: 'clean-up',
      timeoutMs: parameters.adviceDrainTimeoutMs,
      pollMs: 1_000,
      reconcile: { accountIds: synced.accounts.map((account) => account.accountId), timeoutMs: parameters.reconciliationTimeoutMs },
    });
    log(`advices: ${advices.appliedAtEnd} of ${advices.advices} applied in primary; reconciliation ${advices.reconciliation?.clean ? 'clean' : 'NOT clean'}`);

    result = {
      benchmark: 'failover',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine, {
        processes: 'the load process, the gateways, primary, stand-in, the syncer, both PostgreSQL clusters, Kafka and the Pub/Sub emulator share them',
        meaning:
          "the times are this machine's; the gateway's decisions (breaker, deadlines, configuration poll) are what they measure, not production's network",
      }),
      parameters,
      paths,
      setup: synced.setup,
      advicesAfterwards: advices,
      disturbedInfrastructure: disturbed,
    };
  } finally {
    await probe?.close();
    await worker.stop().catch((error: unknown) => log(`could not stop the load generator: ${(error as Error).message}`));
    await stack.stop();
    log("load generator, gateways, primary, stand-in, syncer and advice consumer stopped, the run's databases dropped; the infrastructure is left running");
  }
  return result;
}
