import path from 'node:path';
import { ensureDevelopmentKeys, infraEndpoints, type InfraConfig } from '@bank/infra';
import { freePort, type ServiceDefinition } from './service-process';

// How each of the project's services is started for tests, chaos runs and benchmarks: the same
// environment `npm start` gives them, pointed at the infrastructure `infra/` runs.

/** The incident engineer's token for both configuration services (`OPERATOR_TOKENS` is `name:token,...`). */
export const OPERATOR = { name: 'e2e-operator', token: 'e2e-operator-token' } as const;

/** Where each platform finds the other: both are started on ports picked before either starts. */
export interface PlatformUrls {
  readonly primary: string;
  readonly standin: string;
}

function common(config: InfraConfig): NodeJS.ProcessEnv {
  const endpoints = infraEndpoints(config);
  // The syncer prefers SYNCER_PORT to PORT: one set for `npm start` in this shell must not send a
  // test's syncer to npm start's port (each service here gets PORT, a free one).
  const inherited = { ...process.env };
  delete inherited.SYNCER_PORT;
  return {
    ...inherited,
    // Test stacks are local development stacks (see infra's service environment).
    BANK_MODE: 'local',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=TimeoutNegativeWarning'].filter(Boolean).join(' '),
    METADATA_SERVER_DETECTION: 'none',
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    PUBSUB_EMULATOR_HOST: endpoints.pubsub.apiEndpoint,
    PUBSUB_PROJECT_ID: endpoints.pubsub.projectId,
    // Each service identity's credential is its local-mode development one (see credentials.ts).
    OPERATOR_TOKENS: `${OPERATOR.name}:${OPERATOR.token}`,
    // Test stacks, benchmarks and chaos runs open accounts and call the app API far faster than one
    // customer would: the limits are the platforms' own tests' (rate-limits.test.ts in each).
    PRIMARY_RATE_LIMIT_CUSTOMER_PER_MINUTE: '1000000',
    PRIMARY_RATE_LIMIT_ACCOUNT_OPENINGS_PER_MINUTE: '1000000',
    STANDIN_RATE_LIMIT_CUSTOMER_PER_MINUTE: '1000000',
    // Tests cannot wait long for a platform back from an outage to catch up.
    CONFIGURATION_PEER_SYNC_MS: '500',
  };
}

const logFile = (config: InfraConfig, run: string, name: string) => path.join(config.dataDir, 'e2e', run, `${name}.log`);

/** Where a service finds the other platform and which databases it uses (default: the clusters' shared ones). */
export interface ServiceOptions {
  readonly urls?: PlatformUrls;
  readonly databases?: { readonly primary: string; readonly standin: string };
  /** Where the platform submits outbound Faster Payments (the payment-network simulator's scheme endpoint). */
  readonly fasterPaymentsSchemeUrl?: string;
  /** The Pub/Sub emulator project carrying the advices (default: the shared one infra provisions). */
  readonly pubsubProjectId?: string;
  /** The run's own Kafka topics (KAFKA_TOPIC_PREFIX): what its primary publishes reaches only its own syncer. */
  readonly kafkaTopicPrefix?: string;
  /** Anything else for this service's environment, last, so it wins (e.g. stand-in's risk limits). */
  readonly env?: NodeJS.ProcessEnv;
}

const schemeUrl = (options: ServiceOptions) => (options.fasterPaymentsSchemeUrl ? { FASTER_PAYMENTS_SCHEME_URL: options.fasterPaymentsSchemeUrl } : {});
const topicPrefix = (options: ServiceOptions) => (options.kafkaTopicPrefix === undefined ? {} : { KAFKA_TOPIC_PREFIX: options.kafkaTopicPrefix });
const pubsubProject = (options: ServiceOptions) => (options.pubsubProjectId ? { PUBSUB_PROJECT_ID: options.pubsubProjectId } : {});

