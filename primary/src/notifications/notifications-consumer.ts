import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName, PrimaryEvent, PrimaryEventHeader } from '@bank/shared-contracts';
import type { NotificationsService } from './notifications-service';

type TransactionRecorded = Extract<PrimaryEvent, { type: 'transaction.recorded' }>;
/** Notifications written per statement at most. */
const NOTIFICATIONS_PER_INSERT = 500;
const NOTIFICATIONS_FETCH_MIN_BYTES = 64 * 1024;
const NOTIFICATIONS_FETCH_MAX_WAIT_MS = 50;

/**
 * Reads primary's own events and records a notification per card payment and transfer.
 * At-least-once from Kafka; the notification table's unique key makes it exactly-once.
 * Offsets are committed only after the batch is recorded.
 */
export async function startNotificationsConsumer(deps: {
  kafka: Kafka;
  notifications: NotificationsService;
  logger: Logger;
  groupId?: string;
  topicPrefix?: string;
}) {
  const prefix = deps.topicPrefix ?? '';
  const consumer = deps.kafka.consumer({
    // A test run's group is its own too, so it never shares partitions with `npm start`'s primary.
    groupId: deps.groupId ?? `${prefix}primary-notifications`,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    // Keep trying when Kafka goes away: notifications catch up when it is back.
    retry: { retries: 10, restartOnFailure: async () => true },
    // Fuller fetches: with kafkajs's minBytes of 1 the broker answers a fetch per relay batch, and
    // Kafka's CPU here goes by requests. A notification a few tens of ms later costs nobody.
    minBytes: NOTIFICATIONS_FETCH_MIN_BYTES,
    maxWaitTimeInMs: NOTIFICATIONS_FETCH_MAX_WAIT_MS,
  });
  await consumer.connect();
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.subscribe({ topic: kafkaTopicName(KAFKA_TOPICS.primaryEvents, prefix), fromBeginning: false });
  await consumer.run({
    eachBatchAutoResolve: false,
    // An offset commit per batch was another request per relay batch; a repeat after a crash is
    // harmless (the unique key), so once a second is enough.
    autoCommitInterval: 1_000,
    // A batch's notifications are written together, in chunks, and its offsets resolved after each
    // chunk: one round trip and one commit per chunk rather than per event, on the database (and
    // the event loop) primary's card path shares.
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (let start = 0; start < batch.messages.length; start += NOTIFICATIONS_PER_INSERT) {
        const chunk = batch.messages.slice(start, start + NOTIFICATIONS_PER_INSERT);
        const events: TransactionRecorded[] = [];
        for (const message of chunk) {
          const raw: unknown = JSON.parse(message.value?.toString() ?? 'null');
          const header = PrimaryEventHeader.safeParse(raw);
          if (!header.success || header.data.type !== 'transaction.recorded') continue;
          const event = PrimaryEvent.safeParse(raw);
          if (event.success && event.data.type === 'transaction.recorded') events.push(event.data);
          else deps.logger.error({ offset: message.offset, partition: batch.partition }, 'skipping an invalid transaction event');
        }
        await deps.notifications.recordAll(events);
        resolveOffset(chunk.at(-1)!.offset);
        await heartbeat();
      }
    },
  });
  // Returning only once partitions are assigned: events committed after this are seen.
  await Promise.race([joined, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  return { stop: () => consumer.disconnect() };
}
