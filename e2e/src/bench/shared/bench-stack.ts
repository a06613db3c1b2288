import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { infraEndpoints, type ComponentStatus, type InfraConfig } from '@bank/infra';
import { MAX_AMOUNT_MINOR } from '@bank/shared-contracts';
import { gatewayService } from '../../stack/gateway-service';
import { createRunDatabases, type RunDatabases } from '../../stack/run-databases';
import { createRunPubSub } from '../../stack/run-pubsub';
import { startFasterPaymentsScheme } from '../../simulator/faster-payments-scheme';
import { freePort, startService, type ServiceDefinition, type ServiceProcess } from '../../stack/service-process';
import { adviceConsumerService, primaryService, reservePlatformPorts, standinService, syncerService } from '../../stack/services';
import { stopAll, waitForSyncerConsuming } from '../../stack/run-stack';
import type { BenchAccount } from './bench-cards';
import { cpuMeter, type CpuMeter } from './cpu-usage';
import { raiseStandinLimits } from './bench-rules';

// Primary, stand-in and the syncer as the benchmark's own child processes (free ports, a consumer
// group of their own), so that whatever `npm start` or a test is running is neither measured nor
// disturbed. The infrastructure (PostgreSQL, Kafka, ...) is shared and left running. A benchmark
// that changes stand-in's configuration (direct connect) or reads the whole advice log
// (reconciliation) asks for databases of its own; the others use the clusters' shared ones.

/**
 * Stand-in's risk limits for benchmarks, per payment and per account per day, in pence: high
 * enough never to decline, so that what is measured is stand-in's work, not its limits.
 * The defaults (50,000 and 150,000) would decline a bench account within seconds. Set as a
 * configuration change (bench-rules.ts), as an engineer would.
 */
export const BENCH_STANDIN_LIMIT_MINOR = MAX_AMOUNT_MINOR;

export interface BenchStackOptions {
  /**
   * Databases of the run's own (dropped by `stop()`): nothing stateful is shared with `npm start`
   * or a test, so a configuration change reaches no one else's gateway and stand-in's advice log
   * holds only this run's advices.
   */
  readonly ownDatabases?: boolean;
  /** The payment-network simulator's Faster Payments scheme for the platforms' outbound payments (else they stay submitted, unanswered). */
  readonly fasterPaymentsScheme?: boolean;
  /**
   * A Pub/Sub emulator project of the run's own (dropped by `stop()`): its advice consumers pull
   * only what its stand-in published, never what earlier runs or tests left in the shared
   * subscription, so what the consumer counts (out of order, duplicates) is this run's alone.
   */
  readonly ownPubSub?: boolean;
  /**
   * A port reserved for a gateway stand-in's autopilot reads (GATEWAY_URL): stand-in starts before
   * any gateway, so the one it watches is started later on this port (`startGateway({ port })`).
   */
  readonly gatewayForStandin?: boolean;
}

