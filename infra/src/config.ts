import path from 'node:path';

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
  readonly kafkaVersion: string;
  readonly pubsubPort: number;
  readonly pubsubProjectId: string;
  /** Maven local repository used to fetch Kafka's jars; undefined = Maven's own default (~/.m2). */
  readonly mavenRepository: string | undefined;
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
  BANK_KAFKA_VERSION: '3.9.1',
  BANK_PUBSUB_PORT: '18085',
  BANK_PUBSUB_PROJECT: 'bank-local',
  BANK_MAVEN_REPOSITORY: '',
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
  if (!/^\d+\.\d+\.\d+$/.test(kafkaVersion)) throw new Error(`BANK_KAFKA_VERSION=${kafkaVersion} is not a Kafka version such as 3.9.1`);
  return {
    dataDir: path.resolve(text('BANK_DATA_DIR')),
    pgPrimaryPort: port(env, 'BANK_PG_PRIMARY_PORT'),
    pgStandinPort: port(env, 'BANK_PG_STANDIN_PORT'),
    redisPrimaryPort: port(env, 'BANK_REDIS_PRIMARY_PORT'),
    redisStandinPort: port(env, 'BANK_REDIS_STANDIN_PORT'),
    kafkaPort: port(env, 'BANK_KAFKA_PORT'),
    kafkaControllerPort: port(env, 'BANK_KAFKA_CONTROLLER_PORT'),
    kafkaVersion,
    pubsubPort: port(env, 'BANK_PUBSUB_PORT'),
    pubsubProjectId: text('BANK_PUBSUB_PROJECT'),
    mavenRepository: text('BANK_MAVEN_REPOSITORY') || undefined,
  };
}

/** Connection details other workspaces use to reach the infrastructure. */
export interface InfraEndpoints {
  readonly postgres: { readonly primary: string; readonly standin: string };
  readonly redis: { readonly primary: string; readonly standin: string };
  readonly kafkaBrokers: readonly string[];
  readonly pubsub: { readonly apiEndpoint: string; readonly projectId: string };
}

export const POSTGRES_USER = 'bank';
export const POSTGRES_DATABASES = { primary: 'primary', standin: 'standin' } as const;

export function infraEndpoints(config: InfraConfig = loadInfraConfig()): InfraEndpoints {
  return {
    postgres: {
      primary: `postgres://${POSTGRES_USER}@127.0.0.1:${config.pgPrimaryPort}/${POSTGRES_DATABASES.primary}`,
      standin: `postgres://${POSTGRES_USER}@127.0.0.1:${config.pgStandinPort}/${POSTGRES_DATABASES.standin}`,
    },
    redis: {
      primary: `redis://127.0.0.1:${config.redisPrimaryPort}`,
      standin: `redis://127.0.0.1:${config.redisStandinPort}`,
    },
    kafkaBrokers: [`127.0.0.1:${config.kafkaPort}`],
    pubsub: { apiEndpoint: `127.0.0.1:${config.pubsubPort}`, projectId: config.pubsubProjectId },
  };
}
