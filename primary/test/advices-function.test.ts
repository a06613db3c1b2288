import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Advice } from '@bank/shared-contracts';
import { messageKey, startPrimary, type TestPrimary } from './harness';

// Issue 16: a batch's advices (approvals, cash, stand-in's reversals, Faster Payments, freezes) are
// applied by a PL/pgSQL function (advices-function.ts); the single-advice route still applies each
// one in TypeScript (recordStandinApproval, recordStandinReversal, moveMoney, claimForStandin,
// cards.change), which is the specification. On random advice sequences (approvals held and posted, cash, refunds, repeats
// of a message primary already recorded, reversals parked before their approval, reversals,
// freezes, Faster Payments in and out, past the overdraft limit), twin accounts, one fed advice by
// advice through the single path and one in random batches through the batch path, must end with
// the same ledger: balances, holds, journals and postings, feed entries, stored authorisations,
// applied-advice records and the events announced. Real primary, real PostgreSQL.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const merchant = { name: 'TWIN SHOP', categoryCode: '5411', city: 'York', country: 'GB' };
const party = { sortCode: '200000', accountNumber: '12345678', name: 'A Friend' };

type Step =
  | { kind: 'approval'; mti: '0100' | '0200'; code: '000000' | '010000' | '200000'; amountMinor: number; repeatOf?: number }
  | { kind: 'parked-approval'; amountMinor: number; keepMinor: number }
  | { kind: 'reversal'; of: number; reversedMinor: number }
  | { kind: 'freeze' | 'unfreeze' }
  | { kind: 'sent' | 'received'; amountMinor: number };

