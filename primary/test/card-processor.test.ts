import { authorisation, messageKey, startPrimary, type TestPrimary } from './harness';

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

async function customerWithCard(fundedMinor: number, options: { overdraftLimitMinor?: number; dailyCashLimitMinor?: number } = {}) {
  const account = await primary.openAccount(options.overdraftLimitMinor ?? 0);
  if (fundedMinor > 0) await primary.fund(account, fundedMinor);
  const card = await primary.issueCard(account.id, options.dailyCashLimitMinor);
  return { account, card };
}

const authorise = (body: object) => primary.call('POST', '/scheme/card/authorisations', { body });

describe('card authorisation', () => {
  test('when there is enough money, then it is approved and a hold reduces the available balance but not the settled one', async () => {
    const { account, card } = await customerWithCard(10_000);
    const response = await authorise(authorisation(card, 2_500));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mti: '0110', responseCode: '00', approvedAmountMinor: 2_500, decidedBy: 'primary' });
    expect(response.body.authorisationCode).toMatch(/^[0-9A-Z]{6}$/);
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 2_500, availableMinor: 7_500 });
  });

  test('when the amount exceeds balance plus overdraft, then it is declined 51 and nothing is held', async () => {
    const { account, card } = await customerWithCard(1_000, { overdraftLimitMinor: 500 });
    expect((await authorise(authorisation(card, 1_500))).body.responseCode).toBe('00');
    expect((await authorise(authorisation(card, 1))).body).toMatchObject({ responseCode: '51', approvedAmountMinor: 0 });
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_500, availableMinor: 0 });
  });

  test('when the card is frozen, cancelled, unknown or expired, then the network hears 62, 05, 14 and 54', async () => {
    const { account, card } = await customerWithCard(10_000);
    await primary.call('POST', `/cards/${card.id}/freeze`, { token: account.token });
    expect((await authorise(authorisation(card, 100))).body.responseCode).toBe('62');
    await primary.call('POST', `/cards/${card.id}/unfreeze`, { token: account.token });
    expect((await authorise(authorisation(card, 100))).body.responseCode).toBe('00');
    await primary.call('POST', `/cards/${card.id}/cancel`, { token: account.token });
    expect((await authorise(authorisation(card, 100))).body.responseCode).toBe('05');
    expect((await authorise(authorisation({ pan: '4000001234567899', expiry: card.expiry }, 100))).body.responseCode).toBe('14');

    const fresh = await customerWithCard(10_000);
    primary.clock.set('2031-01-01T00:00:00Z');
    try {
      expect((await authorise(authorisation(fresh.card, 100))).body.responseCode).toBe('54');
    } finally {
      primary.clock.set('2026-11-21T12:00:00Z');
    }
  });

  test('when the same message arrives twice, then the second gets the original answer and no second hold', async () => {
    const { account, card } = await customerWithCard(10_000);
    const message = authorisation(card, 3_000);
    const first = await authorise(message);
    const second = await authorise(message);
    expect(second.body).toEqual(first.body);
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 3_000 });
  });

  test('when many identical messages race, then exactly one hold is placed and all answers agree', async () => {
    const { account, card } = await customerWithCard(10_000);
    const message = authorisation(card, 1_000);
    const answers = await Promise.all(Array.from({ length: 8 }, () => authorise(message)));
    // Byte for byte: a network compares the repeat with what it first heard.
    expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_000 });
  });

  test('when payments on one account race, then the account is never overspent', async () => {
    const { account, card } = await customerWithCard(5_000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => authorise(authorisation(card, 1_000))));
    expect(answers.filter((answer) => answer.body.responseCode === '00')).toHaveLength(5);
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 5_000, availableMinor: 0 });
  });

  test('when ATM cash (0200, processing code 01) is withdrawn, then it is posted at once and capped by the daily cash limit', async () => {
    const { account, card } = await customerWithCard(100_000, { dailyCashLimitMinor: 25_000 });
    const cash = (amountMinor: number) =>
      authorise(
        authorisation(card, amountMinor, {
          mti: '0200',
          processingCode: '010000',
          merchant: { name: 'ATM HIGH ST', categoryCode: '6011', city: 'London', country: 'GB' },
        }),
      );
    expect((await cash(20_000)).body).toMatchObject({ mti: '0210', responseCode: '00' });
    expect((await cash(10_000)).body.responseCode).toBe('61');
    expect((await cash(5_000)).body.responseCode).toBe('00');
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 75_000, heldMinor: 0 });
    primary.clock.set('2026-11-22T09:00:00Z');
    try {
      expect((await cash(10_000)).body.responseCode).toBe('00');
    } finally {
      primary.clock.set('2026-11-21T12:00:00Z');
    }
  });
});

