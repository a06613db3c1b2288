import { randomUUID } from 'node:crypto';
import type { Advice } from '@bank/shared-contracts';
import { createAdviceBatch } from '../src/advices/advice-batch';
import { isRefusal } from '../src/advices/advice-applier';
import { createLedger } from '../src/ledger/ledger';
import { errors } from '../src/platform/errors';
import { CREDENTIALS, messageKey, startPrimary, type TestPrimary } from './harness';

// POST /internal/advices/batch: the advice consumer's path, many advices in one transaction.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const merchant = { name: 'BATCH SHOP', categoryCode: '5411', city: 'Bath', country: 'GB' };

function adviceFactory(accountId: string) {
  let sequence = 0;
  return (type: string, payload: object, options: { sequence?: number } = {}): Advice =>
    ({
      adviceId: randomUUID(),
      type,
      accountId,
      sequence: options.sequence ?? ++sequence,
      correlationId: randomUUID(),
      createdAt: '2026-11-21T12:00:00Z',
      schemaVersion: 1,
      payload,
    }) as Advice;
}

const approval = (cardId: string, amountMinor: number) => ({
  cardId,
  authorisation: {
    ...messageKey(),
    mti: '0100',
    processingCode: '000000',
    amountMinor,
    currency: 'GBP',
    merchant,
    authorisationCode: 'SI1234',
    transmittedAt: '2026-11-21T12:00:00Z',
  },
});

const applyBatch = (advices: object[]) => primary.call('POST', '/internal/advices/batch', { token: CREDENTIALS['advice-consumer'], body: { advices } });
const results = (body: { outcomes: { adviceId: string; result: { outcome: string } }[] }) => body.outcomes.map((outcome) => outcome.result.outcome);

async function customer(fundingMinor = 10_000) {
  const account = await primary.openAccount();
  await primary.fund(account, fundingMinor);
  const card = await primary.issueCard(account.id);
  return { account, card, advise: adviceFactory(account.id) };
}

