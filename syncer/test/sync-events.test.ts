import { randomUUID } from 'node:crypto';
import { checkCustomerToken, panLookup, type Database } from '@bank/standin';
import type { RunningSyncer } from '../src/syncer';
import {
  PrimaryAccount,
  SYNCED_TABLES,
  capturedLogger,
  countRows,
  eventually,
  outcomeRecorder,
  publish,
  randomPan,
  syncedSequences,
  testCardKeys,
  untilSynced,
  unsealPan,
  syncerBench,
  type TestProducer,
} from './harness';

// Primary's events into stand-in's synced tables: the newest version of everything is right,
// the PAN is never stored in clear, a redelivery changes nothing, and a gap is recorded and
// then filled.

const card = testCardKeys();
const { logger, lines } = capturedLogger();
const groupId = `syncer-test-sync-${randomUUID()}`;
const bench = syncerBench('sync', card);
let database: Database;
let producer: TestProducer;
let syncer: RunningSyncer;
const outcomes = outcomeRecorder();

beforeAll(async () => {
  ({ database, producer } = await bench.start());
  syncer = await bench.syncer({ groupId, logger, onBatchApplied: outcomes.observe });
}, 180_000);

afterAll(() => bench.stop());

/** A full account story: everything stand-in needs, with later versions of most entities. */
function accountStory(account: PrimaryAccount, pan: string) {
  const cardId = randomUUID();
  const potId = randomUUID();
  const payeeId = randomUUID();
  const transactionId = randomUUID();
  const correlationId = randomUUID();
  const events = [
    account.opened({ overdraftLimitMinor: 10_000 }),
    account.credential('app-token-for-the-test'),
    account.balance(50_000),
    account.cardIssued(pan, cardId),
    account.transaction(transactionId, -1_250, 'pending', { correlationId, cardId }),
    account.balance(50_000, 1_250, { correlationId }),
    account.other('notification.sent'),
    account.cardStatus(cardId, 'frozen'),
    account.transaction(transactionId, -1_250, 'settled', { correlationId, cardId }),
    account.balance(48_750, 0, { correlationId }),
    account.pot(potId, 5_000),
    account.pot(potId, 7_500),
    account.payeeAdded(payeeId),
    account.payeeRemoved(payeeId),
    account.updated({ status: 'restricted', overdraftLimitMinor: 20_000, unapprovedOverdraft: true }),
  ];
  return { events, cardId, potId, payeeId, transactionId, correlationId };
}

