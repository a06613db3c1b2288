import { randomUUID } from 'node:crypto';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import Redis from 'ioredis';
import { Client } from 'pg';
import { createInfra, infraEndpoints, pubsubClient } from '../src';
import { assertAllStarted } from '../src/infra';

// Against the real servers `npm test` brought up (and `up` is idempotent, so running this file
// alone starts them). Each check writes something real and reads it back.

const infra = createInfra();
const endpoints = infraEndpoints(infra.config);
const unique = randomUUID().slice(0, 8);

async function withPostgres<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function withRedis<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { connectTimeout: 2_000, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

async function kafkaRoundTrip(topic: string, value: string): Promise<string> {
  const client = { clientId: 'infra-test', bootstrapBrokers: [...endpoints.kafkaBrokers], retries: 5 };
  const admin = new Admin(client);
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
  await admin.close();
  const producer = new Producer({ ...client, idempotent: true, serializers: stringSerializers });
  await producer.send({ acks: -1, messages: [{ topic, key: 'account-1', value }] });
  await producer.close();
  const consumer = new Consumer({ ...client, groupId: `infra-test-${randomUUID()}`, deserializers: stringDeserializers });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const received = new Promise<string>((resolve) => stream.once('data', (message) => resolve(message.value)));
  try {
    return await Promise.race([
      received,
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no Kafka message within 30 s')), 30_000).unref()),
    ]);
  } finally {
    await stream.close();
    await consumer.close();
  }
}

async function pubsubRoundTrip(name: string, data: string): Promise<{ data: string; orderingKey: string }> {
  const client = pubsubClient(infra.config);
  const [topic] = await client.createTopic(name);
  const [subscription] = await topic.createSubscription(`${name}-sub`, { enableMessageOrdering: true });
  try {
    await topic.publishMessage({ data: Buffer.from(data), orderingKey: 'account-1' });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Pub/Sub message within 15 s')), 15_000);
      subscription.on('message', (message) => {
        clearTimeout(timer);
        message.ack();
        resolve({ data: message.data.toString(), orderingKey: message.orderingKey ?? '' });
      });
      subscription.on('error', reject);
    });
  } finally {
    await subscription.close();
    await subscription.delete();
    await topic.delete();
    await client.close();
  }
}

beforeAll(async () => {
  assertAllStarted(await infra.up());
}, 180_000);

describe('local infrastructure', () => {
  test('when everything is up, then every component reports healthy', async () => {
    const statuses = await infra.status();
    expect(statuses.map((s) => [s.name, s.state])).toEqual([
      ['pg-primary', 'healthy'],
      ['pg-standin', 'healthy'],
      ['redis-primary', 'healthy'],
      ['redis-standin', 'healthy'],
      ['kafka', 'healthy'],
      ['pubsub', 'healthy'],
    ]);
  });

  test('when a message is produced to Kafka, then a consumer group reads it back', async () => {
    await expect(kafkaRoundTrip(`infra-test-${unique}`, 'hello kafka')).resolves.toBe('hello kafka');
  });

  test('when a message is published to Pub/Sub with an ordering key, then a subscriber pulls it', async () => {
    await expect(pubsubRoundTrip(`infra-test-${unique}`, 'hello pubsub')).resolves.toEqual({ data: 'hello pubsub', orderingKey: 'account-1' });
  });

  test("the project's topics and subscriptions exist", async () => {
    const admin = new Admin({ clientId: 'infra-test', bootstrapBrokers: [...endpoints.kafkaBrokers] });
    const metadata = await admin.metadata({ topics: ['primary.events'] });
    await admin.close();
    expect(metadata.topics.get('primary.events')?.partitionsCount).toBe(6);
    const client = pubsubClient(infra.config);
    const [subscriptions] = await client.getSubscriptions();
    await client.close();
    expect(subscriptions.map((s) => s.name.split('/').pop())).toEqual(expect.arrayContaining(['primary.advice-consumer', 'operations.advice-dead-letter']));
  });

  test("when each PostgreSQL cluster and Redis instance is written, then it reads back its own data and not the other platform's", async () => {
    const table = `infra_test_${unique}`;
    for (const [platform, url] of Object.entries(endpoints.postgres)) {
      await withPostgres(url, async (client) => {
        await client.query(`create table ${table} (platform text primary key)`);
        await client.query(`insert into ${table} values ($1)`, [platform]);
        expect((await client.query(`select platform from ${table}`)).rows).toEqual([{ platform }]);
      });
    }
    for (const [platform, url] of Object.entries(endpoints.redis)) {
      await withRedis(url, async (redis) => {
        await redis.set(`infra-test:${unique}:${platform}`, platform);
        expect(await redis.get(`infra-test:${unique}:${platform}`)).toBe(platform);
      });
    }
    await withRedis(endpoints.redis.standin, async (redis) => expect(await redis.get(`infra-test:${unique}:primary`)).toBeNull());
  });

  test("when stand-in's PostgreSQL is SIGKILLed, then the others still serve, and after a restart its committed data is there", async () => {
    const table = `infra_kill_${unique}`;
    await withPostgres(endpoints.postgres.standin, async (client) => {
      await client.query(`create table ${table} (id int primary key)`);
      await client.query(`insert into ${table} values (42)`);
    });

    await infra.kill('pg-standin');
    const afterKill = Object.fromEntries((await infra.status()).map((s) => [s.name, s.state]));
    expect(afterKill['pg-standin']).toBe('stopped');
    await expect(withPostgres(endpoints.postgres.standin, (client) => client.query('select 1'))).rejects.toThrow();

    // Everyone else is unaffected.
    await expect(withPostgres(endpoints.postgres.primary, async (client) => (await client.query('select 1 as one')).rows[0])).resolves.toEqual({ one: 1 });
    await expect(withRedis(endpoints.redis.standin, (redis) => redis.ping())).resolves.toBe('PONG');
    await expect(kafkaRoundTrip(`infra-kill-${unique}`, 'still here')).resolves.toBe('still here');
    await expect(pubsubRoundTrip(`infra-kill-${unique}`, 'still here')).resolves.toEqual({ data: 'still here', orderingKey: 'account-1' });

    await infra.start('pg-standin');
    await expect(withPostgres(endpoints.postgres.standin, async (client) => (await client.query(`select id from ${table}`)).rows)).resolves.toEqual([
      { id: 42 },
    ]);
  });

  test('when Redis is paused, then it stops answering (a hang, not a refusal), and answers again once resumed', async () => {
    infra.pause('redis-primary');
    try {
      const paused = (await infra.status()).find((s) => s.name === 'redis-primary');
      expect(paused?.state).toBe('paused');
      const probe = await infra.components['redis-primary'].probe(500);
      expect(probe).toEqual({ healthy: false, reason: 'no answer to PING within 500 ms' });
    } finally {
      infra.resume('redis-primary');
    }
    await expect(withRedis(endpoints.redis.primary, (redis) => redis.ping())).resolves.toBe('PONG');
  });

  test("when the Pub/Sub emulator is killed and restarted, then the project's topics are there again", async () => {
    await infra.kill('pubsub');
    await infra.start('pubsub');
    const client = pubsubClient(infra.config);
    const [exists] = await client.topic('standin.advices').exists();
    await client.close();
    expect(exists).toBe(true);
  });
});
