import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { KAFKA_TOPICS, kafkaTopicName } from '@bank/shared-contracts';

// The project's Kafka topics under a prefix: '' for `npm start`'s, `test-<run>.` for a test run's,
// `run-<name>.` for one test stack's (see KAFKA_TOPIC_PREFIX in shared-contracts). The broker
// does not create topics on first use, so whoever owns a prefix creates its topics, and deletes
// them when done.

// A broker just started, on a busy machine, may answer metadata for a topic it has just created
// with "This server does not host this topic-partition" for several seconds (a clean CI clone
// failed its start so, 2026-12-06, with three retries of about 2 s in all). 8 tries, waits from
// 300 ms doubling to at most 5 s: about 25 s before giving up.
const RETRIES = 8;
const retryDelay = (_client: unknown, _operation: string, attempt: number) => Math.min(5_000, 300 * 2 ** Math.max(0, attempt - 1));
/** How long new topics may take to have a leader on every partition. */
const LEADERS_WITHIN_MS = 30_000;

function admin(brokers: readonly string[]): Admin {
  return new Admin({ clientId: 'bank-infra-topics', bootstrapBrokers: [...brokers], retries: RETRIES, retryDelay, timeout: 10_000 });
}

/** Waits until every partition of `topics` has a leader: a topic is not usable before. */
async function leadersElected(client: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + LEADERS_WITHIN_MS;
  for (;;) {
    const metadata = await client.metadata({ topics: [...topics], forceUpdate: true });
    const leaderless = topics.filter((name) => {
      const topic = metadata.topics.get(name);
      return !topic || topic.partitions.some((partition) => partition.leader < 0);
    });
    if (leaderless.length === 0) return;
    if (Date.now() > deadline) throw new Error(`Kafka topics without a leader after ${LEADERS_WITHIN_MS} ms: ${leaderless.join(', ')}`);
    await sleep(200);
  }
}

/** Creates what is missing (and partitions that are missing); idempotent. Returns the topics' names. */
export async function ensureKafkaTopics(brokers: readonly string[], prefix: string): Promise<string[]> {
  const client = admin(brokers);
  try {
    const wanted = Object.values(KAFKA_TOPICS).map((spec) => ({ ...spec, name: kafkaTopicName(spec, prefix) }));
    const existing = new Set(await client.listTopics());
    // One request per topic: a request's configs apply to every topic in it, and retention differs.
    for (const topic of wanted.filter((candidate) => !existing.has(candidate.name))) {
      await client.createTopics({
        topics: [topic.name],
        partitions: topic.partitions,
        replicas: 1,
        configs: [{ name: 'retention.ms', value: String(topic.retentionMs) }],
      });
    }
    const names = wanted.map((topic) => topic.name);
    const metadata = await client.metadata({ topics: names, forceUpdate: true });
    for (const topic of wanted) {
      const found = metadata.topics.get(topic.name);
      if (found && found.partitionsCount < topic.partitions) await client.createPartitions({ topics: [{ name: topic.name, count: topic.partitions }] });
    }
    await leadersElected(client, names);
    return names;
  } finally {
    await client.close();
  }
}

/** Deletes a test run's topics (never the unprefixed ones `npm start` uses). */
export async function deleteKafkaTopics(brokers: readonly string[], prefix: string): Promise<void> {
  if (prefix === '') throw new Error("refusing to delete the unprefixed topics: they are npm start's");
  const client = admin(brokers);
  try {
    const names = Object.values(KAFKA_TOPICS).map((spec) => kafkaTopicName(spec, prefix));
    const existing = new Set(await client.listTopics());
    const present = names.filter((name) => existing.has(name));
    if (present.length > 0) await client.deleteTopics({ topics: present });
  } finally {
    await client.close();
  }
}
