import { Admin } from '@platformatic/kafka';
import type { KafkaConnection } from './kafka-client';

/**
 * Gives a consumer group that has never committed an offset a committed offset at the topic's
 * current end on every partition, so it applies what primary publishes from now on and nothing
 * older. Committed offsets rather than the consumer's "latest" fallback: that is resolved when the
 * consumer first looks, after joining, and an event published in between would be skipped for good.
 * Returns whether the group was positioned (false: it already had offsets; they stand).
 */
export async function startNewGroupAtEnd(kafka: KafkaConnection, groupId: string, topic: string): Promise<boolean> {
  const admin = new Admin(kafka);
  try {
    const [committed] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    const ofTopic = committed?.topics.find((candidate) => candidate.name === topic);
    if (ofTopic?.partitions.some((partition) => partition.committedOffset >= 0n)) return false;
    const metadata = await admin.metadata({ topics: [topic] });
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
    // -1: the latest offset (the high-water mark) of each partition.
    const [ends] = await admin.listOffsets({
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
    });
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: [{ name: topic, partitionOffsets: (ends?.partitions ?? []).map((end) => ({ partition: end.partitionIndex, offset: end.offset })) }],
    });
    return true;
  } finally {
    await admin.close();
  }
}
