import { randomUUID } from 'node:crypto';
import type { Advice } from '@bank/shared-contracts';
import { FASTER_PAYMENTS_SHARDS, fasterPaymentsAccount, INTERNAL_ACCOUNTS } from '../src/ledger/ledger';
import { CREDENTIALS, startPrimary, type TestPrimary } from './harness';

// Issue 16: the Faster Payments scheme's side of the ledger is FASTER_PAYMENTS_SHARDS rows, not the
// one row every payment in and out (and every batch of advices with one) locked until commit. Each
// customer account's Faster Payments meet its own shard on every path: the scheme's inbound
// credit, a customer's transfer out, stand-in's advices one at a time (TypeScript) and in a batch
// (SQL). Every journal balances. Real primary on the real PostgreSQL.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const party = { sortCode: '200000', accountNumber: '12345678', name: 'A Friend' };

test('the shards exist, one per hex digit, as the SQL and TypeScript choose them', async () => {
  const { rows } = await primary.db.query<{ id: string; shard: string }>(
    "select id, faster_payments_account('00000000-0000-4000-8000-00000000000' || right(id, 1)) as shard from ledger_accounts where id like 'internal:faster-payments:%' order by id",
  );
  expect(rows).toHaveLength(FASTER_PAYMENTS_SHARDS);
  for (const row of rows) expect(row.shard).toBe(row.id);
  expect(fasterPaymentsAccount('00000000-0000-4000-8000-00000000000B')).toBe(`${INTERNAL_ACCOUNTS.fasterPayments}:b`);
});

test("when money comes in and goes out by Faster Payment on every path, then each posting meets the account's own shard, never the old single row, and each journal balances", async () => {
  const account = await primary.openAccount();
  const shard = fasterPaymentsAccount(account.id);
  const root = async () => (await primary.balance(INTERNAL_ACCOUNTS.fasterPayments))?.settledMinor;
  const rootBefore = await root();

  await primary.fund(account, 10_000); // the scheme's inbound credit
  const sent = await primary.call('POST', `/accounts/${account.id}/transfers`, {
    token: account.token,
    idempotencyKey: randomUUID(),
    body: { amountMinor: 1_000, creditor: party, reference: 'OUT' },
  });
  expect(sent.body).toMatchObject({ kind: 'faster_payment' });
  let sequence = 0;
  const advice = (type: 'transfer.sent' | 'transfer.received', amountMinor: number) =>
    ({
      adviceId: randomUUID(),
      type,
      accountId: account.id,
      sequence: ++sequence,
      correlationId: randomUUID(),
      createdAt: '2026-11-21T12:00:00Z',
      schemaVersion: 1,
      payload: { fpsId: `FPS-${randomUUID()}`, amountMinor, ...(type === 'transfer.sent' ? { creditor: party } : { debtor: party }), reference: 'ADVICE' },
    }) as Advice;
  expect((await primary.call('POST', '/internal/advices', { token: CREDENTIALS['advice-consumer'], body: advice('transfer.sent', 200) })).body).toMatchObject({
    outcome: 'applied',
  });
  const batch = await primary.call('POST', '/internal/advices/batch', {
    token: CREDENTIALS['advice-consumer'],
    body: { advices: [advice('transfer.received', 300), advice('transfer.sent', 400)] },
  });
  expect(batch.body.outcomes.map((outcome: { result: { outcome: string } }) => outcome.result.outcome)).toEqual(['applied', 'applied']);

  const { rows } = await primary.db.query<{ kind: string; ledger_account_id: string; amount_minor: string }>(
    `select j.kind, p.ledger_account_id, p.amount_minor from postings p join journals j on j.id = p.journal_id
      where p.journal_id in (select journal_id from postings where ledger_account_id = $1) order by p.id`,
    [account.id],
  );
  expect(rows.map((row) => [row.kind, row.ledger_account_id, Number(row.amount_minor)])).toEqual([
    ['faster_payment.inbound', account.id, 10_000],
    ['faster_payment.inbound', shard, -10_000],
    ['faster_payment.outbound', account.id, -1_000],
    ['faster_payment.outbound', shard, 1_000],
    ['faster_payment.outbound', account.id, -200],
    ['faster_payment.outbound', shard, 200],
    ['faster_payment.inbound', account.id, 300],
    ['faster_payment.inbound', shard, -300],
    ['faster_payment.outbound', account.id, -400],
    ['faster_payment.outbound', shard, 400],
  ]);
  expect(await root()).toBe(rootBefore);
  const unbalanced = await primary.db.query<{ count: string }>(
    'select count(*) from (select journal_id from postings group by journal_id having sum(amount_minor) <> 0) j',
  );
  expect(unbalanced.rows[0]!.count).toBe('0');
});
