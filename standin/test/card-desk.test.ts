import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { infraEndpoints } from '@bank/infra';
import type { CardAuthorisationRequest } from '@bank/shared-contracts';
import { createCardDesk } from '../src/payments/card-desk';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { standinBalance } from '../src/views/balance-view';
import { SyncedAccount, testKeys } from './synced-state';
import { fixedRules } from '../src/payments/standin-rules';

const database = openDatabase(infraEndpoints().postgres.standin);
let today = new Date('2026-11-21T12:00:00Z');
const desk = createCardDesk({
  database,
  keys: testKeys,
  rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }),
  now: () => today,
});

beforeAll(() => upgradeSchema(database));
afterAll(() => database.end());

let stan = Math.floor(Math.random() * 900_000);
function payment(account: SyncedAccount, amountMinor: number, overrides: Partial<CardAuthorisationRequest> = {}): CardAuthorisationRequest {
  stan = (stan + 1) % 1_000_000;
  return {
    mti: '0100',
    pan: account.pan,
    expiry: '3011',
    processingCode: '000000',
    amountMinor,
    currency: 'GBP',
    transmittedAt: today.toISOString(),
    stan: String(stan).padStart(6, '0'),
    rrn: randomBytes(6).toString('hex').toUpperCase(),
    terminalId: 'SHOP0001',
    acquirerId: '12345678',
    merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' },
    posEntryMode: 'chip',
    ...overrides,
  };
}

const spendable = async (account: SyncedAccount) => (await standinBalance(database, account.accountId))!.spendableMinor;
const advicesOf = async (account: SyncedAccount) =>
  (
    await database.query<{ type: string; sequence: number; correlation_id: string }>(
      'select type, sequence, correlation_id from advices where account_id = $1 order by sequence',
      [account.accountId],
    )
  ).rows;

describe('stand-in card authorisation', () => {
  test('when the synced balance covers it, then stand-in approves, remembers its own debit, and writes an advice in the same commit', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000, overdraftLimitMinor: 500 });
    const answer = await desk.authorise(payment(account, 3_000));
    expect(answer).toMatchObject({ responseCode: '00', decidedBy: 'standin', approvedAmountMinor: 3_000 });
    expect(await spendable(account)).toBe(7_500);
    expect(await advicesOf(account)).toEqual([{ type: 'card_payment.approved', sequence: 1, correlation_id: expect.any(String) }]);
  });

  test('when stand-in has spent what the synced balance allows, then it declines 51, holds nothing, and advises the decline', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    expect((await desk.authorise(payment(account, 4_000))).responseCode).toBe('00');
    expect((await desk.authorise(payment(account, 1_001))).responseCode).toBe('51');
    expect(await spendable(account)).toBe(1_000);
    expect((await advicesOf(account)).map((advice) => advice.type)).toEqual(['card_payment.approved', 'card_payment.declined']);
  });

  test('frozen (in primary or in stand-in), cancelled, unknown and expired cards are declined 62, 05, 14, 54', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    await account.cardStatus('frozen', new Date('2026-11-21T11:00:00Z'));
    expect((await desk.authorise(payment(account, 100))).responseCode).toBe('62');
    await account.cardStatus('active', new Date('2026-11-21T11:30:00Z'));
    expect((await desk.authorise(payment(account, 100))).responseCode).toBe('00');
    // A freeze made in stand-in after primary's last word wins.
    await database.query("insert into card_freezes (card_id, frozen, requested_by, created_at) values ($1, true, 'customer', '2026-11-21T11:45:00Z')", [
      account.cardId,
    ]);
    expect((await desk.authorise(payment(account, 100))).responseCode).toBe('62');
    await account.cardStatus('cancelled', new Date('2026-11-21T11:50:00Z'));
    expect((await desk.authorise(payment(account, 100))).responseCode).toBe('05');
    expect((await desk.authorise({ ...payment(account, 100), pan: '4598760000000000' })).responseCode).toBe('14');
    const old = await new SyncedAccount(database).open({ settledMinor: 10_000, expiry: '2610' });
    expect((await desk.authorise({ ...payment(old, 100), expiry: '2610' })).responseCode).toBe('54');
  });

  test("when a payment exceeds stand-in's own risk limits, then it is declined 61 even with money in the account", async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000_000 });
    expect((await desk.authorise(payment(account, 100_001))).responseCode).toBe('61');
    for (let index = 0; index < 10; index++) expect((await desk.authorise(payment(account, 100_000))).responseCode).toBe('00');
    expect((await desk.authorise(payment(account, 1))).responseCode).toBe('61');
    today = new Date('2026-11-22T08:00:00Z');
    try {
      expect((await desk.authorise(payment(account, 1))).responseCode).toBe('00');
    } finally {
      today = new Date('2026-11-21T12:00:00Z');
    }
  });

  test('when the same message comes twice, or many copies race, then one answer, one debit, one advice', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const message = payment(account, 2_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => desk.authorise(message)));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(await spendable(account)).toBe(8_000);
    expect(await advicesOf(account)).toHaveLength(1);
  });

  test('when a stand-in approval is partially then fully reversed, then the money comes back in two advised steps', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const original = payment(account, 4_000);
    await desk.authorise(original);
    const key = { stan: original.stan, rrn: original.rrn, terminalId: original.terminalId };
    const reversal = (replacementAmountMinor?: number) => ({
      ...payment(account, 4_000),
      mti: '0400' as const,
      original: key,
      ...(replacementAmountMinor === undefined ? {} : { replacementAmountMinor }),
    });
    await desk.reverse(reversal(1_000));
    expect(await spendable(account)).toBe(9_000);
    await desk.reverse(reversal());
    expect(await spendable(account)).toBe(10_000);
    expect((await advicesOf(account)).map((advice) => advice.type)).toEqual(['card_payment.approved', 'card_payment.reversed', 'card_payment.reversed']);
  });
});

