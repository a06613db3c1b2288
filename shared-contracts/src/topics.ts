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
}

export const PUBSUB_TOPICS = {
  /** Stand-in's advices to primary, ordering key = account id. */
  advices: { topic: 'standin.advices', subscription: 'primary.advice-consumer', enableMessageOrdering: true, ackDeadlineSeconds: 30 },
  /** Advices primary could not parse or apply, with the reason, for operators. */
  adviceDeadLetter: { topic: 'standin.advices.dead-letter', subscription: 'operations.advice-dead-letter', enableMessageOrdering: false, ackDeadlineSeconds: 60 },
} as const satisfies Record<string, PubSubTopicSpec>;
