import { randomUUID } from 'node:crypto';
import { CREDENTIALS, authorisation, messageKey, startPrimary, type TestPrimary } from './harness';

/** Reads the unapproved overdrafts report (operators only). */
const INCIDENT_ENGINEER = { name: 'advices-operator', token: 'advices-operator-token' };

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary({ operators: [INCIDENT_ENGINEER] });
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

const apply = (advice: object, token = CREDENTIALS['advice-consumer']) => primary.call('POST', '/internal/advices', { token, body: advice });
const approval = (cardId: string, amountMinor: number, key = messageKey()) => ({
  cardId,
  authorisation: {
    ...key,
    mti: '0100',
    processingCode: '000000',
    amountMinor,
    currency: 'GBP',
    merchant,
    authorisationCode: 'SI1234',
    transmittedAt: '2026-11-21T12:00:00Z',
  },
});

describe('applying stand-in advices', () => {
  test('when stand-in approved more than primary thinks is there, then it is applied anyway, once, and the account is flagged', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 1_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const advice = advise('card_payment.approved', approval(card.id, 2_500));
    expect((await apply(advice)).body).toEqual({ outcome: 'applied', forcedOverdraft: true });
    expect((await apply(advice)).body).toEqual({ outcome: 'duplicate' });
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 1_000, heldMinor: 2_500, unapprovedOverdraft: true });
    const flagged = await primary.call('GET', '/internal/unapproved-overdrafts', { token: INCIDENT_ENGINEER.token });
    expect(flagged.body.accounts.map((a: { accountId: string }) => a.accountId)).toContain(account.id);
    const event = await primary.db.query("select event from outbox_events where account_id = $1 and event->>'type' = 'account.updated'", [account.id]);
    expect(event.rows[0]?.event.payload).toMatchObject({ unapprovedOverdraft: true });
    const feed = await primary.call('GET', `/accounts/${account.id}/transactions`, { token: account.token });
    expect(feed.body.transactions[0]).toMatchObject({ kind: 'card_payment', amountMinor: -2_500, correlationId: advice.correlationId });
  });

  describe('a decline stand-in advises', () => {
    /** The message as in an approval's advice, without an approval code, with stand-in's answer. */
    const decline = (cardId: string, key: { stan: string; rrn: string; terminalId: string }, amountMinor: number) => {
      const message: Partial<ReturnType<typeof approval>['authorisation']> = { ...approval(cardId, amountMinor, key).authorisation };
      delete message.authorisationCode;
      return {
        cardId,
        authorisation: { ...message, responseCode: '61', reason: 'stand-in risk limit: e-commerce per payment', rule: 'channel:ecommerce:per-payment' },
      };
    };

    test('when applied, then nothing moves, it is announced under its correlation id, and the network repeating the message to primary gets the same decline', async () => {
      const account = await primary.openAccount();
      await primary.fund(account, 10_000);
      const card = await primary.issueCard(account.id);
      const advise = adviceFactory(account.id);
      const auth = authorisation(card, 5_000);
      const advice = advise('card_payment.declined', decline(card.id, { stan: auth.stan, rrn: auth.rrn, terminalId: auth.terminalId }, 5_000));
      expect((await apply(advice)).body).toEqual({ outcome: 'applied', forcedOverdraft: false });
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0, availableMinor: 10_000 });
      // Stand-in counts an advice applied once an event under its correlation id comes back.
      const announced = await primary.db.query("select 1 from outbox_events where account_id = $1 and event->>'correlationId' = $2", [
        account.id,
        advice.correlationId,
      ]);
      expect(announced.rowCount).toBeGreaterThan(0);
      const repeat = await primary.call('POST', '/scheme/card/authorisations', { body: auth });
      expect(repeat.body).toMatchObject({
        responseCode: '61',
        approvedAmountMinor: 0,
        decidedBy: 'standin',
        reason: 'stand-in risk limit: e-commerce per payment',
      });
      expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 0, availableMinor: 10_000 });
      expect((await apply(advice)).body).toEqual({ outcome: 'duplicate' });
    });

    test('when the network reversal of the declined message reached primary first, then the decline settles it, releasing nothing', async () => {
      const account = await primary.openAccount();
      await primary.fund(account, 10_000);
      const card = await primary.issueCard(account.id);
      const key = messageKey();
      const reversal = {
        ...messageKey(),
        mti: '0420',
        pan: card.pan,
        original: key,
        amountMinor: 3_000,
        currency: 'GBP',
        transmittedAt: '2026-11-21T12:01:00Z',
      };
      expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({ responseCode: '00' });
      const parked = () =>
        primary.db.query('select 1 from reversals_awaiting_authorisation where original_stan = $1 and original_rrn = $2', [key.stan, key.rrn]);
      expect((await parked()).rowCount).toBe(1);
      expect((await apply(adviceFactory(account.id)('card_payment.declined', decline(card.id, key, 3_000)))).body.outcome).toBe('applied');
      expect((await parked()).rowCount).toBe(0);
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0, availableMinor: 10_000 });
    });

    test('when primary had already answered the same message itself, then its answer stands and the advice says so', async () => {
      const account = await primary.openAccount();
      await primary.fund(account, 10_000);
      const card = await primary.issueCard(account.id);
      const auth = authorisation(card, 2_000);
      expect((await primary.call('POST', '/scheme/card/authorisations', { body: auth })).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
      const advice = adviceFactory(account.id)(
        'card_payment.declined',
        decline(card.id, { stan: auth.stan, rrn: auth.rrn, terminalId: auth.terminalId }, 2_000),
      );
      expect((await apply(advice)).body).toEqual({ outcome: 'applied', forcedOverdraft: false, note: expect.stringContaining('primary had already answered') });
      expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 2_000 });
      expect((await primary.call('POST', '/scheme/card/authorisations', { body: auth })).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
    });
  });

  test('when advices arrive out of order, then a later one waits for the missing one, and both apply in order', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const first = advise('card.frozen', { cardId: card.id, requestedBy: 'customer' });
    const second = advise('card.unfrozen', { cardId: card.id, requestedBy: 'customer' });
    const early = await apply(second);
    expect({ status: early.status, body: early.body }).toEqual({ status: 409, body: { outcome: 'out_of_order', expectedSequence: 1 } });
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
    await apply(
      advise('card_payment.reversed', {
        cardId: card.id,
        original: key,
        originalCorrelationId: approved.correlationId,
        reversedAmountMinor: 1_000,
        remainingAmountMinor: 3_000,
      }),
    );
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 3_000 });
    const clearing = {
      clearingId: `CLR-${key.rrn}`,
      pan: card.pan,
      original: key,
      processingCode: '000000',
      amountMinor: 3_000,
      currency: 'GBP',
      merchant,
      clearedAt: '2026-11-22T00:00:00Z',
    };
    expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body.status).toBe('settled');
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 7_000, heldMinor: 0 });
  });

  test("when the network's partial reversal reached primary itself and stand-in advises the same reversal too, then it is released once", async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const key = messageKey();
    const approved = advise('card_payment.approved', approval(card.id, 5_000, key));
    await apply(approved);
    // The network's 0400 leaving 3,000 authorised, repeated after the routing changed: primary heard it...
    const reversal = {
      mti: '0400',
      pan: card.pan,
      original: key,
      amountMinor: 5_000,
      replacementAmountMinor: 3_000,
      currency: 'GBP',
      transmittedAt: '2026-11-21T12:01:00Z',
      ...messageKey(),
    };
    expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({ responseCode: '00' });
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 3_000 });
    // ...and so had stand-in, whose advice of it arrives now.
    await apply(
      advise('card_payment.reversed', {
        cardId: card.id,
        original: key,
        originalCorrelationId: approved.correlationId,
        reversedAmountMinor: 2_000,
        remainingAmountMinor: 3_000,
      }),
    );
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 3_000 });
  });

  test("when stand-in's partial reversal arrives after the payment was cleared, then nothing moves, and the balance is announced under the reversal's correlation id so stand-in stops counting it", async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const key = messageKey();
    const approved = advise('card_payment.approved', approval(card.id, 4_000, key));
    await apply(approved);
    // The network cleared the remaining 3,000 before stand-in's reversal of 1,000 reached primary.
    const clearing = {
      clearingId: `CLR-${key.rrn}`,
      pan: card.pan,
      original: key,
      processingCode: '000000',
      amountMinor: 3_000,
      currency: 'GBP',
      merchant,
      clearedAt: '2026-11-22T00:00:00Z',
    };
    expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body.status).toBe('settled');
    const reversed = advise('card_payment.reversed', {
      cardId: card.id,
      original: key,
      originalCorrelationId: approved.correlationId,
      reversedAmountMinor: 1_000,
      remainingAmountMinor: 3_000,
    });
    expect((await apply(reversed)).body.outcome).toBe('applied');
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 7_000, heldMinor: 0 });
    const announced = await primary.db.query<{ event: { type: string; payload: { settledBalanceMinor: number; heldMinor: number } } }>(
      "select event from outbox_events where account_id = $1 and event->>'correlationId' = $2",
      [account.id, reversed.correlationId],
    );
    expect(announced.rows.map((row) => [row.event.type, row.event.payload.settledBalanceMinor, row.event.payload.heldMinor])).toEqual([
      ['balance.changed', 7_000, 0],
    ]);
  });

  test("when the network's reversal reaches primary before stand-in's advice of the approval, then it is acknowledged, and the approval is reversed the moment the advice is applied; no PAN is kept", async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const key = messageKey();
    const reversal = {
      mti: '0400',
      pan: card.pan,
      original: key,
      amountMinor: 3_000,
      replacementAmountMinor: 1_000,
      currency: 'GBP',
      transmittedAt: '2026-11-21T12:01:00Z',
      ...messageKey(),
    };
    const early = await primary.call('POST', '/scheme/card/reversals', { body: reversal });
    expect(early.body).toMatchObject({ mti: '0410', responseCode: '00', decidedBy: 'primary' });
    expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toEqual(early.body);
    const kept = await primary.db.query<{ reversal: unknown }>('select reversal from reversals_awaiting_authorisation where stan = $1 and rrn = $2', [
      reversal.stan,
      reversal.rrn,
    ]);
    expect(kept.rows).toHaveLength(1);
    expect(JSON.stringify(kept.rows[0]!.reversal)).not.toContain(card.pan);

    const advise = adviceFactory(account.id);
    expect((await apply(advise('card_payment.approved', approval(card.id, 3_000, key)))).body.outcome).toBe('applied');
    // Partially reversed at once: 1,000 stays authorised, 2,000 released.
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 1_000 });
    expect(
      (await primary.db.query('select 1 from reversals_awaiting_authorisation where stan = $1 and rrn = $2', [reversal.stan, reversal.rrn])).rowCount,
    ).toBe(0);
    // The network repeating it now still moves nothing more.
    expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toEqual(early.body);
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_000 });
  });

  describe('a reversal stand-in acknowledged for an authorisation primary approved', () => {
    async function primaryApproval(amountMinor: number, overrides: { mti?: '0100' | '0200'; processingCode?: string } = {}) {
      const account = await primary.openAccount();
      await primary.fund(account, 10_000);
      const card = await primary.issueCard(account.id);
      const auth = authorisation(card, amountMinor, overrides);
      expect((await primary.call('POST', '/scheme/card/authorisations', { body: auth })).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
      const original = { stan: auth.stan, rrn: auth.rrn, terminalId: auth.terminalId };
      return { account, card, original, advise: adviceFactory(account.id) };
    }
    /** The reversal as the network sent it: stand-in's advice carries it without the PAN. */
    const networkReversal = (original: { stan: string; rrn: string; terminalId: string }, amountMinor: number, replacementAmountMinor?: number) => ({
      ...messageKey(),
      mti: '0420' as const,
      original,
      amountMinor,
      ...(replacementAmountMinor === undefined ? {} : { replacementAmountMinor }),
      currency: 'GBP',
      transmittedAt: '2026-11-21T12:01:00Z',
    });
    const authorisationRow = async (key: { stan: string; rrn: string }) =>
      (
        await primary.db.query<{ state: string; outstanding_minor: string }>(
          'select state, outstanding_minor from card_authorisations where stan = $1 and rrn = $2',
          [key.stan, key.rrn],
        )
      ).rows[0];
    const ledgerSum = async () =>
      Number((await primary.db.query<{ total: string }>('select coalesce(sum(amount_minor), 0) as total from postings')).rows[0]!.total);

    test('when applied, then the hold is released as if primary had heard the reversal, and a repeat of the advice changes nothing', async () => {
      const { account, card, original, advise } = await primaryApproval(4_000);
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 4_000, availableMinor: 6_000 });
      const reversal = networkReversal(original, 4_000);
      const advice = advise('card_payment.reversal_acknowledged', { cardId: card.id, reversal });
      expect((await apply(advice)).body).toEqual({ outcome: 'applied', forcedOverdraft: false });
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0, availableMinor: 10_000 });
      expect(await authorisationRow(original)).toEqual({ state: 'reversed', outstanding_minor: '0' });
      const feed = await primary.call('GET', `/accounts/${account.id}/transactions`, { token: account.token });
      expect(feed.body.transactions[0]).toMatchObject({ kind: 'card_payment', status: 'reversed' });

      expect((await apply(advice)).body).toEqual({ outcome: 'duplicate' });
      expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 0, availableMinor: 10_000 });
      // The network repeating the same reversal to primary gets the answer stand-in gave, and moves nothing.
      const repeat = await primary.call('POST', '/scheme/card/reversals', { body: { ...reversal, pan: card.pan } });
      expect(repeat.body).toMatchObject({ mti: '0430', responseCode: '00', decidedBy: 'standin' });
      expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 0, availableMinor: 10_000 });
      const applied = await primary.db.query('select type, correlation_id from applied_advices where advice_id = $1', [advice.adviceId]);
      expect(applied.rows).toEqual([{ type: 'card_payment.reversal_acknowledged', correlation_id: advice.correlationId }]);
    });

    test('when it is partial, then primary keeps holding the replacement amount the network still authorises', async () => {
      const { account, card, original, advise } = await primaryApproval(4_000);
      await apply(advise('card_payment.reversal_acknowledged', { cardId: card.id, reversal: networkReversal(original, 4_000, 1_500) }));
      expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_500, availableMinor: 8_500 });
      expect(await authorisationRow(original)).toEqual({ state: 'held', outstanding_minor: '1500' });
    });

    test('when primary already processed the same reversal itself, then the advice is applied with no further effect', async () => {
      const { account, card, original, advise } = await primaryApproval(4_000);
      const reversal = networkReversal(original, 4_000, 1_000);
      await primary.call('POST', '/scheme/card/reversals', { body: { ...reversal, pan: card.pan } });
      expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 1_000 });
      const outcome = await apply(advise('card_payment.reversal_acknowledged', { cardId: card.id, reversal }));
      expect(outcome.body).toMatchObject({ outcome: 'applied', forcedOverdraft: false, note: expect.stringContaining('already processed this reversal') });
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 1_000 });
      expect(await authorisationRow(original)).toEqual({ state: 'held', outstanding_minor: '1000' });
      // The account's next advice is not held back.
      expect((await apply(advise('card.frozen', { cardId: card.id, requestedBy: 'customer' }))).body.outcome).toBe('applied');
    });

    test('when primary holds no such authorisation, then the advice is applied, no money moves, and later advices still apply', async () => {
      const { account, card, advise } = await primaryApproval(2_000);
      const outcome = await apply(advise('card_payment.reversal_acknowledged', { cardId: card.id, reversal: networkReversal(messageKey(), 700) }));
      expect(outcome.body).toMatchObject({ outcome: 'applied', forcedOverdraft: false, note: expect.stringContaining('no authorisation known yet') });
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 2_000 });
      expect((await apply(advise('card.frozen', { cardId: card.id, requestedBy: 'customer' }))).body.outcome).toBe('applied');
    });

    test('when the original was a single-message cash withdrawal, then the money comes back through a balanced ledger journal', async () => {
      const { account, card, original, advise } = await primaryApproval(3_000, { mti: '0200', processingCode: '010000' });
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 7_000, heldMinor: 0 });
      await apply(advise('card_payment.reversal_acknowledged', { cardId: card.id, reversal: networkReversal(original, 3_000) }));
      expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0 });
      const journals = await primary.db.query<{ kind: string }>(
        "select j.kind from journals j join postings p on p.journal_id = j.id where p.ledger_account_id = $1 and j.kind = 'card.reversal'",
        [account.id],
      );
      expect(journals.rows).toHaveLength(1);
      expect(await ledgerSum()).toBe(0);
    });
  });

  test('transfers sent and received in stand-in move the money in primary with the same correlation id', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 5_000);
    const advise = adviceFactory(account.id);
    const party = { sortCode: '200000', accountNumber: '12345678', name: 'Someone' };
    const sent = advise('transfer.sent', { fpsId: `SI-${randomUUID()}`, amountMinor: 2_000, creditor: party, reference: 'RENT' });
    await apply(sent);
    await apply(advise('transfer.received', { fpsId: `FPS-${randomUUID()}`, amountMinor: 700, debtor: party, reference: 'GIFT' }));
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 3_700 });
    const journal = await primary.db.query('select count(*)::int as n from journals where correlation_id = $1', [sent.correlationId]);
    expect(journal.rows[0].n).toBe(1);
  });

  test("when the applied advices are read a page at a time, some accounts' only, then the pages are theirs, in order, each once", async () => {
    const accounts = (await Promise.all([1, 2].map(() => primary.openAccount()))).sort((a, b) => (a.id < b.id ? -1 : 1));
    const applied: string[] = [];
    for (const account of accounts) {
      await primary.fund(account, 5_000);
      const advise = adviceFactory(account.id);
      for (let index = 0; index < 3; index++) {
        const advice = advise('card.frozen', { cardId: (await primary.issueCard(account.id)).id, requestedBy: 'customer' });
        expect((await apply(advice)).body).toMatchObject({ outcome: 'applied' });
        applied.push(`${account.id}:${advice.sequence}:${advice.adviceId}`);
      }
    }
    const read = (query: string) => primary.call('GET', `/internal/advices/applied${query}`, { token: CREDENTIALS['advice-consumer'] });
    const seen: string[] = [];
    const pages: number[] = [];
    let after = '';
    for (let page = 0; page < 10; page++) {
      const { status, body } = await read(`?limit=2&accounts=${accounts.map((account) => account.id).join(',')}${after}`);
      expect(status).toBe(200);
      seen.push(...body.applied.map((row: { accountId: string; sequence: number; adviceId: string }) => `${row.accountId}:${row.sequence}:${row.adviceId}`));
      pages.push(body.applied.length);
      if (!body.next) break;
      after = `&after=${encodeURIComponent(body.next)}`;
    }
    expect(seen).toEqual(applied);
    expect(pages).toEqual([2, 2, 2, 0]);
    expect((await read(`?accounts=${accounts[1]!.id}`)).body.applied).toHaveLength(3);
    expect((await read('?accounts=nobody')).status).toBe(400);
    expect((await read(`?accounts=${accounts[1]!.id}`)).body.next).toBeUndefined();
    expect((await primary.call('GET', '/internal/advices/applied', { token: INCIDENT_ENGINEER.token })).status).toBe(403);
  });

  test('when an advice names an account or card primary does not know, then it is quarantined with that reason, not retried', async () => {
    const stranger = adviceFactory(randomUUID())('transfer.received', {
      fpsId: `FPS-${randomUUID()}`,
      amountMinor: 1,
      debtor: { sortCode: '200000', accountNumber: '12345678', name: 'X' },
      reference: '',
    });
    expect(await apply(stranger)).toMatchObject({
      status: 200,
      body: { outcome: 'quarantined', reason: expect.stringContaining(`account ${stranger.accountId} is unknown to primary`) },
    });
    const account = await primary.openAccount();
    const unknownCard = adviceFactory(account.id)('card.frozen', { cardId: randomUUID(), requestedBy: 'customer' });
    expect((await apply(unknownCard)).body).toEqual({ outcome: 'quarantined', reason: expect.stringContaining('is not a card of account') });
  });

  test('a customer token cannot apply advices; a malformed advice is a 400 naming the field', async () => {
    const account = await primary.openAccount();
    const advice = adviceFactory(account.id)('card.frozen', { cardId: randomUUID(), requestedBy: 'customer' });
    expect((await apply(advice, account.token)).status).toBe(403);
    const broken = await apply({ ...advice, sequence: 0 });
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toContain('sequence');
  });
});

