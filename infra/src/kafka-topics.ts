import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_TOPICS, kafkaTopicName } from '@bank/shared-contracts';

// The project's Kafka topics under a prefix: '' for `npm start`'s, `test-<run>.` for a test run's,
// `run-<name>.` for one test stack's (see KAFKA_TOPIC_PREFIX in shared-contracts). The broker
// does not create topics on first use, so whoever owns a prefix creates its topics, and deletes
// them when done.

// A broker just started, on a busy machine, may answer metadata for a topic it has just created
// with "This server does not host this topic-partition" for several seconds (a clean CI clone
// failed its start so, 2026-12-06, with three retries of about 2 s in all). kafkajs retries that
// error: 8 tries capped at 5 s each wait up to about 25 s before giving up.
function admin(brokers: readonly string[]) {
  return new Kafka({
    clientId: 'bank-infra-topics',
    brokers: [...brokers],
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 5_000 },
  }).admin();
}

/** Creates what is missing (and partitions that are missing); idempotent. Returns the topics' names. */
export async function ensureKafkaTopics(brokers: readonly string[], prefix: string): Promise<string[]> {
  const client = admin(brokers);
  await client.connect();
  try {
    const wanted = Object.values(KAFKA_TOPICS).map((spec) => ({ ...spec, name: kafkaTopicName(spec, prefix) }));
    const existing = new Set(await client.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await client.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: String(topic.retentionMs) }],
        })),
      });
    }
    const metadata = await client.fetchTopicMetadata({ topics: wanted.map((topic) => topic.name) });
    for (const topic of wanted) {
      const found = metadata.topics.find((candidate) => candidate.name === topic.name);
      if (found && found.partitions.length < topic.partitions) {
        await client.createPartitions({ topicPartitions: [{ topic: topic.name, count: topic.partitions }] });
      }
    }
    return wanted.map((topic) => topic.name);
  } finally {
    await client.disconnect();
  }
}

/** Deletes a test run's topics (never the unprefixed ones `npm start` uses). */
export async function deleteKafkaTopics(brokers: readonly string[], prefix: string): Promise<void> {
  if (prefix === '') throw new Error("refusing to delete the unprefixed topics: they are npm start's");
  const client = admin(brokers);
  await client.connect();
  try {
    const names = Object.values(KAFKA_TOPICS).map((spec) => kafkaTopicName(spec, prefix));
    const existing = new Set(await client.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length > 0) await client.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await client.disconnect();
  }
}
