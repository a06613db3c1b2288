import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInfra, infraEndpoints } from '@bank/infra';
import { Pool } from 'pg';
import { checkAccountsMatchModel } from '../../src/chaos/invariants/accounts-match-model';
import { checkPaymentsOnce } from '../../src/chaos/invariants/payments-once';
import { checkLedgerBalances } from '../../src/chaos/invariants/ledger-balances';
import { checkNoPlaintextPan } from '../../src/chaos/invariants/no-plaintext-pan';
import type { InvariantContext } from '../../src/chaos/invariants/invariant-result';
import type { Exchange } from '../../src/simulator/ground-truth';
import type { SimulatedCustomer } from '../../src/simulator/simulated-customer';
import { createRunDatabases, type RunDatabases } from '../../src/stack/run-databases';
import { createRunPubSub } from '../../src/stack/run-pubsub';
import { pubsubClient } from '@bank/infra';
import { KAFKA_TOPICS, kafkaTopicName, kafkaTopicPrefixFromEnvironment, PUBSUB_TOPICS } from '@bank/shared-contracts';
import { runMigration } from '../../src/stack/service-process';

// The invariant checker must be able to fail: violations planted in real (throwaway) primary and
// stand-in databases are each reported, with the evidence an incident responder would need.

let databases: RunDatabases;
let primaryDb: Pool;
let standinDb: Pool;
let kafkaBrokers: readonly string[];
let infraConfig: ReturnType<typeof createInfra>['config'];

beforeAll(async () => {
  const infra = createInfra();
  await infra.up();
  kafkaBrokers = infraEndpoints(infra.config).kafkaBrokers;
  infraConfig = infra.config;
  databases = await createRunDatabases(infra.config);
  runMigration({ name: 'primary', migrate: 'primary/dist/migrate.js', env: { ...process.env, PRIMARY_DATABASE_URL: databases.primary } });
  runMigration({ name: 'standin', migrate: 'standin/dist/upgrade.js', env: { ...process.env, STANDIN_DATABASE_URL: databases.standin } });
  primaryDb = new Pool({ connectionString: databases.primary, max: 2 });
  standinDb = new Pool({ connectionString: databases.standin, max: 2 });
}, 180_000);

afterAll(async () => {
  await primaryDb?.end();
  await standinDb?.end();
  await databases?.drop();
});

const PAN = '4598761234567890';
const customer: SimulatedCustomer = {
  accountId: randomUUID(),
  customerId: randomUUID(),
  token: 'token',
  sortCode: '608371',
  accountNumber: '12345678',
  holderName: 'Planted',
  card: { id: randomUUID(), pan: PAN, expiry: '3012' },
  fundedMinor: 0,
};

function context(overrides: Partial<InvariantContext>): InvariantContext {
  return {
    primaryDb,
    standinDb,
    urls: { primary: 'http://127.0.0.1:9', standin: 'http://127.0.0.1:9' },
    adviceConsumerUrl: 'http://127.0.0.1:9',
    operatorToken: 'none',
    customers: [customer],
    exchanges: [],
    schemeReceived: [],
    frozenCards: [],
    logDirectory: os.tmpdir(),
    kafkaBrokers,
    primaryEventsTopic: kafkaTopicName(KAFKA_TOPICS.primaryEvents, kafkaTopicPrefixFromEnvironment(process.env)),
    runStartedAtMs: Date.now(),
    ...overrides,
  };
}

const approval = (key: { stan: string; rrn: string; terminalId: string }, amountMinor: number): Exchange => ({
  seq: 1,
  kind: 'atm-withdrawal',
  phase: 'fault',
  via: 'gateway',
  accountId: customer.accountId,
  cardId: customer.card.id,
  key,
  amountMinor,
  sentAt: new Date().toISOString(),
  sentAtMs: Date.now(),
  elapsedMs: 40,
  deadlineMs: 2_000,
  timing: 'on-time',
  verdict: 'approved',
  httpStatus: 200,
  responseCode: '00',
  decidedBy: 'standin',
  attempt: 1,
});