const amount = fc.integer({ min: 1, max: 4_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('approval' as const),
      mti: fc.constantFrom('0100' as const, '0200' as const),
      code: fc.constantFrom('000000' as const, '010000' as const, '200000' as const),
      amountMinor: amount,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('approval' as const),
      mti: fc.constant('0100' as const),
      code: fc.constant('000000' as const),
      amountMinor: amount,
      repeatOf: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('parked-approval' as const), amountMinor: fc.integer({ min: 2, max: 4_000 }), keepMinor: fc.nat({ max: 1 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reversal' as const), of: fc.nat(), reversedMinor: amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('freeze' as const, 'unfreeze' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('sent' as const, 'received' as const), amountMinor: amount }) },
);

interface Twin {
  account: Awaited<ReturnType<TestPrimary['openAccount']>>;
  card: Awaited<ReturnType<TestPrimary['issueCard']>>;
}

async function twin(fundingMinor: number, overdraftLimitMinor: number): Promise<Twin> {
  const account = await primary.openAccount(overdraftLimitMinor);
  await primary.fund(account, fundingMinor);
  return { account, card: await primary.issueCard(account.id) };
}

/** The advices (and the network's reversals to park first) that `steps` make for one twin: its own message keys and ids, the same amounts. */
async function advicesOf(steps: readonly Step[], { account, card }: Twin): Promise<{ advices: Advice[]; park: () => Promise<void> }> {
  const advices: Advice[] = [];
  const approvals: { key: ReturnType<typeof messageKey>; amountMinor: number; correlationId: string; remainingMinor: number }[] = [];
  const parkings: object[] = [];
  const advise = (type: string, payload: object) =>
    advices.push({
      adviceId: randomUUID(),
      type,
      accountId: account.id,
      sequence: advices.length + 1,
      correlationId: randomUUID(),
      createdAt: '2026-11-21T12:00:00Z',
      schemaVersion: 1,
      payload,
    } as Advice);
  const approve = (key: ReturnType<typeof messageKey>, mti: '0100' | '0200', code: string, amountMinor: number) => {
    advise(code.startsWith('01') && mti === '0200' ? 'cash.withdrawn' : 'card_payment.approved', {
      cardId: card.id,
      authorisation: {
        ...key,
        mti,
        processingCode: code,
        amountMinor,
        currency: 'GBP',
        merchant,
        authorisationCode: 'SI0001',
        transmittedAt: '2026-11-21T11:59:00Z',
      },
    });
    approvals.push({ key, amountMinor, correlationId: advices.at(-1)!.correlationId, remainingMinor: amountMinor });
  };
  for (const next of steps) {
    switch (next.kind) {
      case 'approval': {
        const repeated = next.repeatOf === undefined || approvals.length === 0 ? undefined : approvals[next.repeatOf % approvals.length]!;
        approve(repeated?.key ?? messageKey(), next.mti, next.code, next.amountMinor);
        break;
      }
      case 'parked-approval': {
        // The network reversed it (to primary) before primary heard of stand-in's approval: parked, applied when the approval is recorded.
        const key = messageKey();
        parkings.push({
          mti: '0400',
          pan: card.pan,
          original: key,
          amountMinor: next.amountMinor,
          ...(next.keepMinor ? { replacementAmountMinor: next.keepMinor } : {}),
          currency: 'GBP',
          transmittedAt: '2026-11-21T12:01:00Z',
          ...messageKey(),
        });
        approve(key, '0100', '000000', next.amountMinor);
        break;
      }
      case 'reversal': {
        const original = approvals[next.of % Math.max(1, approvals.length)];
        if (!original || original.remainingMinor === 0) break;
        const reversedMinor = Math.min(next.reversedMinor, original.remainingMinor);
        original.remainingMinor -= reversedMinor;
        advise('card_payment.reversed', {
          cardId: card.id,
          original: original.key,
          originalCorrelationId: original.correlationId,
          reversedAmountMinor: reversedMinor,
          remainingAmountMinor: original.remainingMinor,
        });
        break;
      }
      case 'freeze':
      case 'unfreeze':
        advise(next.kind === 'freeze' ? 'card.frozen' : 'card.unfrozen', { cardId: card.id, requestedBy: 'customer' });
        break;
      case 'sent':
      case 'received':
        advise(next.kind === 'sent' ? 'transfer.sent' : 'transfer.received', {
          fpsId: `FPS-${randomUUID()}`,
          amountMinor: next.amountMinor,
          ...(next.kind === 'sent' ? { creditor: party } : { debtor: party }),
          reference: 'TWIN',
        });
        break;
    }
  }
  return {
    advices,
    park: async () => {
      for (const reversal of parkings)
        expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({ responseCode: '00' });
    },
  };
}

/** Everything the advices left for one account, with what differs between twins by construction (ids, message keys, times of the run) left out. */
async function ledgerOf({ account, card }: Twin) {
  const query = async (text: string) => (await primary.db.query(text, text.includes('$2') ? [account.id, card.id] : [account.id])).rows;
  return {
    balance: await query('select settled_minor, held_minor, overdraft_limit_minor, unapproved_overdraft from ledger_accounts where id = $1::text'),
    holds: await query('select amount_minor, status from holds where ledger_account_id = $1::text order by created_at, amount_minor, status'),
    postings: await query(`select j.kind, j.description, j.forced, p.amount_minor, p.ledger_account_id = $1::text as own
                             from postings p join journals j on j.id = p.journal_id
                            where j.id in (select journal_id from postings where ledger_account_id = $1::text)
                            order by j.kind, j.description, p.amount_minor, own`),
    feed: await query(`select kind, status, amount_minor, currency, description, merchant, counterparty, card_id = $2 as on_card, fps_id is not null as has_fps
                         from transactions where account_id = $1 order by kind, status, amount_minor`),
    authorisations: await query(`select mti, processing_code, amount_minor, outstanding_minor, approved, state, hold_id is not null as held,
                                        response::jsonb - 'stan' - 'rrn' - 'terminalId' as response, created_at
                                   from card_authorisations where card_id = $2 and account_id = $1 order by amount_minor, outstanding_minor, state, mti`),
    applied: await query('select sequence, type, forced_overdraft, note from applied_advices where account_id = $1 order by sequence'),
    card: await query('select status from cards where id = $2 and account_id = $1'),
    events: await query(`select event->>'type' as type, count(*)::int as count from outbox_events where account_id = $1 group by 1 order by 1`),
    lastBalance: await query(
      `select event->'payload' as payload from outbox_events where account_id = $1 and event->>'type' = 'balance.changed' order by sequence desc limit 1`,
    ),
  };
}

/** `items` cut into consecutive batches at the given points. */
function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const at = [...new Set(cuts.map((cut) => cut % (items.length + 1)))].sort((a, b) => a - b);
  return [...at, items.length].map((end, index) => items.slice(index === 0 ? 0 : at[index - 1], end)).filter((batch) => batch.length > 0);
}

test('the batch path (advices in SQL) and the single-advice path (TypeScript) leave the same ledger on random advice sequences', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { minLength: 1, maxLength: 14 }),
      fc.array(fc.nat(), { maxLength: 4 }),
      fc.integer({ min: 0, max: 6_000 }),
      fc.constantFrom(0, 2_000),
      async (steps, cuts, fundingMinor, overdraftLimitMinor) => {
        const single = await twin(Math.max(1, fundingMinor), overdraftLimitMinor);
        const batched = await twin(Math.max(1, fundingMinor), overdraftLimitMinor);
        const one = await advicesOf(steps, single);
        const other = await advicesOf(steps, batched);
        await one.park();
        await other.park();
        const singleOutcomes = [];
        for (const advice of one.advices) singleOutcomes.push(await primary.services.advices.apply(advice));
        const batchOutcomes = [];
        for (const batch of batches(other.advices, cuts))
          batchOutcomes.push(...(await primary.services.advices.applyBatch(batch)).map((outcome) => outcome.result));
        expect(batchOutcomes).toEqual(singleOutcomes);
        expect(await ledgerOf(batched)).toEqual(await ledgerOf(single));
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);