export function primaryService(config: InfraConfig, run: string, options: ServiceOptions = {}): ServiceDefinition {
  const endpoints = infraEndpoints(config);
  // Only the public half of stand-in's key pair: primary encrypts PANs for stand-in, never reads them back.
  const keys = ensureDevelopmentKeys(config.dataDir);
  return {
    name: 'primary',
    entry: 'primary/dist/main.js',
    migrate: 'primary/dist/migrate.js',
    logFile: logFile(config, run, 'primary'),
    env: {
      ...common(config),
      PRIMARY_DATABASE_URL: options.databases?.primary ?? endpoints.postgres.primary,
      PRIMARY_REDIS_URL: endpoints.redis.primary,
      STANDIN_PAN_PUBLIC_KEY_B_FILE: keys.standinPanPublicKeyFile,
      ...(options.urls ? { STANDIN_URL: options.urls.standin } : {}),
      ...schemeUrl(options),
      ...topicPrefix(options),
      ...options.env,
    },
  };
}

export function standinService(config: InfraConfig, run: string, options: ServiceOptions = {}): ServiceDefinition {
  const endpoints = infraEndpoints(config);
  const keys = ensureDevelopmentKeys(config.dataDir);
  return {
    name: 'standin',
    entry: 'standin/dist/main.js',
    migrate: 'standin/dist/upgrade.js',
    logFile: logFile(config, run, 'standin'),
    env: {
      ...common(config),
      STANDIN_DATABASE_URL: options.databases?.standin ?? endpoints.postgres.standin,
      STANDIN_REDIS_URL: endpoints.redis.standin,
      STANDIN_PAN_PRIVATE_KEY_B_FILE: keys.standinPanPrivateKeyFile,
      ...(options.urls ? { PRIMARY_URL: options.urls.primary } : {}),
      ...schemeUrl(options),
      ...pubsubProject(options),
      ...options.env,
    },
  };
}

export function syncerService(config: InfraConfig, run: string, options: ServiceOptions = {}): ServiceDefinition {
  const endpoints = infraEndpoints(config);
  const keys = ensureDevelopmentKeys(config.dataDir);
  return {
    name: 'syncer',
    entry: 'syncer/dist/main.js',
    migrate: 'standin/dist/upgrade.js',
    logFile: logFile(config, run, 'syncer'),
    env: {
      ...common(config),
      STANDIN_DATABASE_URL: options.databases?.standin ?? endpoints.postgres.standin,
      STANDIN_PAN_PRIVATE_KEY_B_FILE: keys.standinPanPrivateKeyFile,
      // A group of its own: no other syncer (npm start's, another test's) takes its partitions.
      SYNCER_GROUP_ID: `syncer-${run}`,
      // Only what happens from now on: the run creates its own customers after the syncer starts.
      SYNCER_START_FROM: 'latest',
      ...topicPrefix(options),
    },
  };
}

export function adviceConsumerService(
  config: InfraConfig,
  run: string,
  urls: PlatformUrls,
  options: Pick<ServiceOptions, 'pubsubProjectId' | 'env'> = {},
): ServiceDefinition {
  return {
    name: 'advice-consumer',
    entry: 'advice-consumer/dist/main.js',
    logFile: logFile(config, run, 'advice-consumer'),
    // Tests cannot wait minutes: lost advices are re-driven from stand-in's log after 5 s.
    env: {
      ...common(config),
      PRIMARY_URL: urls.primary,
      STANDIN_URL: urls.standin,
      ADVICE_REDRIVE_INTERVAL_MS: '2000',
      ADVICE_REDRIVE_AFTER_MS: '5000',
      ...pubsubProject(options),
      ...options.env,
    },
  };
}

/** Free ports for both platforms, picked before either starts so each can be told where the other is. */
export async function reservePlatformPorts(
  addresses: { primary: string; standin: string } = { primary: '127.0.0.1', standin: '127.0.0.1' },
): Promise<{ primary: number; standin: number; urls: PlatformUrls }> {
  const primary = await freePort();
  const standin = await freePort();
  return { primary, standin, urls: { primary: `http://${addresses.primary}:${primary}`, standin: `http://${addresses.standin}:${standin}` } };
}
