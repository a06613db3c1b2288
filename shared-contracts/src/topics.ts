// Names of what crosses between components over Kafka and Pub/Sub, defined once.
// infra creates them; producers and consumers refer to them from here.

const DAY_MS = 24 * 60 * 60 * 1000;

export interface KafkaTopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Long enough for the syncer's replay to rebuild stand-in from history. */
  readonly retentionMs: number;
}

export const KAFKA_TOPICS = {
  /** Every primary state change, keyed by account id; partitioning keeps each account in order. */
  primaryEvents: { name: 'primary.events', partitions: 6, retentionMs: 30 * DAY_MS },
} as const satisfies Record<string, KafkaTopicSpec>;

export interface PubSubTopicSpec {
  readonly topic: string;
  readonly subscription: string;
  readonly enableMessageOrdering: boolean;
  readonly ackDeadlineSeconds: number;
  /**
   * How long Pub/Sub waits before redelivering a nacked message, growing from minimum to maximum.
   * Honoured by Pub/Sub itself; the emulator ignores it (it redelivers at once), which is why the
   * advice consumer also backs off on its own before it gives a message back.
   */
  readonly retryBackoffSeconds: { readonly minimum: number; readonly maximum: number };
}

export const PUBSUB_TOPICS = {
  /** Stand-in's advices to primary, ordering key = account id. */
  advices: {
    topic: 'standin.advices',
    subscription: 'primary.advice-consumer',
    enableMessageOrdering: true,
    ackDeadlineSeconds: 30,
    retryBackoffSeconds: { minimum: 1, maximum: 60 },
  },
  /** Advices primary could not parse or apply, with the reason, for operators. */
  adviceDeadLetter: {
    topic: 'standin.advices.dead-letter',
    subscription: 'operations.advice-dead-letter',
    enableMessageOrdering: false,
    ackDeadlineSeconds: 60,
    retryBackoffSeconds: { minimum: 10, maximum: 600 },
  },
} as const satisfies Record<string, PubSubTopicSpec>;

/** The settings a subscription is created with, from its spec (infra and the test stack create them alike). */
export function pubsubSubscriptionSettings(spec: PubSubTopicSpec) {
  return {
    enableMessageOrdering: spec.enableMessageOrdering,
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    retryPolicy: { minimumBackoff: { seconds: spec.retryBackoffSeconds.minimum }, maximumBackoff: { seconds: spec.retryBackoffSeconds.maximum } },
  };
}

/**
 * Each test run, chaos scenario and benchmark publishes and consumes Kafka topics of its own, as
 * it has databases and a Pub/Sub project of its own: `KAFKA_TOPIC_PREFIX` (e.g. `test-1a2b.`) goes
 * in front of every topic name. Unset, the names are the ones above, which `npm start` uses; so
 * nothing a test publishes ever reaches `npm start`'s syncer.
 */
export const KAFKA_TOPIC_PREFIX_VARIABLE = 'KAFKA_TOPIC_PREFIX';

const TOPIC_PREFIX_PATTERN = /^[a-zA-Z0-9._-]{0,100}$/;

export function kafkaTopicPrefixFromEnvironment(env: Readonly<Record<string, string | undefined>>): string {
  const prefix = env[KAFKA_TOPIC_PREFIX_VARIABLE] ?? '';
  if (!TOPIC_PREFIX_PATTERN.test(prefix)) {
    throw new Error(`${KAFKA_TOPIC_PREFIX_VARIABLE}=${prefix} is not a usable topic prefix: letters, digits, '.', '_' and '-' only, at most 100`);
  }
  return prefix;
}

/** The topic's name under a prefix ('' = the names `npm start` uses). */
export function kafkaTopicName(spec: KafkaTopicSpec, prefix: string): string {
  return `${prefix}${spec.name}`;
}