export interface BenchStack {
  readonly run: string;
  readonly primary: ServiceProcess;
  readonly standin: ServiceProcess;
  readonly syncer: ServiceProcess;
  /** The databases this stack's services use (connection URLs). */
  readonly databases: { readonly primary: string; readonly standin: string };
  readonly logDirectory: string;
  readonly standinLimits: { readonly perPaymentMinor: number; readonly perAccountPerDayMinor: number };
  /** Starts an advice consumer between this stack's primary and stand-in (`env` overrides its settings); `stop()` stops it too. */
  startAdviceConsumer(env?: NodeJS.ProcessEnv): Promise<ServiceProcess>;
  /** Starts a data-centre gateway in front of this stack's platforms; `stop()` stops it too. Its log is `<logDirectory>/<name>.log`. */
  startGateway(options: {
    readonly name: string;
    readonly env: NodeJS.ProcessEnv;
    readonly port?: number;
  }): Promise<{ service: ServiceProcess; logFile: string }>;
  /** The port reserved for the gateway stand-in's autopilot watches (gatewayForStandin). */
  readonly standinGatewayPort?: number;
  /** Stops every process this stack started (gateways, advice consumer, syncer, stand-in, primary), whatever fails, then drops its own databases. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every `intervalMs` until it returns true or `timeoutMs` passes; returns whether it did and how long it took. */
export async function pollUntil(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<{ done: boolean; waitedMs: number }> {
  const began = Date.now();
  for (;;) {
    const done = await probe().catch(() => false);
    if (done || Date.now() - began >= timeoutMs) return { done, waitedMs: Date.now() - began };
    await sleep(intervalMs);
  }
}

async function dropOwnDatabases(own: RunDatabases | undefined, log: (line: string) => void): Promise<string[]> {
  if (!own) return [];
  try {
    await own.drop();
    return [];
  } catch (error) {
    log(`could not drop the run's databases: ${(error as Error).message}`);
    return [`dropping the run's databases: ${(error as Error).message}`];
  }
}

export async function startBenchStack(
  config: InfraConfig,
  benchmark: string,
  log: (line: string) => void,
  options: BenchStackOptions = {},
): Promise<BenchStack> {
  const run = `bench-${benchmark}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
  const logDirectory = path.join(config.dataDir, 'bench', run);
  const inBench = (definition: ServiceDefinition): ServiceDefinition => ({ ...definition, logFile: path.join(logDirectory, `${definition.name}.log`) });
  const standinLimits = { perPaymentMinor: BENCH_STANDIN_LIMIT_MINOR, perAccountPerDayMinor: BENCH_STANDIN_LIMIT_MINOR };
  const started: ServiceProcess[] = [];
  const stopSteps: (() => Promise<void>)[] = [];
  const { urls, ...ports } = await reservePlatformPorts();
  const standinGatewayPort = options.gatewayForStandin ? await freePort() : undefined;
  const start = async (definition: ServiceDefinition, port?: number) => {
    const service = await startService(inBench(definition), port === undefined ? {} : { port });
    started.push(service);
    log(`${service.name} started (pid ${service.pid()}) at ${service.url}`);
    return service;
  };
  const own = options.ownDatabases ? await createRunDatabases(config) : undefined;
  const shared = infraEndpoints(config).postgres;
  const databases = own ? { primary: own.primary, standin: own.standin } : { primary: shared.primary, standin: shared.standin };
  if (own) log(`databases of the run's own: ${new URL(own.primary).pathname.slice(1)} and ${new URL(own.standin).pathname.slice(1)}`);
  const scheme = options.fasterPaymentsScheme ? await startFasterPaymentsScheme() : undefined;
  const pubsub = options.ownPubSub ? await createRunPubSub(config) : undefined;
  if (pubsub) log(`Pub/Sub project of the run's own: ${pubsub.projectId}`);
  const serviceOptions = {
    urls,
    ...(own ? { databases } : {}),
    ...(scheme ? { fasterPaymentsSchemeUrl: scheme.url } : {}),
    ...(pubsub ? { pubsubProjectId: pubsub.projectId } : {}),
  };
  try {
    const primary = await start(primaryService(config, run, serviceOptions), ports.primary);
    const standinDefinition = standinService(config, run, serviceOptions);
    const standin = await start(
      standinGatewayPort === undefined
        ? standinDefinition
        : { ...standinDefinition, env: { ...standinDefinition.env, GATEWAY_URL: `http://127.0.0.1:${standinGatewayPort}` } },
      ports.standin,
    );
    const restoreRules = await raiseStandinLimits(standin.url, run, BENCH_STANDIN_LIMIT_MINOR);
    // Databases of the run's own are dropped at the end; the shared ones get their rules back.
    if (!own) stopSteps.push(restoreRules);
    const syncer = await start(syncerService(config, run, serviceOptions));
    await waitForSyncerConsuming(syncer, 60_000);
    log(`syncer consuming in its own group syncer-${run}; logs in ${logDirectory}`);
    return {
      run,
      primary,
      standin,
      syncer,
      databases,
      logDirectory,
      standinLimits,
      async startAdviceConsumer(env = {}) {
        const definition = adviceConsumerService(config, run, urls, pubsub ? { pubsubProjectId: pubsub.projectId } : {});
        return start({ ...definition, env: { ...definition.env, ...env } });
      },
      async startGateway({ name, env, port }) {
        const definition = inBench(gatewayService(config, run, urls, { name, env }));
        return { service: await start(definition, port), logFile: definition.logFile };
      },
      ...(standinGatewayPort === undefined ? {} : { standinGatewayPort }),
      async stop() {
        const restored = await Promise.all(
          stopSteps.map((step) =>
            step().then(
              () => undefined,
              (error: unknown) => `restoring stand-in's rules: ${(error as Error).message}`,
            ),
          ),
        );
        const failures = [
          ...restored.filter((failure): failure is string => failure !== undefined),
          ...(await stopAll(started)),
          ...(await dropOwnDatabases(own, log)),
        ];
        await scheme?.close();
        await pubsub?.drop();
        if (failures.length > 0) throw new Error(`could not stop every bench process: ${failures.join('; ')}`);
      },
    };
  } catch (error) {
    for (const step of stopSteps) await step().catch(() => undefined);
    await stopAll(started);
    await dropOwnDatabases(own, log);
    await scheme?.close();
    await pubsub?.drop();
    throw error;
  }
}

/**
 * Waits until stand-in's own app API (with each customer's token) lists the account's card: then
 * the card can be authorised in stand-in, and the account's funding, synced before it, counts.
 */
export async function waitForStandinToSeeCards(
  standinUrl: string,
  accounts: readonly BenchAccount[],
  timeoutMs: number,
): Promise<{ done: boolean; waitedMs: number; missing: number }> {
  let pending = [...accounts];
  const seen = async (account: BenchAccount) => {
    const response = await fetch(`${standinUrl}/accounts/${account.accountId}/cards`, {
      headers: { authorization: `Bearer ${account.customerToken}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status !== 200) return false;
    const body = (await response.json()) as { cards?: { cardId: string }[] };
    return body.cards?.some((card) => card.cardId === account.cardId) ?? false;
  };
  const outcome = await pollUntil(
    async () => {
      const still: BenchAccount[] = [];
      // A few at a time: this is set-up, and stand-in should not be flooded while the syncer writes.
      for (let index = 0; index < pending.length; index += 16) {
        const batch = pending.slice(index, index + 16);
        const answers = await Promise.all(batch.map((account) => seen(account).catch(() => false)));
        batch.forEach((account, position) => {
          if (!answers[position]) still.push(account);
        });
      }
      pending = still;
      return pending.length === 0;
    },
    timeoutMs,
    500,
  );
  return { ...outcome, missing: pending.length };
}

const pidOf = (statuses: readonly ComponentStatus[], name: string) => statuses.find((status) => status.name === name)?.pid;

/** The CPU meter of a run with the whole sync path: load, primary, Kafka, the syncer, stand-in and both databases. */
export function syncPathCpuMeter(stack: BenchStack, loadPid: number | undefined, statuses: readonly ComponentStatus[]): CpuMeter {
  return cpuMeter({
    'load generator': loadPid,
    primary: stack.primary.pid(),
    'postgres (primary)': pidOf(statuses, 'pg-primary'),
    kafka: pidOf(statuses, 'kafka'),
    syncer: stack.syncer.pid(),
    'stand-in': stack.standin.pid(),
    'postgres (stand-in)': pidOf(statuses, 'pg-standin'),
    'pub/sub emulator': pidOf(statuses, 'pubsub'),
    runner: process.pid,
  });
}
