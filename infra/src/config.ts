import path from 'node:path';
import type { ComponentName } from './component';
import { hostsTopologyFromEnvironment, type HostAddress, type HostName, type HostsTopology } from './hosts/hosts-topology';

// Where every piece of local infrastructure lives and listens. Defaults stay clear of the
// machine's own services (PostgreSQL 5432, Redis 6379, ...); each port can be overridden.

export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');

export interface InfraConfig {
  readonly dataDir: string;
  readonly pgPrimaryPort: number;
  readonly pgStandinPort: number;
  readonly redisPrimaryPort: number;
  readonly redisStandinPort: number;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  /** The broker's SASL/PLAIN listener (BANK_KAFKA_SASL_PORT; the Kafka port + 2 by default): where clients prove their SASL settings. */
  readonly kafkaSaslPort: number;
  readonly kafkaVersion: string;
  readonly pubsubPort: number;
  readonly pubsubProjectId: string;
  /** Maven local repository used to fetch Kafka's jars; undefined = Maven's own default (~/.m2). */
  readonly mavenRepository: string | undefined;
  /**
   * Set by `--topology hosts` (BANK_TOPOLOGY=hosts): the servers run on the hosts topology's
   * namespaces and addresses, with their data under `<BANK_DATA_DIR>/hosts`, apart from the
   * single-host start's (both may run at once: their addresses differ).
   */
  readonly topology?: HostsTopology;
}

/** Every environment variable the infra reads, with its default: the README's port table comes from here. */
export const INFRA_ENVIRONMENT = {
  BANK_DATA_DIR: path.join(REPOSITORY_ROOT, '.data'),
  BANK_PG_PRIMARY_PORT: '15432',
  BANK_PG_STANDIN_PORT: '15433',
  BANK_REDIS_PRIMARY_PORT: '16379',
  BANK_REDIS_STANDIN_PORT: '16380',
  BANK_KAFKA_PORT: '19092',
  BANK_KAFKA_CONTROLLER_PORT: '19093',
  /** Empty: the Kafka port + 2. */
  BANK_KAFKA_SASL_PORT: '',
  BANK_KAFKA_VERSION: '4.2.0',
  BANK_PUBSUB_PORT: '18085',
  BANK_PUBSUB_PROJECT: 'bank-local',
  BANK_MAVEN_REPOSITORY: '',
  /** `hosts`: the three-host topology (see infra/src/hosts/); empty: everything on this machine's loopback. */
  BANK_TOPOLOGY: '',
} as const;

type InfraVariable = keyof typeof INFRA_ENVIRONMENT;

function port(env: NodeJS.ProcessEnv, name: InfraVariable): number {
  const raw = env[name] ?? INFRA_ENVIRONMENT[name];
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1024 || value > 65535) {
    throw new Error(`${name}=${raw} is not a usable port: expected an integer from 1024 to 65535`);
  }
  return value;
}

export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env): InfraConfig {
  const text = (name: InfraVariable) => env[name] || INFRA_ENVIRONMENT[name];
  const kafkaVersion = text('BANK_KAFKA_VERSION');
  if (!/^\d+\.\d+\.\d+$/.test(kafkaVersion)) throw new Error(`BANK_KAFKA_VERSION=${kafkaVersion} is not a Kafka version such as 4.2.0`);
  const topologyName = text('BANK_TOPOLOGY');
  if (topologyName !== '' && topologyName !== 'hosts')
    throw new Error(`BANK_TOPOLOGY=${topologyName} is not a topology: expected hosts, or nothing for the single-host start`);
  const topology = topologyName === 'hosts' ? hostsTopologyFromEnvironment(env) : undefined;
  const dataDir = path.resolve(text('BANK_DATA_DIR'));
  return {
    dataDir: topology ? path.join(dataDir, 'hosts') : dataDir,
    pgPrimaryPort: port(env, 'BANK_PG_PRIMARY_PORT'),
    pgStandinPort: port(env, 'BANK_PG_STANDIN_PORT'),
    redisPrimaryPort: port(env, 'BANK_REDIS_PRIMARY_PORT'),
    redisStandinPort: port(env, 'BANK_REDIS_STANDIN_PORT'),
    kafkaPort: port(env, 'BANK_KAFKA_PORT'),
    kafkaControllerPort: port(env, 'BANK_KAFKA_CONTROLLER_PORT'),
    kafkaSaslPort: text('BANK_KAFKA_SASL_PORT') === '' ? port(env, 'BANK_KAFKA_PORT') + 2 : port(env, 'BANK_KAFKA_SASL_PORT'),
    kafkaVersion,
    pubsubPort: port(env, 'BANK_PUBSUB_PORT'),
    pubsubProjectId: text('BANK_PUBSUB_PROJECT'),
    mavenRepository: text('BANK_MAVEN_REPOSITORY') || undefined,
    ...(topology ? { topology } : {}),
  };
}

