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
  advices: { topic: 'standin.advices', subscription: 'primary.advice-consumer', enableMessageOrdering: true, ackDeadlineSeconds: 30, retryBackoffSeconds: { minimum: 1, maximum: 60 } },
  /** Advices primary could not parse or apply, with the reason, for operators. */
  adviceDeadLetter: { topic: 'standin.advices.dead-letter', subscription: 'operations.advice-dead-letter', enableMessageOrdering: false, ackDeadlineSeconds: 60, retryBackoffSeconds: { minimum: 10, maximum: 600 } },
} as const satisfies Record<string, PubSubTopicSpec>;

/** The settings a subscription is created with, from its spec (infra and the test stack create them alike). */
export function pubsubSubscriptionSettings(spec: PubSubTopicSpec) {
  return {
    enableMessageOrdering: spec.enableMessageOrdering,
    ackDeadlineSeconds: spec.ackDeadlineSeconds,
    retryPolicy: { minimumBackoff: { seconds: spec.retryBackoffSeconds.minimum }, maximumBackoff: { seconds: spec.retryBackoffSeconds.maximum } },
  };
}
