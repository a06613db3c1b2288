// The syncer's settings, all from the environment so `npm start`, the chaos suite and an
// operator's shell configure it the same way.
import { kafkaTopicPrefixFromEnvironment } from '@bank/shared-contracts';

export interface SyncerConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string[];
  readonly port: number;
  readonly logLevel: string;
  /** The consumer group: every syncer instance shares it, so each partition has one writer. */
  readonly groupId: string;
  /** KAFKA_TOPIC_PREFIX: a test run's own topic, and its own default group ('' for `npm start`). */
  readonly topicPrefix: string;
  /** Lag above this is an incident: an error line and `alerting` in stand-in's sync_lag. */
  readonly lagAppetiteMs: number;
  /** Where a group that never committed starts: all of history (stand-in needs it), or only what comes next. */
  readonly startFrom: 'beginning' | 'latest';
}

export const DEFAULT_SYNCER_PORT = 8300;
export const DEFAULT_LAG_APPETITE_MS = 5_000;
export const DEFAULT_GROUP_ID = 'standin-syncer';

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${raw} is not usable: expected a positive integer`);
  return value;
}

function startFrom(raw: string | undefined): 'beginning' | 'latest' {
  if (raw === undefined || raw === '' || raw === 'beginning') return 'beginning';
  if (raw === 'latest') return 'latest';
  throw new Error(`SYNCER_START_FROM=${raw} is not usable: expected beginning or latest`);
}

export function syncerConfigFromEnvironment(env: NodeJS.ProcessEnv): SyncerConfig {
  const databaseUrl = env.STANDIN_DATABASE_URL;
  if (!databaseUrl) throw new Error("STANDIN_DATABASE_URL must be set: the syncer writes stand-in's synced tables there");
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS must be set (comma-separated host:port): the syncer reads primary.events there');
  // PORT is what `npm start` gives each service it runs; SYNCER_PORT wins when both are set.
  const port = positiveInteger(env, env.SYNCER_PORT ? 'SYNCER_PORT' : 'PORT', DEFAULT_SYNCER_PORT);
  if (port > 65_535) throw new Error(`SYNCER_PORT=${port} is not a port: expected at most 65535`);
  const topicPrefix = kafkaTopicPrefixFromEnvironment(env);
  return {
    databaseUrl,
    kafkaBrokers: brokers,
    port,
    logLevel: env.LOG_LEVEL || 'info',
    groupId: env.SYNCER_GROUP_ID || `${topicPrefix}${DEFAULT_GROUP_ID}`,
    topicPrefix,
    lagAppetiteMs: positiveInteger(env, 'SYNC_LAG_APPETITE_MS', DEFAULT_LAG_APPETITE_MS),
    startFrom: startFrom(env.SYNCER_START_FROM),
  };
}