test('when an account lives through every kind of event, then the synced tables hold each version and the newest is right, and the PAN is never stored in clear', async () => {
  const account = new PrimaryAccount(card);
  const pan = randomPan();
  const story = accountStory(account, pan);
  await publish(producer, story.events);

  expect(await untilSynced(database, account.accountId, story.events.length)).toEqual(story.events.map((event) => event.sequence));
  const id = account.accountId;
  const newest = async <T>(sql: string, parameters: unknown[]) => (await database.query<T & Record<string, unknown>>(sql, parameters)).rows[0];

  const types = (await database.query<{ type: string }>('select type from synced_events where account_id = $1 order by sequence', [id])).rows.map(
    (row) => row.type,
  );
  expect(types).toEqual(story.events.map((event) => event.type));
  const correlated = await database.query('select sequence from synced_events where account_id = $1 and correlation_id = $2 order by sequence', [
    id,
    story.correlationId,
  ]);
  expect(correlated.rows.map((row) => row.sequence)).toEqual([5, 6, 9, 10]);

  // account.updated keeps what only account.opened carried.
  expect(await newest('select * from synced_accounts where account_id = $1 order by sequence desc limit 1', [id])).toMatchObject({
    sequence: 15,
    customer_id: account.customerId,
    holder_name: 'Ada Lovelace',
    sort_code: '608371',
    account_number: account.accountNumber,
    status: 'restricted',
    overdraft_limit_minor: '20000',
    unapproved_overdraft: true,
  });
  expect(await newest('select * from synced_balances where account_id = $1 order by sequence desc limit 1', [id])).toMatchObject({
    sequence: 10,
    settled_minor: '48750',
    held_minor: '0',
  });

  const cards = (await database.query('select * from synced_cards where account_id = $1 order by sequence', [id])).rows;
  expect(cards.map((row) => [row.sequence, row.status])).toEqual([
    [4, 'active'],
    [8, 'frozen'],
  ]);
  const frozen = cards[1]!;
  expect(frozen).toMatchObject({ card_id: story.cardId, last4: pan.slice(-4), expiry: '3011', daily_cash_limit_minor: '25000' });
  expect((frozen.changed_at as Date).toISOString()).toBe((story.events[7] as { occurredAt: string }).occurredAt);
  expect((frozen.pan_lookup as Buffer).equals(panLookup(card.keys, pan))).toBe(true);
  expect(unsealPan(card.keys, frozen.pan_sealed)).toBe(pan);

  const transaction = await newest('select * from synced_transactions where transaction_id = $1 order by sequence desc limit 1', [story.transactionId]);
  expect(transaction).toMatchObject({
    sequence: 9,
    status: 'settled',
    amount_minor: '-1250',
    correlation_id: story.correlationId,
    kind: 'card_payment',
    description: 'CORNER SHOP',
  });
  expect(transaction?.merchant).toEqual({ name: 'CORNER SHOP', categoryCode: '5411', city: 'LONDON', country: 'GB' });
  expect(await newest('select * from synced_pots where pot_id = $1 order by sequence desc limit 1', [story.potId])).toMatchObject({
    sequence: 12,
    balance_minor: '7500',
    status: 'active',
  });
  expect(await newest('select * from synced_payees where payee_id = $1 order by sequence desc limit 1', [story.payeeId])).toMatchObject({
    sequence: 14,
    removed: true,
    name: 'Grace Hopper',
    sort_code: '040004',
    account_number: '12345678',
  });
  expect(await newest('select customer_id from synced_credentials where account_id = $1', [id])).toEqual({ customer_id: account.customerId });

  // No plaintext PAN anywhere stand-in keeps this account, nor in the syncer's log.
  const panHex = Buffer.from(pan).toString('hex');
  for (const table of SYNCED_TABLES) {
    const { rows } = await database.query<{ row: string }>(`select row_to_json(t)::text as row from ${table} t where account_id = $1`, [id]);
    for (const { row } of rows) {
      expect(row).not.toContain(pan);
      expect(row).not.toContain(panHex);
    }
  }
  expect(lines.join('')).not.toContain(pan);
  expect(await countRows(database, [id])).toMatchObject({ sync_gaps: 0 });
});

test("when primary revokes a customer's tokens, then the revocation syncs in the account's order and stand-in refuses the tokens it ends, not one issued after", async () => {
  const account = new PrimaryAccount(card);
  const issuedAt = new Date('2026-11-21T09:00:00.000Z');
  const expiresAt = new Date('2026-12-21T09:00:00.000Z');
  const revokedAt = new Date('2026-11-21T10:00:00.000Z');
  // Tokens of this run's own: stand-in's database outlives a run.
  const before = `token-before-${randomUUID()}`;
  const after = `token-after-${randomUUID()}`;
  const events = [
    account.opened(),
    account.credential(before, { issuedAt, expiresAt }),
    account.credentialsRevoked(revokedAt),
    account.credential(after, { issuedAt: new Date(revokedAt.getTime() + 1), expiresAt }),
  ];
  await publish(producer, events);
  expect(await untilSynced(database, account.accountId, events.length)).toEqual(events.map((event) => event.sequence));

  const { rows } = await database.query('select customer_id, revoked_at from synced_credential_revocations where account_id = $1', [account.accountId]);
  expect(rows).toEqual([{ customer_id: account.customerId, revoked_at: revokedAt }]);
  const credentials = await database.query('select issued_at, expires_at from synced_credentials where account_id = $1 order by sequence', [account.accountId]);
  expect(credentials.rows).toEqual([
    { issued_at: issuedAt, expires_at: expiresAt },
    { issued_at: new Date(revokedAt.getTime() + 1), expires_at: expiresAt },
  ]);
  const at = new Date('2026-11-22T00:00:00.000Z');
  expect(await checkCustomerToken(database, before, at)).toEqual({ ok: false, why: 'revoked' });
  expect(await checkCustomerToken(database, after, at)).toEqual({ ok: true, customerId: account.customerId });
  expect(await checkCustomerToken(database, after, expiresAt)).toEqual({ ok: false, why: 'expired' });
});

