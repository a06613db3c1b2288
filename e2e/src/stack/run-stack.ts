import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { KAFKA_TOPICS, kafkaTopicName } from '@bank/shared-contracts';
import { createInfra, deleteKafkaTopics, ensureKafkaTopics, infraEndpoints, loadInfraConfig, type HostAddress, type Infra } from '@bank/infra';
import { stackHosts } from './hosts';
import { createRunDatabases, type RunDatabases } from './run-databases';
import { createRunPubSub, type RunPubSub } from './run-pubsub';
import { startReplicatedPlatform, type ReplicatedPlatform } from './replicas';
import { startService, type ServiceDefinition, type ServiceProcess } from './service-process';
import { adviceConsumerService, primaryService, reservePlatformPorts, standinService, syncerService, type PlatformUrls } from './services';

// The whole system as child processes of a test or chaos run: the infrastructure (shared, started
// if it is not running), then primary, stand-in, the syncer and the advice consumer of the run's
// own, on free ports, on databases of the run's own and with a Pub/Sub project of its own.

export interface RunStack {
  readonly infra: Infra;
  /** The run's name: its log folder, its syncer's consumer group. */
  readonly run: string;
  /** Where every service of the run writes its log. */
  readonly logDirectory: string;
  readonly databases: RunDatabases;
  /** The run's own Pub/Sub project: its advices reach its own advice consumer only. */
  readonly pubsub: RunPubSub;
  /** The run's own Kafka topics: `<prefix>primary.events`, created for it and deleted by stop(). */
  readonly kafkaTopicPrefix: string;
  readonly primaryEventsTopic: string;
  readonly urls: PlatformUrls;
  readonly primary: ServiceProcess;
  readonly syncer: ServiceProcess;
  readonly standin: ServiceProcess;
  readonly adviceConsumer: ServiceProcess;
  /** With `replicas` > 1: every replica of each platform (the first is `primary`/`standin` above) and the load balancers at `urls`. */
  readonly replicated?: { readonly primary: ReplicatedPlatform; readonly standin: ReplicatedPlatform };
  /** Stops every service (even those killed or paused), then drops the run's databases. */
  stop(): Promise<void>;
}