/** Connection details other workspaces use to reach the infrastructure. */
export interface InfraEndpoints {
  readonly postgres: { readonly primary: string; readonly standin: string };
  readonly redis: { readonly primary: string; readonly standin: string };
  readonly kafkaBrokers: readonly string[];
  /** The same broker's SASL/PLAIN listener, with its development credentials (public: local only). */
  readonly kafkaSasl: { readonly brokers: readonly string[]; readonly mechanism: 'PLAIN'; readonly username: string; readonly password: string };
  readonly pubsub: { readonly apiEndpoint: string; readonly projectId: string };
}

export const POSTGRES_USER = 'bank';
/** The one user the local broker's SASL/PLAIN listener knows: a public development credential, like every local-mode secret. */
export const KAFKA_SASL_DEVELOPMENT_USER = { username: 'banklocal', password: 'local-kafka-password' } as const;
export const POSTGRES_DATABASES = { primary: 'primary', standin: 'standin' } as const;

/** Which host each server runs on in the hosts topology: Kafka on primary's side, Pub/Sub on stand-in's. */
export const COMPONENT_HOSTS: Record<ComponentName, HostName> = {
  'pg-primary': 'primary-cloud',
  'redis-primary': 'primary-cloud',
  kafka: 'primary-cloud',
  'pg-standin': 'standin-cloud',
  'redis-standin': 'standin-cloud',
  pubsub: 'standin-cloud',
};

const LOOPBACK: HostAddress = { address: '127.0.0.1' };

/** Where a host's processes run and bind: its namespace and address, or this machine's loopback. */
export function hostAddress(config: Pick<InfraConfig, 'topology'>, host: HostName): HostAddress {
  return config.topology ? config.topology.hosts[host] : LOOPBACK;
}

/** Where a server runs and listens. */
export function componentHost(config: Pick<InfraConfig, 'topology'>, name: ComponentName): HostAddress {
  return hostAddress(config, COMPONENT_HOSTS[name]);
}

export function infraEndpoints(config: InfraConfig = loadInfraConfig()): InfraEndpoints {
  const at = (name: ComponentName) => componentHost(config, name).address;
  return {
    postgres: {
      primary: `postgres://${POSTGRES_USER}@${at('pg-primary')}:${config.pgPrimaryPort}/${POSTGRES_DATABASES.primary}`,
      standin: `postgres://${POSTGRES_USER}@${at('pg-standin')}:${config.pgStandinPort}/${POSTGRES_DATABASES.standin}`,
    },
    redis: {
      primary: `redis://${at('redis-primary')}:${config.redisPrimaryPort}`,
      standin: `redis://${at('redis-standin')}:${config.redisStandinPort}`,
    },
    kafkaBrokers: [`${at('kafka')}:${config.kafkaPort}`],
    kafkaSasl: { brokers: [`${at('kafka')}:${config.kafkaSaslPort}`], mechanism: 'PLAIN', ...KAFKA_SASL_DEVELOPMENT_USER },
    pubsub: { apiEndpoint: `${at('pubsub')}:${config.pubsubPort}`, projectId: config.pubsubProjectId },
  };
}
