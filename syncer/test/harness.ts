import { constants, createDecipheriv, createHash, generateKeyPairSync, publicEncrypt, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { Admin, compatibilityPartitioner, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import pino, { type Logger } from 'pino';
import { assertAllStarted, createInfra, infraEndpoints } from '@bank/infra';
import { EVENT_SCHEMA_VERSION, KAFKA_TOPICS, kafkaTopicName, kafkaTopicPrefixFromEnvironment, PrimaryEvent } from '@bank/shared-contracts';
import { openDatabase, upgradeSchema, type Database, type StandinCardKeys } from '@bank/standin';
import { startNewGroupAtEnd } from '../src/group-start';
import { kafkaConnection, type KafkaConnection } from '../src/kafka-client';
import { startSyncer, type RunningSyncer, type SyncerOptions } from '../src/syncer';
import { REDACTED_PATHS } from '../src/logger';
import type { AppliedBatch } from '../src/apply-batch';
import type { EventOutcome } from '../src/metrics';

// The syncer against the real Kafka and stand-in PostgreSQL that infra runs. Tests play
// primary: they build valid shared-contracts events and publish them keyed by account id.
// Every test file uses fresh account ids, its own consumer groups and its own database in
// stand-in's cluster, so tests (and anything else on the topic) never collide.

/** The test run's own topic (`npm test` sets KAFKA_TOPIC_PREFIX): `npm start`'s syncer never sees these events. */
export const TOPIC_PREFIX = kafkaTopicPrefixFromEnvironment(process.env);
export const TOPIC = kafkaTopicName(KAFKA_TOPICS.primaryEvents, TOPIC_PREFIX);

export async function upInfrastructure(): Promise<void> {
  assertAllStarted(await createInfra().up());
}

export function openStandinDatabase(url: string, applicationName?: string): Database {
  return openDatabase(applicationName ? `${url}?application_name=${applicationName}` : url, 10);
}

export interface TemporaryDatabase {
  readonly database: Database;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A database of the test's own in stand-in's PostgreSQL cluster, schema upgraded. Stand-in's
 * shared database may have other writers (another syncer of a running stack, with other card
 * keys, applies the same topic there): assertions about gaps and rows need to be the only one.
 */
export async function temporaryStandinDatabase(): Promise<TemporaryDatabase> {
  const cluster = openDatabase(infraEndpoints().postgres.standin, 1);
  const name = `standin_syncer_test_${randomBytes(6).toString('hex')}`;
  await cluster.query(`create database ${name}`);
  const url = new URL(infraEndpoints().postgres.standin);
  url.pathname = `/${name}`;
  const database = openStandinDatabase(url.toString());
  await upgradeSchema(database);
  return {
    database,
    url: url.toString(),
    async drop() {
      await database.end();
      await cluster.query(`drop database if exists ${name} with (force)`);
      await cluster.end();
    },
  };
}

export function testKafka(clientId: string): KafkaConnection {
  return kafkaConnection({ brokers: infraEndpoints().kafkaBrokers, clientId });
}

/** The test's stand-in for primary's outbox relay: keyed by account, partitioned as the relay does. */
export type TestProducer = Producer<string, string, string, string>;

export async function connectedProducer(kafka: KafkaConnection): Promise<TestProducer> {
  return new Producer({
    ...kafka,
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    autocreateTopics: false,
    serializers: stringSerializers,
  });
}

/** Stand-in's card keys, with the public half of B for the test to encrypt PANs as primary does. */
export interface TestCardKeys {
  readonly keys: StandinCardKeys;
  readonly publicKey: KeyObject;
}

export function testCardKeys(): TestCardKeys {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    keys: { exchangePrivateKey: pair.privateKey, exchangeKeyId: `B-test-${randomUUID().slice(0, 8)}`, sealKey: randomBytes(32), lookupKey: randomBytes(32) },
    publicKey: pair.publicKey,
  };
}

/** Opens a sealed PAN the way stand-in would, to prove the sealed copy holds the right number. */
export function unsealPan(keys: StandinCardKeys, sealed: { nonce: string; sealed: string; tag: string }): string {
  const decipher = createDecipheriv('aes-256-gcm', keys.sealKey, Buffer.from(sealed.nonce, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.sealed, 'base64')), decipher.final()]).toString('utf8');
}

