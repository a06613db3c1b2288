import pino from 'pino';
import { holdExpiry } from '../src/card-processor/hold-expiry';
import { createMetrics } from '../src/platform/metrics';
import { authorisation, messageKey, startPrimary, type TestPrimary } from './harness';

// Issue 15: authorisation holds expire. A hold nobody cleared within HOLD_EXPIRY_DAYS is released
// by the sweep (balance announced, feed entry reversed, the authorisation recorded as expired); a
// clearing that comes after still settles, as a posting. The clock is the injected one, set to a
// day no other test uses, so that no other test's holds are old enough to be swept here.

const DAY0 = '2020-01-01T12:00:00Z';
const at = (days: number, minutes = 0) => new Date(Date.parse(DAY0) + days * 86_400_000 + minutes * 60_000);

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary({ now: DAY0 });
});
afterAll(() => primary.close());

test('when a hold is not cleared within the expiry, then the sweep releases it with an event and a feed entry, and a later clearing still settles as a posting', async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const card = await primary.issueCard(account.id);
  const old = authorisation(card, 2_500);
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: old })).body.responseCode).toBe('00');
  primary.clock.set(at(6));
  const recent = authorisation(card, 1_000);
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: recent })).body.responseCode).toBe('00');
  // A reversal of an authorisation that never arrives, parked on day 0.
  const orphanReversal = { mti: '0400', pan: card.pan, original: messageKey(), amountMinor: 500, currency: 'GBP', transmittedAt: DAY0, ...messageKey() };
  primary.clock.set(at(0));
  expect((await primary.call('POST', '/scheme/card/reversals', { body: orphanReversal })).body.responseCode).toBe('00');

  const sweeper = holdExpiry({
    processor: primary.services.cardProcessor,
    clock: primary.clock,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    expiryDays: 7,
  });

  // A minute short of seven days: nothing expires.
  primary.clock.set(at(6, 24 * 60 - 1));
  await sweeper.sweep();
  expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 3_500 });

  primary.clock.set(at(7, 1));
  const swept = await sweeper.sweep();
  expect(swept.expired).toBeGreaterThanOrEqual(1);
  expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 1_000, availableMinor: 9_000 });
  const record = await primary.db.query<{ state: string; outstanding_minor: string }>(
    'select state, outstanding_minor from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3',
    [old.stan, old.rrn, old.terminalId],
  );
  expect(record.rows[0]).toEqual({ state: 'expired', outstanding_minor: '0' });
  const parked = await primary.db.query('select 1 from reversals_awaiting_authorisation where stan = $1 and rrn = $2 and terminal_id = $3', [
    orphanReversal.stan,
    orphanReversal.rrn,
    orphanReversal.terminalId,
  ]);
  expect(parked.rowCount).toBe(0);

  // The customer sees it given back; stand-in hears it (the balance and the feed entry, announced).
  const feed = await primary.call('GET', `/accounts/${account.id}/transactions`, { token: account.token });
  const oldEntry = feed.body.transactions.find((transaction: { amountMinor: number; status: string }) => transaction.status === 'reversed');
  expect(oldEntry).toMatchObject({ kind: 'card_payment', status: 'reversed' });
  const events = await primary.db.query<{ type: string; payload: { heldMinor?: number; status?: string; transactionId?: string } }>(
    "select event->>'type' as type, event->'payload' as payload from outbox_events where account_id = $1 order by sequence desc limit 2",
    [account.id],
  );
  expect(events.rows.map((row) => row.type).sort()).toEqual(['balance.changed', 'transaction.recorded']);
  expect(events.rows.find((row) => row.type === 'balance.changed')!.payload.heldMinor).toBe(1_000);
  expect(events.rows.find((row) => row.type === 'transaction.recorded')!.payload).toMatchObject({ status: 'reversed', transactionId: oldEntry.id });

  // Swept again: nothing more.
  await sweeper.sweep();
  expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_000 });

  // The network reverses it now: acknowledged, nothing moves.
  const lateReversal = {
    mti: '0400',
    pan: card.pan,
    original: { stan: old.stan, rrn: old.rrn, terminalId: old.terminalId },
    amountMinor: 2_500,
    currency: 'GBP',
    transmittedAt: DAY0,
    ...messageKey(),
  };
  expect((await primary.call('POST', '/scheme/card/reversals', { body: lateReversal })).body).toMatchObject({
    responseCode: '00',
    reason: 'authorisation already expired',
  });
  expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 1_000 });

  // Its clearing comes after all: the merchant is paid, as a posting.
  const clearing = {
    clearingId: `CLR-${old.rrn}`,
    pan: card.pan,
    original: { stan: old.stan, rrn: old.rrn, terminalId: old.terminalId },
    processingCode: '000000',
    amountMinor: 2_500,
    currency: 'GBP',
    merchant: old.merchant,
    clearedAt: at(8).toISOString(),
  };
  expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body).toEqual({ clearingId: clearing.clearingId, status: 'settled' });
  expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 7_500, heldMinor: 1_000 });
});
