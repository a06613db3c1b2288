import { Producer, stringSerializers } from '@platformatic/kafka';
import { pubsubClient } from '@bank/infra';
import { KAFKA_TOPICS, PUBSUB_TOPICS } from '@bank/shared-contracts';
import type { ScenarioRun } from './scenario';

// Duplicate and reordered delivery, made with the real brokers: copies of messages the system
// already sent are published again, newest first, where they overtake the originals. The copies
// are what the transports themselves would do on a bad day (at-least-once redelivery, a producer
// retry landing late, an ordering key lost), so each consumer must turn them into one effect each.

/** Primary's outbox position now: events after it are the ones a later `redeliverEvents` copies. */
export async function outboxPosition(run: ScenarioRun): Promise<number> {
  const { rows } = await run.chaos.primaryDb.query<{ last: string | null }>('select max(id) as last from outbox_events');
  return Number(rows[0]?.last ?? 0);
}

/**
 * Publishes again every event of the run's accounts after `afterOutboxId`, plus `alreadyApplied`
 * before it, newest first. Each copy goes to a partition other than its account's usual one, so
 * the syncer (which reads partitions side by side) can meet a later sequence before an earlier
 * one. Returns how many copies were published.
 */
export async function redeliverEvents(run: ScenarioRun, afterOutboxId: number, alreadyApplied: number): Promise<number> {
  const { rows } = await run.chaos.primaryDb.query<{ account_id: string; event: unknown }>(
    'select account_id, event from outbox_events where id > $1 and account_id = any($2::uuid[]) order by id desc',
    [Math.max(0, afterOutboxId - alreadyApplied), run.customers.map((customer) => customer.accountId)],
  );
  if (rows.length === 0) return 0;
  const producer = new Producer({
    clientId: 'chaos-redelivery',
    bootstrapBrokers: [...run.chaos.kafkaBrokers],
    retries: 3,
    autocreateTopics: false,
    serializers: stringSerializers,
  });
  try {
    const partitions = KAFKA_TOPICS.primaryEvents.partitions;
    await producer.send({
      // Spread over the partitions in turn: most copies land away from their originals.
      messages: rows.map((row, index) => ({
        topic: run.chaos.stack.primaryEventsTopic,
        key: row.account_id,
        value: JSON.stringify(row.event),
        partition: index % partitions,
      })),
    });
  } finally {
    await producer.close();
  }
  return rows.length;
}

/**
 * Publishes again every advice of the run's accounts stand-in made since `since`, newest first
 * and without their ordering key, to the run's advice topic: the consumer gets each twice, and
 * the copies in no order at all. Returns how many copies were published.
 */
export async function redeliverAdvices(run: ScenarioRun, since: Date): Promise<number> {
  const { rows } = await run.chaos.standinDb.query<{ advice_id: string; advice: unknown }>(
    'select advice_id, advice from advices where created_at >= $1 and account_id = any($2::uuid[]) order by account_id, sequence desc',
    [since, run.customers.map((customer) => customer.accountId)],
  );
  if (rows.length === 0) return 0;
  const client = pubsubClient({ ...run.chaos.stack.infra.config, pubsubProjectId: run.chaos.stack.pubsub.projectId });
  try {
    const topic = client.topic(PUBSUB_TOPICS.advices.topic);
    for (const row of rows)
      await topic.publishMessage({ data: Buffer.from(JSON.stringify(row.advice)), attributes: { adviceId: row.advice_id, copy: 'chaos' } });
  } finally {
    await client.close();
  }
  return rows.length;
}