export const randomPan = () => `459876${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;

type EventOf<T extends PrimaryEvent['type']> = Extract<PrimaryEvent, { type: T }>;
/** What goes on the topic: a stand-in type, or one of primary's others that the syncer only sequences. */
export type PublishedEvent =
  PrimaryEvent | { readonly eventId: string; readonly type: string; readonly accountId: string; readonly sequence: number; readonly [field: string]: unknown };

/** One account's events as primary's outbox would write them: per-account sequence from 1. */
export class PrimaryAccount {
  readonly accountId = randomUUID();
  readonly customerId = randomUUID();
  readonly accountNumber = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  private sequence = 0;

  constructor(private readonly card: TestCardKeys) {}

  private event<T extends PrimaryEvent['type']>(
    type: T,
    payload: EventOf<T>['payload'],
    options: { correlationId?: string; occurredAt?: Date } = {},
  ): EventOf<T> {
    this.sequence += 1;
    return PrimaryEvent.parse({
      eventId: randomUUID(),
      type,
      accountId: this.accountId,
      sequence: this.sequence,
      occurredAt: (options.occurredAt ?? new Date()).toISOString(),
      ...(options.correlationId ? { correlationId: options.correlationId } : {}),
      schemaVersion: EVENT_SCHEMA_VERSION,
      payload,
    }) as EventOf<T>;
  }

  /** Skips a sequence number, as if primary's event for it were lost on the way. */
  skip(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** An event for a sequence skipped earlier, arriving late. */
  late<T extends PrimaryEvent['type']>(sequence: number, build: (account: PrimaryAccount) => EventOf<T>): EventOf<T> {
    const current = this.sequence;
    this.sequence = sequence - 1;
    const event = build(this);
    this.sequence = current;
    return event;
  }

  opened(options: { overdraftLimitMinor?: number; occurredAt?: Date } = {}) {
    return this.event(
      'account.opened',
      {
        customerId: this.customerId,
        holderName: 'Ada Lovelace',
        sortCode: '608371',
        accountNumber: this.accountNumber,
        currency: 'GBP',
        overdraftLimitMinor: options.overdraftLimitMinor ?? 0,
        status: 'open',
      },
      options,
    );
  }

  updated(payload: EventOf<'account.updated'>['payload']) {
    return this.event('account.updated', payload);
  }

  balance(settledBalanceMinor: number, heldMinor = 0, options: { correlationId?: string; occurredAt?: Date } = {}) {
    return this.event('balance.changed', { settledBalanceMinor, heldMinor, overdraftLimitMinor: 0, currency: 'GBP' }, options);
  }

  cardIssued(pan: string, cardId: string = randomUUID()) {
    const ciphertext = publicEncrypt({ key: this.card.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(pan));
    return this.event('card.issued', {
      cardId,
      panForStandin: { algorithm: 'rsa-oaep-256', keyset: 'B', keyId: this.card.keys.exchangeKeyId, ciphertextBase64: ciphertext.toString('base64') },
      last4: pan.slice(-4),
      expiry: '3011',
      status: 'active',
      dailyCashLimitMinor: 25_000,
    });
  }

  cardStatus(cardId: string, status: 'active' | 'frozen' | 'cancelled') {
    return this.event('card.status_changed', { cardId, status, reason: 'customer request' });
  }

  transaction(transactionId: string, amountMinor: number, status: 'pending' | 'settled', options: { correlationId?: string; cardId?: string } = {}) {
    return this.event(
      'transaction.recorded',
      {
        transactionId,
        kind: 'card_payment',
        status,
        amountMinor,
        currency: 'GBP',
        description: 'CORNER SHOP',
        merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'LONDON', country: 'GB' },
        ...(options.cardId ? { cardId: options.cardId } : {}),
        createdAt: '2026-11-21T09:30:00.000Z',
      },
      options,
    );
  }

  pot(potId: string, balanceMinor: number, status: 'active' | 'closed' = 'active') {
    return this.event('pot.changed', { potId, name: 'Holiday', balanceMinor, status });
  }

  payeeAdded(payeeId: string) {
    return this.event('payee.added', { payeeId, name: 'Grace Hopper', sortCode: '040004', accountNumber: '12345678' });
  }

  payeeRemoved(payeeId: string) {
    return this.event('payee.removed', { payeeId });
  }

  credential(token: string, times: { issuedAt?: Date; expiresAt?: Date } = {}) {
    return this.event('customer.credential_issued', {
      customerId: this.customerId,
      tokenSha256Base64: createHash('sha256').update(token).digest('base64'),
      ...(times.issuedAt ? { issuedAt: times.issuedAt.toISOString() } : {}),
      ...(times.expiresAt ? { expiresAt: times.expiresAt.toISOString() } : {}),
    });
  }

  credentialsRevoked(revokedAt: Date) {
    return this.event('customer.credentials_revoked', { customerId: this.customerId, revokedAt: revokedAt.toISOString() });
  }

  /** One of primary's event types stand-in does not need. */
  other(type: string): PublishedEvent {
    this.sequence += 1;
    return {
      eventId: randomUUID(),
      type,
      accountId: this.accountId,
      sequence: this.sequence,
      occurredAt: new Date().toISOString(),
      schemaVersion: EVENT_SCHEMA_VERSION,
      payload: { note: 'not for stand-in' },
    };
  }
}

export async function publish(producer: TestProducer, events: readonly PublishedEvent[]): Promise<void> {
  await producer.send({ messages: events.map((event) => ({ topic: TOPIC, key: event.accountId, value: JSON.stringify(event) })) });
}

/** Commits a new group's offsets at the topic's current end: it sees exactly what is published from now on. */
export async function positionGroupAtEnd(kafka: KafkaConnection, groupId: string): Promise<void> {
  if (!(await startNewGroupAtEnd(kafka, groupId, TOPIC))) throw new Error(`consumer group ${groupId} is not new`);
}

export async function deleteGroup(kafka: KafkaConnection, groupId: string): Promise<void> {
  const admin = new Admin(kafka);
  await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
  await admin.close();
}

/** A pino logger whose lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      // SYNCER_TEST_LOG=<file> keeps the syncer's log of a run, for when a test needs explaining.
      if (process.env.SYNCER_TEST_LOG) fs.appendFileSync(process.env.SYNCER_TEST_LOG, chunk);
      done();
    },
  });
  return { logger: pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink), lines };
}

/**
 * A syncer on its own port and group. A new group starts at the topic's end (the syncer's own
 * SYNCER_START_FROM=latest), so it sees what the test publishes after this resolves; a group
 * positioned or used before carries on from its committed offsets.
 */
export async function startTestSyncer(
  deps: { database: Database; kafka: KafkaConnection; keys: StandinCardKeys; logger: Logger },
  options: Partial<SyncerOptions> & { groupId: string },
): Promise<RunningSyncer> {
  const syncer = await startSyncer(deps, {
    topicPrefix: TOPIC_PREFIX,
    fromBeginning: false,
    lagAppetiteMs: 60_000,
    port: 0,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    ...options,
  });
  await syncer.consumerStarted;
  return syncer;
}

/** Outcomes per account, from the syncer's onBatchApplied: the topic is shared, so a test counts only its own accounts. */
export function outcomeRecorder() {
  const seen = new Map<string, Map<EventOutcome, number>>();
  return {
    observe(batch: AppliedBatch): void {
      for (const message of batch.messages) {
        if (!message.header) continue;
        const outcomes = seen.get(message.header.accountId) ?? new Map<EventOutcome, number>();
        outcomes.set(message.outcome, (outcomes.get(message.outcome) ?? 0) + 1);
        seen.set(message.header.accountId, outcomes);
      }
    },
    count(accountId: string, outcome: EventOutcome): number {
      return seen.get(accountId)?.get(outcome) ?? 0;
    },
  };
}

export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function syncedSequences(database: Database, accountId: string): Promise<number[]> {
  const { rows } = await database.query<{ sequence: number }>('select sequence from synced_events where account_id = $1 order by sequence', [accountId]);
  return rows.map((row) => row.sequence);
}

export async function untilSynced(database: Database, accountId: string, count: number, timeoutMs = 30_000): Promise<number[]> {
  return eventually(
    async () => {
      const sequences = await syncedSequences(database, accountId);
      return sequences.length >= count ? sequences : undefined;
    },
    `${count} synced events of account ${accountId}`,
    timeoutMs,
  );
}

/** Every table the syncer writes, with how its rows belong to an account. */
export const SYNCED_TABLES = [
  'synced_events',
  'synced_accounts',
  'synced_balances',
  'synced_cards',
  'synced_transactions',
  'synced_pots',
  'synced_payees',
  'synced_credentials',
  'synced_credential_revocations',
] as const;

/** Every synced row of these accounts, as JSON text, in a stable order (synced_at left out: it says when, not what). */
export async function syncedRowsOf(database: Database, accountIds: readonly string[]): Promise<Record<string, Record<string, unknown>[]>> {
  const result: Record<string, Record<string, unknown>[]> = {};
  for (const table of SYNCED_TABLES) {
    const { rows } = await database.query<{ row: Record<string, unknown> }>(
      `select to_jsonb(t) - 'synced_at' as row from ${table} t where account_id = any($1::uuid[]) order by t::text`,
      [accountIds],
    );
    result[table] = rows.map((row) => row.row);
  }
  return result;
}

export async function countRows(database: Database, accountIds: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [...SYNCED_TABLES, 'sync_gaps']) {
    const { rows } = await database.query<{ count: number }>(`select count(*)::int as count from ${table} where account_id = any($1::uuid[])`, [accountIds]);
    counts[table] = rows[0]?.count ?? 0;
  }
  return counts;
}

/**
 * One test file's set-up, the one way syncer tests get it: the infrastructure up, a stand-in
 * database of the file's own (more on request), Kafka with a producer, and syncers on consumer
 * groups of their own. `stop` undoes all of it, whatever was started.
 */
export function syncerBench(name: string, card: TestCardKeys) {
  const databases: TemporaryDatabase[] = [];
  const syncers: RunningSyncer[] = [];
  const groups: string[] = [];
  let kafka: KafkaConnection | undefined;
  let producer: TestProducer | undefined;

  /** Another database of the file's own (the first is `start`'s), dropped by `stop`. */
  async function database(): Promise<Database> {
    const temporary = await temporaryStandinDatabase();
    databases.push(temporary);
    return temporary.database;
  }

  return {
    /** `url`: the first database's, for a connection of the test's own. */
    async start(): Promise<{ database: Database; url: string; kafka: KafkaConnection; producer: TestProducer }> {
      await upInfrastructure();
      const first = await database();
      kafka = testKafka(`syncer-test-${name}`);
      producer = await connectedProducer(kafka);
      return { database: first, url: databases[0]!.url, kafka, producer };
    },
    database,
    /** A new group of its own (a fresh one each call unless `groupId` is given), started at the topic's end; see startTestSyncer. */
    async syncer(options: Partial<SyncerOptions> & { database?: Database; groupId?: string; logger?: Logger } = {}): Promise<RunningSyncer> {
      if (!kafka) throw new Error('syncerBench: start() first');
      const { database: target, logger, groupId, ...rest } = options;
      const group = groupId ?? `syncer-test-${name}-${randomUUID()}`;
      if (!groups.includes(group)) groups.push(group);
      const started = await startTestSyncer(
        { database: target ?? databases[0]!.database, kafka, keys: card.keys, logger: logger ?? capturedLogger().logger },
        { ...rest, groupId: group },
      );
      syncers.push(started);
      return started;
    },
    /** A syncer the test started itself (one that cannot reach Kafka, say), stopped by `stop` with the others. */
    track(syncer: RunningSyncer): RunningSyncer {
      syncers.push(syncer);
      return syncer;
    },
    /** A consumer group the test uses itself (positioned, say), deleted by `stop`. */
    group(groupId: string): string {
      if (!groups.includes(groupId)) groups.push(groupId);
      return groupId;
    },
    async stop(): Promise<void> {
      for (const syncer of syncers) await syncer.stop().catch(() => undefined);
      await producer?.close();
      if (kafka) for (const group of groups) await deleteGroup(kafka, group);
      for (const temporary of databases.reverse()) await temporary.drop();
    },
  };
}