describe('a batch of advices', () => {
  test('when a batch mixes every outcome, then each advice gets its own, in the order sent, and only the applicable ones move money', async () => {
    const a = await customer();
    const b = await customer();
    const stranger = { accountId: randomUUID() };
    const alreadyApplied = a.advise('card_payment.approved', approval(a.card.id, 100));
    expect((await applyBatch([alreadyApplied])).body.outcomes[0].result).toEqual({ outcome: 'applied', forcedOverdraft: false });

    const second = a.advise('card_payment.approved', approval(a.card.id, 200));
    const reused = a.advise('card.frozen', { cardId: a.card.id, requestedBy: 'customer' }, { sequence: 1 });
    const bFirst = b.advise('card_payment.approved', approval(b.card.id, 300));
    b.advise('card_payment.approved', approval(b.card.id, 1)); // sequence 2, never delivered
    const bGap = b.advise('card_payment.approved', approval(b.card.id, 400));
    const bAfterGap = b.advise('card_payment.approved', approval(b.card.id, 500));
    const unknownAccount = adviceFactory(stranger.accountId)('card_payment.approved', approval(a.card.id, 600));
    const overdrawn = a.advise('card_payment.approved', approval(a.card.id, 50_000));

    const answer = await applyBatch([alreadyApplied, second, reused, bFirst, bGap, bAfterGap, unknownAccount, overdrawn, second]);
    expect(answer.status).toBe(200);
    expect(answer.body.outcomes.map((outcome: { adviceId: string }) => outcome.adviceId)).toEqual(
      [alreadyApplied, second, reused, bFirst, bGap, bAfterGap, unknownAccount, overdrawn, second].map((advice) => advice.adviceId),
    );
    expect(answer.body.outcomes.map((outcome: { result: unknown }) => outcome.result)).toEqual([
      { outcome: 'duplicate' },
      { outcome: 'applied', forcedOverdraft: false },
      { outcome: 'conflict', sequence: 1, heldBy: alreadyApplied.adviceId },
      { outcome: 'applied', forcedOverdraft: false },
      { outcome: 'out_of_order', expectedSequence: 2 },
      // After an out-of-order advice of the same account, the account's later ones wait too.
      { outcome: 'out_of_order', expectedSequence: 2 },
      { outcome: 'quarantined', reason: expect.stringContaining(`account ${stranger.accountId} is unknown to primary`) },
      { outcome: 'applied', forcedOverdraft: true },
      { outcome: 'duplicate' },
    ]);
    expect(await primary.balance(a.account.id)).toMatchObject({ heldMinor: 50_300, unapprovedOverdraft: true });
    expect(await primary.balance(b.account.id)).toMatchObject({ heldMinor: 300 });
    // The forced one is announced to everyone else, as on the single route.
    const updated = await primary.db.query("select 1 from outbox_events where event->>'type' = 'account.updated' and event->>'correlationId' = $1", [
      overdrawn.correlationId,
    ]);
    expect(updated.rowCount).toBe(1);
    // The single route agrees with what the batch recorded.
    expect((await primary.call('POST', '/internal/advices', { token: CREDENTIALS['advice-consumer'], body: second })).body).toEqual({ outcome: 'duplicate' });
    expect((await primary.call('POST', '/internal/advices', { token: CREDENTIALS['advice-consumer'], body: bGap })).body).toEqual({
      outcome: 'out_of_order',
      expectedSequence: 2,
    });
  });

  test("when one advice in the middle of an account's backlog is refused, then it alone is quarantined and the account's later ones apply in the same batch", async () => {
    const { account, card, advise } = await customer();
    const other = await customer();
    const first = advise('card_payment.approved', approval(card.id, 1_000));
    const poison = advise('card_payment.approved', approval(other.card.id, 2_000));
    const third = advise('card_payment.approved', approval(card.id, 3_000));
    const answer = await applyBatch([first, poison, third]);
    expect(results(answer.body)).toEqual(['applied', 'quarantined', 'applied']);
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 4_000 });
    expect(await primary.balance(other.account.id)).toMatchObject({ heldMinor: 0 });
    const listed = await primary.call('GET', '/advices/quarantined', { token: CREDENTIALS['advice-consumer'] });
    expect(listed.body.advices.map((held: { adviceId: string }) => held.adviceId)).toContain(poison.adviceId);
    // Delivered again in a later batch: still quarantined, never applied or taken for a duplicate.
    expect(results((await applyBatch([poison, third])).body)).toEqual(['quarantined', 'duplicate']);
  });

  test('when an effect is refused mid-batch, then only its own writes roll back (savepoint) and the rest of the batch is applied', async () => {
    const { account, card, advise } = await customer();
    const other = await customer();
    // Acknowledged reversals: the one type whose effect runs in TypeScript (the rest go to the database in one call, advices-function.ts).
    const acknowledged = (cardId: string, amountMinor: number) => ({
      cardId,
      reversal: { ...messageKey(), mti: '0400', original: messageKey(), amountMinor, currency: 'GBP', transmittedAt: '2026-11-21T12:00:00Z' },
    });
    const advices = [
      advise('card_payment.reversal_acknowledged', acknowledged(card.id, 1)),
      advise('card_payment.reversal_acknowledged', acknowledged(card.id, 2)),
      other.advise('card_payment.reversal_acknowledged', acknowledged(other.card.id, 3)),
    ];
    const cardOf = new Map([
      [account.id, card.id],
      [other.account.id, other.card.id],
    ]);
    const poison = advices[1]!;
    let effects = 0;
    // An effect that writes, then is refused, for the second advice only: the batch's real machinery with a stand-in effect.
    const batch = createAdviceBatch({
      db: primary.db,
      clock: primary.clock,
      ledger: createLedger({ clock: primary.clock }),
      effect: async (tx, advice) => {
        effects++;
        const status = advice.adviceId === poison.adviceId ? 'active' : 'frozen';
        await tx.query('update cards set status = $2 where id = $1', [cardOf.get(advice.accountId), status]);
        if (advice.adviceId === poison.adviceId) throw errors.adviceNotApplicable('refused by the test');
        return { forced: false };
      },
      announceForcedOverdraft: async () => undefined,
      isRefusal,
    });
    const outcomes = await batch.apply(advices);
    expect(outcomes.map((outcome) => outcome.result)).toEqual([
      { outcome: 'applied', forcedOverdraft: false },
      { outcome: 'quarantined', reason: expect.stringContaining('refused by the test') },
      { outcome: 'applied', forcedOverdraft: false },
    ]);
    // The fast pass without savepoints rolled back whole at the refusal; the second pass kept everything but the refused effect's write.
    expect(effects).toBe(2 + 3);
    const statuses = await primary.db.query<{ id: string; status: string }>('select id, status from cards where id = any($1::uuid[])', [
      [card.id, other.card.id],
    ]);
    expect(Object.fromEntries(statuses.rows.map((row) => [row.id, row.status]))).toEqual({ [card.id]: 'frozen', [other.card.id]: 'frozen' });
    const progress = await primary.db.query<{ last_sequence: number }>('select last_sequence from advice_progress where account_id = $1', [account.id]);
    expect(progress.rows[0]!.last_sequence).toBe(2);
  });

  test('when two batches share accounts and run at once, then neither deadlocks, and every advice is applied exactly once', async () => {
    const customers = await Promise.all([customer(), customer(), customer(), customer()]);
    const perAccount = customers.map(({ card, advise }) => Array.from({ length: 5 }, () => advise('card_payment.approved', approval(card.id, 10))));
    // The same advices, the accounts in opposite orders: without a lock order the two would deadlock.
    const forwards = perAccount.flat();
    const backwards = [...perAccount].reverse().flat();
    const [one, two] = await Promise.all([applyBatch(forwards), applyBatch(backwards)]);
    expect([one.status, two.status]).toEqual([200, 200]);
    const applied = [...results(one.body), ...results(two.body)].filter((outcome) => outcome === 'applied');
    expect(applied).toHaveLength(forwards.length);
    expect([...results(one.body), ...results(two.body)].filter((outcome) => outcome !== 'applied').every((outcome) => outcome === 'duplicate')).toBe(true);
    for (const { account } of customers) expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 50 });
  });

  test("when a full batch is larger than primary's usual body limit, then it is taken all the same", async () => {
    const { account, card, advise } = await customer(1_000_000);
    const advices = Array.from({ length: 250 }, () => advise('card_payment.approved', approval(card.id, 1)));
    expect(JSON.stringify({ advices }).length).toBeGreaterThan(64 * 1024);
    const answer = await applyBatch(advices);
    expect(answer.status).toBe(200);
    expect(new Set(results(answer.body))).toEqual(new Set(['applied']));
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 250 });
  }, 60_000);

  test('when the re-drive loop asks about a full page of advice ids, then primary answers (the page is above its usual body limit)', async () => {
    const adviceIds = Array.from({ length: 10_000 }, () => randomUUID());
    const answer = await primary.call('POST', '/internal/advices/known', { token: CREDENTIALS['advice-consumer'], body: { adviceIds } });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { applied: [], quarantined: [] } });
  });

  test('when the batch is malformed or has no internal token, then it is refused whole', async () => {
    expect((await applyBatch([])).status).toBe(400);
    expect((await primary.call('POST', '/internal/advices/batch', { body: { advices: [] } })).status).toBe(401);
  });
});