test('when the same events are delivered twice, then the second delivery changes nothing', async () => {
  const account = new PrimaryAccount(card);
  const story = accountStory(account, randomPan());
  await publish(producer, story.events);
  await untilSynced(database, account.accountId, story.events.length);
  const before = await countRows(database, [account.accountId]);
  const rowsBefore = await database.query('select to_jsonb(t) as row from synced_events t where account_id = $1 order by sequence', [account.accountId]);
  expect(outcomes.count(account.accountId, 'applied') + outcomes.count(account.accountId, 'recorded')).toBe(story.events.length);

  await publish(producer, story.events);
  await eventually(async () => outcomes.count(account.accountId, 'duplicate') === story.events.length, 'the redelivered events to be seen');

  expect(await countRows(database, [account.accountId])).toEqual(before);
  const rowsAfter = await database.query('select to_jsonb(t) as row from synced_events t where account_id = $1 order by sequence', [account.accountId]);
  expect(rowsAfter.rows).toEqual(rowsBefore.rows);
  expect(before).toMatchObject({ synced_events: 15, synced_cards: 2, synced_transactions: 2, sync_gaps: 0 });
});

test('when a sequence number is missing, then the gap is recorded and logged, later events still apply, and the late event fills it in', async () => {
  const account = new PrimaryAccount(card);
  const gapsBefore = (await syncer.metrics.gapsDetected.get()).values[0]?.value ?? 0;
  await publish(producer, [account.opened(), account.balance(1_000)]);
  const skipped = account.skip();
  await publish(producer, [account.balance(3_000)]);

  expect(await untilSynced(database, account.accountId, 3)).toEqual([1, 2, 4]);
  const gaps = await database.query('select expected_sequence, received_sequence from sync_gaps where account_id = $1', [account.accountId]);
  expect(gaps.rows).toEqual([{ expected_sequence: 3, received_sequence: 4 }]);
  expect(lines.some((line) => line.includes('"level":50') && line.includes('sequence gap') && line.includes(account.accountId))).toBe(true);
  expect((await syncer.metrics.gapsDetected.get()).values[0]?.value).toBeGreaterThanOrEqual(gapsBefore + 1);
  expect(await syncer.metrics.registry.metrics()).toMatch(/syncer_gaps_detected_total \d+/);
  const balanceNow = await database.query('select settled_minor from synced_balances where account_id = $1 order by sequence desc limit 1', [
    account.accountId,
  ]);
  expect(balanceNow.rows[0]).toEqual({ settled_minor: '3000' });

  const transactionId = randomUUID();
  await publish(producer, [account.late(skipped, (late) => late.transaction(transactionId, 2_000, 'settled'))]);
  expect(await untilSynced(database, account.accountId, 4)).toEqual([1, 2, 3, 4]);
  expect(await syncedSequences(database, account.accountId)).toEqual([1, 2, 3, 4]);
  // The gap stays on record, now filled; filling it is not a gap of its own.
  expect((await database.query('select count(*)::int as count from sync_gaps where account_id = $1', [account.accountId])).rows[0]).toEqual({ count: 1 });
  const unfilled = await database.query(
    `select count(*)::int as count from sync_gaps gap where account_id = $1 and exists (
       select 1 from generate_series(gap.expected_sequence, gap.received_sequence - 1) missing(sequence)
       where not exists (select 1 from synced_events e where e.account_id = gap.account_id and e.sequence = missing.sequence))`,
    [account.accountId],
  );
  expect(unfilled.rows[0]).toEqual({ count: 0 });
  expect((await database.query('select sequence, status from synced_transactions where transaction_id = $1', [transactionId])).rows).toEqual([
    { sequence: 3, status: 'settled' },
  ]);
  // The late event is older than the balance already synced: the newest version stays newest.
  const balanceAfter = await database.query('select settled_minor from synced_balances where account_id = $1 order by sequence desc limit 1', [
    account.accountId,
  ]);
  expect(balanceAfter.rows[0]).toEqual({ settled_minor: '3000' });
});