describe('stand-in answering reversals of authorisations it did not approve', () => {
  const reversalOf = (
    account: SyncedAccount,
    original: { stan: string; rrn: string; terminalId: string },
    amountMinor: number,
    replacementAmountMinor?: number,
  ) => ({
    ...payment(account, amountMinor),
    mti: '0420' as const,
    original,
    ...(replacementAmountMinor === undefined ? {} : { replacementAmountMinor }),
  });
  const advicesAbout = async (reversal: { rrn: string }) =>
    (
      await database.query<{ type: string; advice: { payload: Record<string, unknown> } }>(
        "select type, advice from advices where advice->'payload'->'reversal'->>'rrn' = $1",
        [reversal.rrn],
      )
    ).rows;

  test('when primary approved the original (stand-in never saw it) on a card stand-in knows, then 00 and one advice for primary, however often the network repeats it', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    // Primary's approval of 4 000, as synced: a hold and a pending transaction under primary's own correlation id.
    await account.balance(10_000, 4_000);
    await account.transaction(-4_000);
    const primaryOriginal = { stan: '900001', rrn: randomBytes(6).toString('hex').toUpperCase(), terminalId: 'SHOP0001' };
    const reversal = reversalOf(account, primaryOriginal, 4_000, 1_500);
    const answer = await desk.reverse(reversal);
    expect(answer).toMatchObject({ mti: '0430', responseCode: '00', decidedBy: 'standin', reason: expect.stringContaining('primary') });

    const advices = await advicesOf(account);
    expect(advices.map((advice) => advice.type)).toEqual(['card_payment.reversal_acknowledged']);
    const [advised] = await advicesAbout(reversal);
    expect(advised!.advice.payload).toEqual({
      cardId: account.cardId,
      reversal: {
        stan: reversal.stan,
        rrn: reversal.rrn,
        terminalId: reversal.terminalId,
        mti: '0420',
        original: primaryOriginal,
        amountMinor: 4_000,
        replacementAmountMinor: 1_500,
        currency: 'GBP',
        transmittedAt: reversal.transmittedAt,
      },
    });
    expect(JSON.stringify(advised)).not.toContain(account.pan);
    // Stand-in cannot tell how much of it primary still holds: its view keeps primary's hold until primary's release syncs back.
    expect(await spendable(account)).toBe(6_000);

    const repeats = await Promise.all(Array.from({ length: 4 }, () => desk.reverse(reversal)));
    for (const repeat of repeats) expect(repeat).toEqual(answer);
    expect(await advicesOf(account)).toHaveLength(1);
    expect(await spendable(account)).toBe(6_000);
  });

  test('when many copies of such a reversal race, then one answer and one advice', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const reversal = reversalOf(account, { stan: '900002', rrn: randomBytes(6).toString('hex').toUpperCase(), terminalId: 'SHOP0001' }, 2_000);
    const answers = await Promise.all(Array.from({ length: 6 }, () => desk.reverse(reversal)));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect((await advicesOf(account)).map((advice) => advice.type)).toEqual(['card_payment.reversal_acknowledged']);
    expect((await advicesAbout(reversal))[0]!.advice.payload).not.toHaveProperty('reversal.replacementAmountMinor');
  });

  test('when the card is unknown, or stand-in declined the original, then 00 as before and no advice of the reversal', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const declined = payment(account, 5_000);
    expect((await desk.authorise(declined)).responseCode).toBe('51');
    const ofDeclined = reversalOf(account, { stan: declined.stan, rrn: declined.rrn, terminalId: declined.terminalId }, 5_000);
    expect(await desk.reverse(ofDeclined)).toMatchObject({ responseCode: '00', reason: 'no stand-in approval to reverse' });
    const unknownCard = {
      ...reversalOf(account, { stan: '900003', rrn: randomBytes(6).toString('hex').toUpperCase(), terminalId: 'SHOP0001' }, 700),
      pan: '4598760000000000',
    };
    expect(await desk.reverse(unknownCard)).toMatchObject({ responseCode: '00', reason: 'no stand-in approval to reverse' });
    // The decline itself was advised; its reversal is not.
    expect((await advicesOf(account)).map((advice) => advice.type)).toEqual(['card_payment.declined']);
    expect(await advicesAbout(ofDeclined)).toEqual([]);
    expect(await advicesAbout(unknownCard)).toEqual([]);
  });
});