describe("a clearing that arrives before stand-in's advice of its authorisation", () => {
  let waiting: TestPrimary;
  beforeAll(async () => {
    waiting = await startPrimary({ clearingMatchWaitMs: 10 * 60_000 });
  });
  afterAll(() => waiting.close());

  test('when primary does not know the authorisation yet, then it asks for the clearing again later, and once the advice is applied the clearing settles the hold: the money is taken once', async () => {
    const account = await waiting.openAccount();
    await waiting.fund(account, 10_000);
    const card = await waiting.issueCard(account.id);
    const key = messageKey();
    const clearing = {
      clearingId: `CLR-${key.rrn}`,
      pan: card.pan,
      original: key,
      processingCode: '000000',
      amountMinor: 2_500,
      currency: 'GBP',
      merchant,
      clearedAt: '2026-11-21T12:05:00Z',
    };

    const early = await fetch(`${waiting.address}/scheme/card/clearings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CREDENTIALS.gateway}` },
      body: JSON.stringify(clearing),
    });
    expect(early.status).toBe(503);
    // With Retry-After, the gateway does not count it against primary's health.
    expect(early.headers.get('retry-after')).toBe('60');
    const { error } = (await early.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('PRIMARY_CLEARING_AWAITING_AUTHORISATION');
    expect(error.message).toContain('present the clearing again later');
    expect(await waiting.balance(account.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0 });

    const advise = adviceFactory(account.id);
    expect(
      (
        await waiting.call('POST', '/internal/advices', {
          token: CREDENTIALS['advice-consumer'],
          body: advise('card_payment.approved', approval(card.id, 2_500, key)),
        })
      ).body.outcome,
    ).toBe('applied');
    expect((await waiting.call('POST', '/scheme/card/clearings', { body: clearing })).body).toEqual({ clearingId: clearing.clearingId, status: 'settled' });
    expect(await waiting.balance(account.id)).toMatchObject({ settledMinor: 7_500, heldMinor: 0 });
  });

  test('when no authorisation turns up within the wait, then the clearing is posted as it stands (the network approved it without us)', async () => {
    const account = await waiting.openAccount();
    await waiting.fund(account, 10_000);
    const card = await waiting.issueCard(account.id);
    const key = messageKey();
    const clearing = {
      clearingId: `CLR-${key.rrn}`,
      pan: card.pan,
      original: key,
      processingCode: '000000',
      amountMinor: 1_200,
      currency: 'GBP',
      merchant,
      clearedAt: '2026-11-21T12:05:00Z',
    };
    expect((await waiting.call('POST', '/scheme/card/clearings', { body: clearing })).status).toBe(503);
    waiting.clock.set(new Date(waiting.clock.now().getTime() + 10 * 60_000));
    expect((await waiting.call('POST', '/scheme/card/clearings', { body: clearing })).body).toEqual({ clearingId: clearing.clearingId, status: 'settled' });
    expect(await waiting.balance(account.id)).toMatchObject({ settledMinor: 8_800, heldMinor: 0 });
    // Stand-in's approval advised even later (its advices were stuck longer than the wait): the
    // money is already taken by the clearing, and is not held a second time.
    const late = adviceFactory(account.id)('card_payment.approved', approval(card.id, 1_200, key));
    expect((await waiting.call('POST', '/internal/advices', { token: CREDENTIALS['advice-consumer'], body: late })).body.outcome).toBe('applied');
    expect(await waiting.balance(account.id)).toMatchObject({ settledMinor: 8_800, heldMinor: 0 });
  });
});

