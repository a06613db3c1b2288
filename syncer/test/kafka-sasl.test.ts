import { randomUUID } from 'node:crypto';
import { infraEndpoints } from '@bank/infra';
import { KAFKA_SECURITY_VARIABLES, kafkaSecurity, readServiceEnvironment } from '@bank/shared-contracts';
import type { Database } from '@bank/standin';
import { kafkaConnection } from '../src/kafka-client';
import { startSyncer } from '../src/syncer';
import { PrimaryAccount, capturedLogger, eventually, publish, syncerBench, testCardKeys, TOPIC_PREFIX, untilSynced, type TestProducer } from './harness';

// Issue 19: managed Kafka services take SASL credentials (and TLS). The syncer reads KAFKA_SASL_*
// as the services do, and consumes through the local broker's SASL/PLAIN listener; a wrong
// password is refused by the broker itself, and the syncer says it cannot consume.

const card = testCardKeys();
const bench = syncerBench('sasl', card);
let database: Database;
let producer: TestProducer;
const sasl = infraEndpoints().kafkaSasl;

beforeAll(async () => {
  ({ database, producer } = await bench.start());
}, 180_000);
afterAll(() => bench.stop());

/** The syncer's Kafka connection as main.ts builds it, from the variables a deployment sets. */
function saslConnection(password: string) {
  const env = { BANK_MODE: 'local', KAFKA_SASL_MECHANISM: sasl.mechanism, KAFKA_SASL_USERNAME: sasl.username, KAFKA_SASL_PASSWORD: password };
  const values = readServiceEnvironment({ service: 'syncer', variables: KAFKA_SECURITY_VARIABLES, secrets: {} }, env).values;
  return kafkaConnection({ brokers: sasl.brokers, clientId: 'syncer-test-sasl', security: kafkaSecurity('syncer', values, true) });
}

test('when the syncer is given SASL credentials, then it consumes through the SASL listener and applies what primary publishes', async () => {
  const syncer = bench.track(
    await startSyncer(
      { database, kafka: saslConnection(sasl.password), keys: card.keys, logger: capturedLogger().logger },
      { groupId: bench.group(`syncer-test-sasl-${randomUUID()}`), topicPrefix: TOPIC_PREFIX, fromBeginning: false, lagAppetiteMs: 5_000, port: 0 },
    ),
  );
  await syncer.consumerStarted;
  const account = new PrimaryAccount(card);
  const events = [account.opened(), account.balance(4_200)];
  await publish(producer, events);
  expect(await untilSynced(database, account.accountId, events.length)).toEqual([1, 2]);
}, 90_000);

test('when the SASL password is wrong, then the broker refuses it and the syncer never consumes', async () => {
  const { logger, lines } = capturedLogger();
  const refused = bench.track(
    await startSyncer(
      { database, kafka: saslConnection('not-the-password'), keys: card.keys, logger },
      {
        groupId: bench.group(`syncer-test-sasl-refused-${randomUUID()}`),
        topicPrefix: TOPIC_PREFIX,
        fromBeginning: false,
        lagAppetiteMs: 5_000,
        port: 0,
        startRetryDelayMs: 500,
      },
    ),
  );
  await eventually(
    async () => lines.some((line) => line.includes('could not start the Kafka consumer')),
    'the syncer to report it cannot start its consumer',
    60_000,
  );
  expect(lines.join('\n')).toMatch(/[Aa]uthentication/);
  expect(refused.consumerState()).toBe('starting');
}, 90_000);