describe('reversal and clearing', () => {
  const reversal = (original: { stan: string; rrn: string; terminalId: string; pan: string }, amountMinor: number, replacementAmountMinor?: number) => ({
    mti: '0400',
    pan: original.pan,
    original: { stan: original.stan, rrn: original.rrn, terminalId: original.terminalId },
    amountMinor,
    ...(replacementAmountMinor === undefined ? {} : { replacementAmountMinor }),
    currency: 'GBP',
    transmittedAt: '2026-11-21T12:01:00Z',
    ...messageKey(),
  });

  test('when an authorisation is partially then fully reversed, then the hold shrinks then disappears, once each even if repeated', async () => {
    const { account, card } = await customerWithCard(10_000);
    const auth = authorisation(card, 4_000);
    await authorise(auth);
    const partial = reversal(auth, 4_000, 1_500);
    expect((await primary.call('POST', '/scheme/card/reversals', { body: partial })).body).toMatchObject({ mti: '0410', responseCode: '00' });
    await primary.call('POST', '/scheme/card/reversals', { body: partial });
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_500, availableMinor: 8_500 });
    await primary.call('POST', '/scheme/card/reversals', { body: reversal(auth, 1_500) });
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 0, settledMinor: 10_000 });
    const feed = await primary.call('GET', `/accounts/${account.id}/transactions`, { token: account.token });
    expect(feed.body.transactions[0]).toMatchObject({ kind: 'card_payment', status: 'reversed' });
  });

  test('when the network reverses an authorisation primary is still deciding (it timed out on us), then the reversal is acknowledged and applied the moment the approval is recorded', async () => {
    const { account, card } = await customerWithCard(10_000);
    const auth = authorisation(card, 2_500);
    // The reversal overtakes its authorisation: nothing to reverse yet.
    expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal(auth, 2_500) })).body).toMatchObject({
      mti: '0410',
      responseCode: '00',
      decidedBy: 'primary',
    });
    expect((await primary.call('POST', '/scheme/card/authorisations', { body: auth })).body).toMatchObject({ responseCode: '00' });
    // Approved, and at once reversed in full: nothing stays held for a payment the network withdrew.
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0 });
  });

  test('when a clearing arrives for more than was authorised, then the hold is settled at the cleared amount', async () => {
    const { account, card } = await customerWithCard(10_000);
    const auth = authorisation(card, 2_000);
    await authorise(auth);
    const clearing = {
      clearingId: `CLR-${auth.rrn}`,
      pan: card.pan,
      original: { stan: auth.stan, rrn: auth.rrn, terminalId: auth.terminalId },
      processingCode: '000000',
      amountMinor: 2_300,
      currency: 'GBP',
      merchant: auth.merchant,
      clearedAt: '2026-11-22T02:00:00Z',
    };
    expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body).toEqual({ clearingId: clearing.clearingId, status: 'settled' });
    expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body.status).toBe('settled');
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 7_700, heldMinor: 0 });
    const feed = await primary.call('GET', `/accounts/${account.id}/transactions`, { token: account.token });
    expect(feed.body.transactions[0]).toMatchObject({ status: 'settled', amountMinor: -2_300, merchant: auth.merchant });
    expect(feed.body.transactions[0].correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('when a refund clears, then the account is credited', async () => {
    const { account, card } = await customerWithCard(1_000);
    const refund = {
      clearingId: `CLR-R-${messageKey().rrn}`,
      pan: card.pan,
      processingCode: '200000',
      amountMinor: 700,
      currency: 'GBP',
      merchant: { name: 'SHOE SHOP', categoryCode: '5661', city: 'Leeds', country: 'GB' },
      clearedAt: '2026-11-22T02:00:00Z',
    };
    await primary.call('POST', '/scheme/card/clearings', { body: refund });
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 1_700 });
  });
});