describe('an advice primary cannot apply', () => {
  test("when one advice in the middle of an account's backlog is refused, then it is quarantined with its reason, the later ones apply, and once its cause is fixed a re-drive applies it", async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 10_000);
    const card = await primary.issueCard(account.id);
    const other = await primary.openAccount();
    const othersCard = await primary.issueCard(other.id);
    const advise = adviceFactory(account.id);
    const first = advise('card_payment.approved', approval(card.id, 1_000));
    // Stand-in approved it on a card primary's records put on another account.
    const poison = advise('card_payment.approved', approval(othersCard.id, 2_000));
    const third = advise('card_payment.approved', approval(card.id, 3_000));

    expect((await apply(first)).body.outcome).toBe('applied');
    const refused = await apply(poison);
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ outcome: 'quarantined', reason: expect.stringContaining(`card ${othersCard.id} is not a card of account ${account.id}`) });
    // Before quarantine the account's turn stayed at 2 for ever: this one answered out_of_order.
    expect((await apply(third)).body.outcome).toBe('applied');
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 4_000 });
    // Delivered again, it is still quarantined: neither a duplicate (acknowledged and forgotten) nor applied.
    expect((await apply(poison)).body).toEqual({ outcome: 'quarantined', reason: expect.any(String) });

    const listed = await primary.call('GET', '/advices/quarantined', { token: CREDENTIALS['advice-consumer'] });
    expect(listed.body.advices).toContainEqual({
      adviceId: poison.adviceId,
      accountId: account.id,
      sequence: 2,
      type: 'card_payment.approved',
      reason: expect.stringContaining('is not a card of account'),
      quarantinedAt: expect.any(String),
    });
    expect(listed.body.count).toBeGreaterThanOrEqual(1);
    const metrics = await (await fetch(`${primary.address}/metrics`)).text();
    expect(metrics).toMatch(/primary_advices_quarantined [1-9]/);
    expect((await primary.call('GET', '/advices/quarantined')).status).toBe(401);

    // Re-driven before the fix: still quarantined, nothing moved.
    expect((await primary.call('POST', `/advices/quarantined/${poison.adviceId}/redrive`, { token: CREDENTIALS['advice-consumer'] })).body.outcome).toBe(
      'quarantined',
    );
    // The operator corrects primary's card record, then re-drives it: applied, once.
    await primary.db.query('update cards set account_id = $1 where id = $2', [account.id, othersCard.id]);
    expect((await primary.call('POST', `/advices/quarantined/${poison.adviceId}/redrive`, { token: CREDENTIALS['advice-consumer'] })).body.outcome).toBe(
      'applied',
    );
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 6_000 });
    expect((await primary.call('POST', `/advices/quarantined/${poison.adviceId}/redrive`, { token: CREDENTIALS['advice-consumer'] })).status).toBe(404);
    expect((await apply(poison)).body).toEqual({ outcome: 'duplicate' });
    const after = await primary.call('GET', '/advices/quarantined', { token: CREDENTIALS['advice-consumer'] });
    expect(after.body.advices.map((held: { adviceId: string }) => held.adviceId)).not.toContain(poison.adviceId);
  });

  test("when an advice with a new id takes a place in the account's sequence already applied (stand-in's log restored from a backup), then it is a conflict (409), not a duplicate", async () => {
    const account = await primary.openAccount();
    const card = await primary.issueCard(account.id);
    const advise = adviceFactory(account.id);
    const applied = advise('card.frozen', { cardId: card.id, requestedBy: 'customer' });
    expect((await apply(applied)).body.outcome).toBe('applied');
    const reused = { ...advise('card.unfrozen', { cardId: card.id, requestedBy: 'customer' }), sequence: 1 };
    expect(await apply(reused)).toMatchObject({ status: 409, body: { outcome: 'conflict', sequence: 1, heldBy: applied.adviceId } });
    // The same advice again is still a duplicate.
    expect((await apply(applied)).body).toEqual({ outcome: 'duplicate' });
  });
});
