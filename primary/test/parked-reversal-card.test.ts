import { randomUUID } from 'node:crypto';
import { CREDENTIALS, authorisation, messageKey, startPrimary, type TestPrimary } from './harness';

// Issue 15: a reversal that reaches primary before its authorisation is parked, and applied the
// moment the authorisation is recorded, but only to an authorisation of the card it names. A
// reversal naming card A must not release card B's money, whichever way B's authorisation arrives
// (primary's own decision in SQL, or stand-in's approval advised); it stays parked for the hold
// expiry to remove. Real primary over HTTP on the real PostgreSQL.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

async function twoCustomers() {
  const make = async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    return { account, card: await primary.issueCard(account.id) };
  };
  return { alice: await make(), bob: await make() };
}

const reversalOf = (card: { pan: string }, original: ReturnType<typeof messageKey>, amountMinor: number) => ({
  mti: '0400',
  pan: card.pan,
  original,
  amountMinor,
  currency: 'GBP',
  transmittedAt: '2026-11-21T12:01:00Z',
  ...messageKey(),
});
const parked = async (reversal: { stan: string; rrn: string; terminalId: string }) =>
  (
    await primary.db.query<{ card_id: string | null }>(
      'select card_id from reversals_awaiting_authorisation where stan = $1 and rrn = $2 and terminal_id = $3',
      [reversal.stan, reversal.rrn, reversal.terminalId],
    )
  ).rows[0];

test("when a parked reversal names another card than the authorisation primary then decides, then it is not applied and stays parked; the named card's own authorisation takes it", async () => {
  const { alice, bob } = await twoCustomers();
  const key = messageKey();
  const reversal = reversalOf(alice.card, key, 2_000);
  expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({ responseCode: '00' });
  expect(await parked(reversal)).toEqual({ card_id: alice.card.id });

  // Bob's authorisation under the same message key (decided in SQL, card_authorise): approved, held, untouched by Alice's reversal.
  const bobs = authorisation(bob.card, 2_000, key);
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: bobs })).body).toMatchObject({ responseCode: '00' });
  expect(await primary.balance(bob.account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 2_000 });
  expect(await parked(reversal)).toEqual({ card_id: alice.card.id });
});

test('when a parked reversal names another card than the approval stand-in advises, then it is not applied; one naming that card is', async () => {
  const { alice, bob } = await twoCustomers();
  const key = messageKey();
  const wrongCard = reversalOf(alice.card, key, 3_000);
  expect((await primary.call('POST', '/scheme/card/reversals', { body: wrongCard })).body).toMatchObject({ responseCode: '00' });
  const rightCard = reversalOf(bob.card, key, 3_000);
  expect((await primary.call('POST', '/scheme/card/reversals', { body: { ...rightCard, replacementAmountMinor: 1_000 } })).body).toMatchObject({
    responseCode: '00',
  });

  const advice = {
    adviceId: randomUUID(),
    type: 'card_payment.approved',
    accountId: bob.account.id,
    sequence: 1,
    correlationId: randomUUID(),
    createdAt: '2026-11-21T12:00:00Z',
    schemaVersion: 1,
    payload: {
      cardId: bob.card.id,
      authorisation: {
        ...key,
        mti: '0100',
        processingCode: '000000',
        amountMinor: 3_000,
        currency: 'GBP',
        merchant: { name: 'STANDIN SHOP', categoryCode: '5411', city: 'Bath', country: 'GB' },
        authorisationCode: 'SI1234',
        transmittedAt: '2026-11-21T12:00:00Z',
      },
    },
  };
  expect((await primary.call('POST', '/internal/advices', { token: CREDENTIALS['advice-consumer'], body: advice })).body).toMatchObject({ outcome: 'applied' });
  // Bob's own partial reversal applied (1,000 stays authorised); Alice's, naming her card, did not release the rest.
  expect(await primary.balance(bob.account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 1_000 });
  expect(await parked(rightCard)).toBeUndefined();
  expect(await parked(wrongCard)).toEqual({ card_id: alice.card.id });
});

test('when a reversal names a card primary does not know, then it is acknowledged and not parked', async () => {
  const reversal = reversalOf({ pan: '4000000000000002' }, messageKey(), 500);
  expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({
    responseCode: '00',
    reason: 'no authorisation known for this card',
  });
  expect(await parked(reversal)).toBeUndefined();
});
