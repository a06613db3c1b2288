// The syncer's settings, all from the environment so `npm start`, the chaos suite and an
// operator's shell configure it the same way; read and checked once at start. It holds stand-in's
// card keys (it takes custody of the card numbers primary's events carry), so outside local mode
// (BANK_MODE=local) it refuses to start without them.
import { z } from 'zod';
import {
  KAFKA_SECURITY_VARIABLES,
  kafkaSecurity,
  kafkaTopicPrefixFromEnvironment,
  positiveWholeNumber,
  readServiceEnvironment,
  type KafkaSecurity,
  type ServiceEnvironment,
} from '@bank/shared-contracts';
import { CARD_KEY_SECRETS, CARD_KEY_VARIABLES, cardKeysFrom, type StandinCardKeys } from '@bank/standin';

export interface SyncerConfig {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string[];
  /** KAFKA_TLS, KAFKA_SASL_*: how to reach a managed cluster (none for a local plaintext broker). */
  readonly kafkaSecurity: KafkaSecurity;
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
  readonly keys: StandinCardKeys;
}

export const DEFAULT_SYNCER_PORT = 8300;
export const DEFAULT_LAG_APPETITE_MS = 5_000;
export const DEFAULT_GROUP_ID = 'standin-syncer';

const port = positiveWholeNumber.max(65_535, 'is not a port: expected at most 65535');

const SYNCER_VARIABLES = {
  ...CARD_KEY_VARIABLES,
  STANDIN_DATABASE_URL: z.string({ error: "must be set: the syncer writes stand-in's synced tables there" }),
  KAFKA_BROKERS: z
    .string({ error: 'must be set (comma-separated host:port): the syncer reads primary.events there' })
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter((broker) => broker !== ''),
    )
    .refine((brokers) => brokers.length > 0, 'must name at least one broker (comma-separated host:port)'),
  // PORT is what `npm start` gives each service it runs; SYNCER_PORT wins when both are set.
  SYNCER_PORT: port.optional(),
  PORT: port.default(DEFAULT_SYNCER_PORT),
  LOG_LEVEL: z.string().default('info'),
  SYNCER_GROUP_ID: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  ...KAFKA_SECURITY_VARIABLES,
  SYNC_LAG_APPETITE_MS: positiveWholeNumber.default(DEFAULT_LAG_APPETITE_MS),
  SYNCER_START_FROM: z.enum(['beginning', 'latest']).default('beginning'),
};

export function readSyncerEnvironment(env: NodeJS.ProcessEnv): ServiceEnvironment<SyncerConfig> {
  const read = readServiceEnvironment({ service: 'syncer', variables: SYNCER_VARIABLES, secrets: CARD_KEY_SECRETS }, env);
  const values = read.values;
  const topicPrefix = kafkaTopicPrefixFromEnvironment({ KAFKA_TOPIC_PREFIX: values.KAFKA_TOPIC_PREFIX });
  return {
    ...read,
    values: {
      databaseUrl: values.STANDIN_DATABASE_URL,
      kafkaBrokers: values.KAFKA_BROKERS,
      kafkaSecurity: kafkaSecurity('syncer', values, read.local),
      port: values.SYNCER_PORT ?? values.PORT,
      logLevel: values.LOG_LEVEL,
      groupId: values.SYNCER_GROUP_ID ?? `${topicPrefix}${DEFAULT_GROUP_ID}`,
      topicPrefix,
      lagAppetiteMs: values.SYNC_LAG_APPETITE_MS,
      startFrom: values.SYNCER_START_FROM,
      keys: cardKeysFrom(values),
    },
  };
}

/** The settings alone (tests, the replay tool). */
export function syncerConfigFromEnvironment(env: NodeJS.ProcessEnv): SyncerConfig {
  return readSyncerEnvironment(env).values;
}
