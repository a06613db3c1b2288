import { randomUUID } from 'node:crypto';
import { INTERNAL_TOKEN, messageKey, startPrimary, type TestPrimary } from './harness';

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const merchant = { name: 'STANDIN SHOP', categoryCode: '5411', city: 'Bath', country: 'GB' };

function adviceFactory(accountId: string) {
  let sequence = 0;
  return (type: string, payload: object, options: { sequence?: number; correlationId?: string } = {}) => ({
    adviceId: randomUUID(),
    type,
    accountId,
    sequence: options.sequence ?? ++sequence,
    correlationId: options.correlationId ?? randomUUID(),
    createdAt: '2026-11-21T12:00:00Z',
    schemaVersion: 1,
    payload,
  });
}

const apply = (advice: object, token = INTERNAL_TOKEN) => primary.call('POST', '/internal/advices', { token, body: advice });
const approval = (cardId: string, amountMinor: number, key = messageKey()) => ({
  cardId,
  authorisation: { ...key, mti: '0100', processingCode: '000000', amountMinor, currency: 'GBP', merchant, authorisationCode: 'SI1234', transmittedAt: '2026-11-21T12:00:00Z' },
});

describe('applying stand-in advices', () => {
  test("when stand-in approved more than primary thinks is there, then it is applied anyway, once, and the account is flagged", async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 1_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const advice = advise('card_payment.approved', approval(card.id, 2_500));
    expect((await apply(advice)).body).toEqual({ outcome: 'applied', forcedOverdraft: true });
    expect((await apply(advice)).body).toEqual({ outcome: 'duplicate' });
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 1_000, heldMinor: 2_500, unapprovedOverdraft: true });
    const flagged = await primary.call('GET', '/internal/unapproved-overdrafts', { token: INTERNAL_TOKEN });
    expect(flagged.body.accounts.map((a: { accountId: string }) => a.accountId)).toContain(account.id);
    const event = await primary.db.query("select event from outbox_events where account_id = $1 and event->>'type' = 'account.updated'", [account.id]);
    expect(event.rows[0]?.event.payload).toMatchObject({ unapprovedOverdraft: true });
    const feed = await primary.call('GET', `/accounts/${account.id}/transactions`, { token: account.token });
    expect(feed.body.transactions[0]).toMatchObject({ kind: 'card_payment', amountMinor: -2_500, correlationId: advice.correlationId });
  });

  test('when advices arrive out of order, then a later one waits for the missing one, and both apply in order', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const first = advise('card.frozen', { cardId: card.id, requestedBy: 'customer' });
    const second = advise('card.unfrozen', { cardId: card.id, requestedBy: 'customer' });
    expect(await apply(second)).toEqual({ status: 409, body: { outcome: 'out_of_order', expectedSequence: 1 } });
    expect((await apply(first)).body.outcome).toBe('applied');
    expect((await apply(second)).body.outcome).toBe('applied');
    const cards = await primary.call('GET', `/accounts/${account.id}/cards`, { token: account.token });
    expect(cards.body.cards[0].status).toBe('active');
  });

  test('when stand-in reversed part of its approval, and the network later clears the rest, then primary ends settled at the cleared amount', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const key = messageKey();
    const approved = advise('card_payment.approved', approval(card.id, 4_000, key));
    await apply(approved);
    await apply(advise('card_payment.reversed', { cardId: card.id, original: key, originalCorrelationId: approved.correlationId, reversedAmountMinor: 1_000, remainingAmountMinor: 3_000 }));
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 3_000 });
    const clearing = { clearingId: `CLR-${key.rrn}`, pan: card.pan, original: key, processingCode: '000000', amountMinor: 3_000, currency: 'GBP', merchant, clearedAt: '2026-11-22T00:00:00Z' };
    expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body.status).toBe('settled');
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 7_000, heldMinor: 0 });
  });

  test('transfers sent and received in stand-in move the money in primary with the same correlation id', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 5_000);
    const advise = adviceFactory(account.id);
    const party = { sortCode: '200000', accountNumber: '12345678', name: 'Someone' };
    const sent = advise('transfer.sent', { fpsId: 'SI-0000-0001-aaaa', amountMinor: 2_000, creditor: party, reference: 'RENT' });
    await apply(sent);
    await apply(advise('transfer.received', { fpsId: 'FPS-IN-0000-0001', amountMinor: 700, debtor: party, reference: 'GIFT' }));
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 3_700 });
    const journal = await primary.db.query('select count(*)::int as n from journals where correlation_id = $1', [sent.correlationId]);
    expect(journal.rows[0].n).toBe(1);
  });

  test('when an advice names an account or card primary does not know, then it is refused with 422 (for the dead-letter topic), not retried', async () => {
    const stranger = adviceFactory(randomUUID())('transfer.received', { fpsId: 'FPS-IN-0000-0002', amountMinor: 1, debtor: { sortCode: '200000', accountNumber: '12345678', name: 'X' }, reference: '' });
    expect(await apply(stranger)).toMatchObject({ status: 422, body: { error: { code: 'PRIMARY_ADVICE_NOT_APPLICABLE' } } });
    const account = await primary.openAccount();
    const unknownCard = adviceFactory(account.id)('card.frozen', { cardId: randomUUID(), requestedBy: 'customer' });
    expect((await apply(unknownCard)).status).toBe(422);
  });

  test('a customer token cannot apply advices; a malformed advice is a 400 naming the field', async () => {
    const account = await primary.openAccount();
    const advice = adviceFactory(account.id)('card.frozen', { cardId: randomUUID(), requestedBy: 'customer' });
    expect((await apply(advice, account.token)).status).toBe(401);
    const broken = await apply({ ...advice, sequence: 0 });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toContain('sequence');
  });
});