export interface RunStackOptions {
  /** Prefix of the run's name, to tell its log folder apart. */
  readonly name?: string;
  /** Where both platforms submit outbound Faster Payments. */
  readonly fasterPaymentsSchemeUrl?: string;
  readonly primaryEnv?: NodeJS.ProcessEnv;
  readonly standinEnv?: NodeJS.ProcessEnv;
  /** Replicas of primary and of stand-in, each platform behind HAProxy at its URL (default 1: no load balancer). */
  readonly replicas?: number;
  /**
   * `hosts`: on the three-host topology (infra/src/hosts/, needs root): each service in its host's
   * namespace, on its address (see ./hosts.ts). Default: everything on this machine's loopback.
   */
  readonly topology?: 'hosts';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The syncer answers /health before its consumer has joined its group, and a new group starts at
 * the topic's end: an event published before the join would never reach this stand-in.
 */
export async function waitForSyncerConsuming(syncer: ServiceProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${syncer.url}/health`, { signal: AbortSignal.timeout(2_000) });
      const health = (await response.json()) as { consumer?: string };
      last = health.consumer ?? `HTTP ${response.status}`;
      if (health.consumer === 'consuming') return;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`the syncer's consumer did not join its group within ${timeoutMs / 1000} s (state: ${last}); log: ${syncer.name}`);
}

/** Stops services newest first; collects failures instead of stopping at the first. */
export async function stopAll(services: readonly ServiceProcess[]): Promise<string[]> {
  const failures: string[] = [];
  for (const service of [...services].reverse()) {
    try {
      await service.stop();
    } catch (error) {
      failures.push(`${service.name}: ${(error as Error).message}`);
    }
  }
  return failures;
}

export async function startRunStack(options: RunStackOptions = {}): Promise<RunStack> {
  const infra = createInfra(options.topology ? loadInfraConfig({ ...process.env, BANK_TOPOLOGY: options.topology }) : undefined);
  await infra.up();
  // Where each service runs: given only on the hosts topology, so the default start is unchanged.
  const hosts = stackHosts(infra.config);
  const on = (host: HostAddress) => (infra.config.topology ? { host } : {});
  const run = `${options.name ? `${options.name}-` : ''}${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
  // Each platform's configuration service reads the other's, so both ports are known up front.
  const { urls, ...ports } = await reservePlatformPorts({ primary: hosts.primary.address, standin: hosts.standin.address });
  const databases = await createRunDatabases(infra.config);
  const pubsub = await createRunPubSub(infra.config);
  const kafkaTopicPrefix = `${run}.`;
  const brokers = infraEndpoints(infra.config).kafkaBrokers;
  const dropTopics = () => deleteKafkaTopics(brokers, kafkaTopicPrefix).catch(() => undefined);
  await ensureKafkaTopics(brokers, kafkaTopicPrefix);
  const started: ServiceProcess[] = [];
  const start = async (definition: ServiceDefinition, host: HostAddress, port?: number) => {
    const service = await startService(definition, { ...(port === undefined ? {} : { port }), ...on(host) });
    started.push(service);
    return service;
  };
  const common = {
    urls,
    databases,
    pubsubProjectId: pubsub.projectId,
    kafkaTopicPrefix,
    ...(options.fasterPaymentsSchemeUrl ? { fasterPaymentsSchemeUrl: options.fasterPaymentsSchemeUrl } : {}),
  };
  const loadBalancers: ReplicatedPlatform['loadBalancer'][] = [];
  const stopLoadBalancers = () => Promise.all(loadBalancers.map((balancer) => balancer.stop().catch(() => undefined)));
  const replicated = async (definition: ServiceDefinition, host: HostAddress, port: number) => {
    const platform = await startReplicatedPlatform({
      definition,
      ...on(host),
      count: options.replicas!,
      port,
      directory: path.join(infra.config.dataDir, 'e2e', run),
      track: (service) => started.push(service),
    });
    loadBalancers.push(platform.loadBalancer);
    return platform;
  };
  try {
    const primaryDefinition = primaryService(infra.config, run, { ...common, ...(options.primaryEnv ? { env: options.primaryEnv } : {}) });
    const standinDefinition = standinService(infra.config, run, { ...common, ...(options.standinEnv ? { env: options.standinEnv } : {}) });
    const platforms =
      (options.replicas ?? 1) > 1
        ? {
            primary: await replicated(primaryDefinition, hosts.primary, ports.primary),
            standin: await replicated(standinDefinition, hosts.standin, ports.standin),
          }
        : undefined;
    const primary = platforms?.primary.replicas[0] ?? (await start(primaryDefinition, hosts.primary, ports.primary));
    const standin = platforms?.standin.replicas[0] ?? (await start(standinDefinition, hosts.standin, ports.standin));
    const syncer = await start(syncerService(infra.config, run, { databases, kafkaTopicPrefix }), hosts.syncer);
    await waitForSyncerConsuming(syncer, 60_000);
    const adviceConsumer = await start(adviceConsumerService(infra.config, run, urls, { pubsubProjectId: pubsub.projectId }), hosts.adviceConsumer);
    return {
      infra,
      run,
      logDirectory: path.join(infra.config.dataDir, 'e2e', run),
      databases,
      pubsub,
      kafkaTopicPrefix,
      primaryEventsTopic: kafkaTopicName(KAFKA_TOPICS.primaryEvents, kafkaTopicPrefix),
      urls,
      primary,
      syncer,
      standin,
      adviceConsumer,
      ...(platforms ? { replicated: platforms } : {}),
      async stop() {
        const failures = await stopAll(started);
        await stopLoadBalancers();
        await databases.drop();
        await pubsub.drop().catch(() => undefined);
        await dropTopics();
        if (failures.length > 0) throw new Error(`could not stop every service of run ${run}: ${failures.join('; ')}`);
      },
    };
  } catch (error) {
    await stopAll(started);
    await stopLoadBalancers();
    await databases.drop().catch(() => undefined);
    await pubsub.drop().catch(() => undefined);
    await dropTopics();
    throw error;
  }
}