test('when a journal does not sum to zero, then invariant 1 fails and names the journal and its sum', async () => {
  expect((await checkLedgerBalances({ primaryDb })).passed).toBe(true);

  const journalId = randomUUID();
  const client = await primaryDb.connect();
  try {
    // Past the ledger's own guards (its triggers), as a bug or a hand-made fix could be.
    await client.query('begin');
    await client.query('set local session_replication_role = replica');
    await client.query("insert into journals (id, kind, description, created_at) values ($1, 'card.clearing', 'planted', now())", [journalId]);
    await client.query(
      "insert into postings (journal_id, ledger_account_id, amount_minor) values ($1, 'internal:card-scheme', 100), ($1, 'internal:faster-payments', -90)",
      [journalId],
    );
    await client.query('commit');
  } finally {
    client.release();
  }

  const result = await checkLedgerBalances({ primaryDb });
  expect(result.passed).toBe(false);
  expect(result.evidence.unbalancedJournals).toEqual({ count: 1, first: [{ journalId, kind: 'card.clearing', sumMinor: 10, postings: 2 }] });
  expect(result.evidence.allPostingsSumMinor).toBe(10);
  // The balances were not moved by those postings either: both accounts are named with both values.
  expect(result.evidence.balancesNotFromPostings).toMatchObject({ count: 2 });
});

test('when the network heard an approval that primary does not hold, then invariant 2 fails with its message key and who approved it', async () => {
  const key = { stan: '000123', rrn: 'ABCDEF123456', terminalId: 'CHAOS001' };
  const result = await checkPaymentsOnce(context({ exchanges: [approval(key, 2_000)] }));

  expect(result.passed).toBe(false);
  expect(result.evidence.cards).toMatchObject({
    heardApproved: 1,
    missingInPrimary: { count: 1, first: [{ key: '000123/ABCDEF123456/CHAOS001', heardFrom: 'standin', amountMinor: 2_000 }] },
  });
});

test('when a PAN is in a service log and in a stand-in row, then invariant 7 fails naming the file, line, table and column, with the PAN masked', async () => {
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-logs-'));
  fs.writeFileSync(path.join(logs, 'standin.log'), `{"msg":"ok"}\n{"msg":"declined card 00${PAN}99"}\n`);
  await standinDb.query('insert into card_freezes (card_id, frozen, requested_by, created_at) values ($1, true, $2, now())', [
    customer.card.id,
    `customer with card ${PAN}`,
  ]);

  const result = await checkNoPlaintextPan(context({ logDirectory: logs }));

  expect(result.passed).toBe(false);
  expect(result.evidence.logs).toMatchObject({ hits: [{ file: 'standin.log', line: 2, pans: ['459876******7890'] }] });
  expect(result.evidence.standinDatabase).toMatchObject({ hits: [{ table: 'card_freezes', column: 'requested_by', rows: 1 }] });
  expect(JSON.stringify(result)).not.toContain(PAN);
  fs.rmSync(logs, { recursive: true, force: true });
}, 90_000);

test("when the ledger holds money the outside world was never told of, then invariant 8 fails with the model's and the ledger's history side by side", async () => {
  const accountId = randomUUID();
  const planted: SimulatedCustomer = { ...customer, accountId, fundedMinor: 0 };
  expect((await checkAccountsMatchModel(context({ customers: [planted] }))).passed).toBe(true);

  // A credit nobody heard of: a balanced journal, so every other invariant is content with it.
  const journalId = randomUUID();
  await primaryDb.query("insert into ledger_accounts (id, kind, owner_account_id) values ($1, 'customer', $2)", [accountId, accountId]);
  await primaryDb.query("insert into journals (id, kind, description, created_at) values ($1, 'faster_payment.inbound', 'planted', now())", [journalId]);
  await primaryDb.query("insert into postings (journal_id, ledger_account_id, amount_minor) values ($1, $2, 2500), ($1, 'internal:faster-payments', -2500)", [
    journalId,
    accountId,
  ]);

  const result = await checkAccountsMatchModel(context({ customers: [planted] }));
  expect(result.passed).toBe(false);
  expect(result.evidence.differing).toMatchObject({
    count: 1,
    first: [
      {
        accountId,
        model: { settledMinor: 0, heldMinor: 0 },
        ledger: { settledMinor: 2_500, heldMinor: 0 },
        modelHistory: ['funded 0'],
        ledgerHistory: [expect.stringContaining('faster_payment.inbound +2500')],
      },
    ],
  });
});

