import type { Kafka } from 'kafkajs';

/**
 * Gives a consumer group that has never committed an offset a committed offset at the topic's
 * current end on every partition, so it applies what primary publishes from now on and nothing
 * older. Committed offsets rather than kafkajs's "latest" reset: that is resolved at the first
 * fetch, after joining, and an event published in between would be skipped for good.
 * Returns whether the group was positioned (false: it already had offsets; they stand).
 */
export async function startNewGroupAtEnd(kafka: Kafka, groupId: string, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    if (committed?.partitions.some((partition) => partition.offset !== '-1')) return false;
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.setOffsets({ groupId, topic, partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })) });
    return true;
  } finally {
    await admin.disconnect();
  }
}