describe('the merged balance: own effects counted until primary reflects them, then never twice', () => {
  test('when primary applies the advice (balance and transaction carry the correlation id), then the payment is counted once', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    await desk.authorise(payment(account, 3_000));
    const [advice] = await advicesOf(account);
    expect(await spendable(account)).toBe(7_000);
    // Primary applies it: a hold in its ledger, announced with stand-in's correlation id.
    await account.balance(10_000, 3_000, 0, advice!.correlation_id);
    expect(await spendable(account)).toBe(7_000);
    await account.transaction(-3_000, advice!.correlation_id);
    expect(await spendable(account)).toBe(7_000);
  });

  test('when the synced transaction arrives but the balance it belongs to is older, then the own debit still counts', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    await desk.authorise(payment(account, 2_500));
    const [advice] = await advicesOf(account);
    await account.transaction(-2_500, advice!.correlation_id);
    expect(await spendable(account)).toBe(7_500);
  });

  test('property: whatever subset of stand-in approvals primary has applied, in any order, stand-in spends exactly what is there', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ approve: fc.integer({ min: 1, max: 3_000 }) }), fc.record({ apply: fc.nat() })), { minLength: 1, maxLength: 20 }),
        async (steps) => {
          const account = await new SyncedAccount(database).open({ settledMinor: 20_000 });
          // Primary's view: the ledger it would have after applying advices, one by one.
          let primarySettled = 20_000;
          let primaryHeld = 0;
          let approvedTotal = 0;
          const unapplied: { correlationId: string; amount: number }[] = [];
          for (const step of steps) {
            if ('approve' in step) {
              const answer = await desk.authorise(payment(account, step.approve));
              if (answer.responseCode !== '00') continue;
              approvedTotal += step.approve;
              const advices = await advicesOf(account);
              unapplied.push({ correlationId: advices.at(-1)!.correlation_id, amount: step.approve });
            } else if (unapplied.length > 0) {
              const [applied] = unapplied.splice(step.apply % unapplied.length, 1);
              primaryHeld += applied!.amount;
              await account.balance(primarySettled - 0, primaryHeld, 0, applied!.correlationId);
              await account.transaction(-applied!.amount, applied!.correlationId);
            }
            expect(await spendable(account)).toBe(20_000 - approvedTotal);
          }
          primarySettled += 0;
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