test('when a PAN is in a message on the advice topic and in an answer a network received, then invariant 7 fails naming both', async () => {
  const pubsub = await createRunPubSub(infraConfig);
  try {
    const client = pubsubClient({ ...infraConfig, pubsubProjectId: pubsub.projectId });
    await client.topic(PUBSUB_TOPICS.advices.topic).publishMessage({ json: { planted: `card ${PAN}` } });
    await client.close();
    const leaked: Exchange = {
      ...approval({ stan: '000999', rrn: 'ABCDEF999999', terminalId: 'CHAOS001' }, 100),
      verdict: 'error',
      httpStatus: 400,
      panInAnswer: true,
    };

    const result = await checkNoPlaintextPan(context({ pubsub: { config: infraConfig, projectId: pubsub.projectId }, exchanges: [leaked] }));

    expect(result.passed).toBe(false);
    expect(result.evidence.adviceTopics).toMatchObject({
      messages: 1,
      complete: true,
      hits: [{ topic: PUBSUB_TOPICS.advices.topic, pans: ['459876******7890'] }],
    });
    expect(result.evidence.answersToTheNetworks).toMatchObject({ withAPan: [{ httpStatus: 400, kind: 'atm-withdrawal' }] });
    expect(JSON.stringify(result)).not.toContain(PAN);
  } finally {
    await pubsub.drop();
  }
}, 90_000);

test('when a hold is for another amount than the network heard approved, less what its reversals released, then invariant 2 fails with both amounts', async () => {
  const key = { stan: '000456', rrn: 'HOLD00000456', terminalId: 'CHAOS002' };
  const reversalKey = { stan: '000457', rrn: 'HOLD00000457', terminalId: 'CHAOS002' };
  const holdId = randomUUID();
  const accountId = randomUUID();
  await primaryDb.query("insert into ledger_accounts (id, kind, owner_account_id) values ($1, 'customer', $2)", [accountId, accountId]);
  // Approved for 3,000, 1,000 released by a reversal: 2,000 should be held; the planted hold says 3,000.
  await primaryDb.query("insert into holds (id, ledger_account_id, amount_minor, status, created_at) values ($1, $2, 3000, 'open', now())", [
    holdId,
    accountId,
  ]);
  await primaryDb.query(
    `insert into card_authorisations (id, stan, rrn, terminal_id, card_id, account_id, mti, processing_code, amount_minor, outstanding_minor, approved, state, hold_id, correlation_id, response, created_at)
     values ($1, $2, $3, $4, $5, $6, '0100', '000000', 3000, 3000, true, 'held', $7, $8, $9, now())`,
    [
      randomUUID(),
      key.stan,
      key.rrn,
      key.terminalId,
      customer.card.id,
      accountId,
      holdId,
      randomUUID(),
      { mti: '0110', responseCode: '00', decidedBy: 'primary' },
    ],
  );
  const heard: Exchange[] = [
    { ...approval(key, 3_000), kind: 'purchase', decidedBy: 'primary' },
    { ...approval(reversalKey, 1_000), kind: 'reversal', original: key, seq: 2 },
  ];

  const result = await checkPaymentsOnce(context({ exchanges: heard }));

  expect(result.passed).toBe(false);
  expect(result.evidence.cards).toMatchObject({
    holdAmountDiffers: { count: 1, first: [{ key: '000456/HOLD00000456/CHAOS002', expectedHeldMinor: 2_000, primaryHeldMinor: 3_000 }] },
  });
});
