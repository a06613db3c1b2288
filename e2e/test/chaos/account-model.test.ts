import { explain, modelAccounts } from '../../src/chaos/invariants/account-model';
import type { Exchange } from '../../src/simulator/ground-truth';

// Invariant 8's model, on hand-written histories: what the outside world heard, and the ledger
// balances that do or do not follow from it.

const ACCOUNT = '11111111-1111-4111-8111-111111111111';
const customers = [{ accountId: ACCOUNT, fundedMinor: 10_000 }];
let seq = 0;
const key = (n: number) => ({ stan: String(n).padStart(6, '0'), rrn: `RRN${String(n).padStart(9, '0')}`, terminalId: 'CHAOS001' });
const exchange = (facts: Partial<Exchange> & Pick<Exchange, 'kind' | 'verdict' | 'amountMinor'>): Exchange => ({
  seq: ++seq,
  phase: 'fault',
  via: 'gateway',
  accountId: ACCOUNT,
  sentAt: '',
  sentAtMs: 0,
  elapsedMs: 50,
  deadlineMs: 2_000,
  timing: 'on-time',
  attempt: 1,
  ...facts,
});

test('approvals hold, reversals release, clearings settle, cash and transfers post, credits heard accepted are credited once', () => {
  const exchanges = [
    exchange({ kind: 'purchase', key: key(1), verdict: 'approved', responseCode: '00', decidedBy: 'primary', amountMinor: 1_000 }),
    exchange({ kind: 'purchase', key: key(2), verdict: 'approved', responseCode: '00', decidedBy: 'standin', amountMinor: 2_000 }),
    exchange({ kind: 'reversal', key: key(3), original: key(2), verdict: 'approved', responseCode: '00', amountMinor: 500 }),
    exchange({ kind: 'clearing', original: key(2), clearingId: 'CLR-1', verdict: 'settled', amountMinor: 1_600 }),
    exchange({ kind: 'atm-withdrawal', key: key(4), verdict: 'approved', responseCode: '00', amountMinor: 2_000 }),
    exchange({ kind: 'fps-credit', fpsId: 'FPSIN-1', verdict: 'gateway-no-answer', amountMinor: 700 }),
    exchange({ kind: 'fps-credit', fpsId: 'FPSIN-1', verdict: 'accepted', amountMinor: 700, attempt: 2 }),
    exchange({ kind: 'app-transfer', fpsId: 'FPS-1', verdict: 'accepted', amountMinor: 300 }),
    exchange({ kind: 'purchase', key: key(5), verdict: 'declined', responseCode: '51', amountMinor: 9_000 }),
  ];
  const model = modelAccounts(customers, exchanges).get(ACCOUNT)!;
  expect(model).toMatchObject({ settledMinor: 10_000 - 1_600 - 2_000 + 700 - 300, heldMinor: 1_000, unknowns: [] });
  expect(explain(model, { settledMinor: 6_800, heldMinor: 1_000 })).toEqual({ matches: true, happened: [] });
  // One penny off, a credit counted twice, a hold never released: each is caught.
  expect(explain(model, { settledMinor: 6_799, heldMinor: 1_000 }).matches).toBe(false);
  expect(explain(model, { settledMinor: 7_500, heldMinor: 1_000 }).matches).toBe(false);
  expect(explain(model, { settledMinor: 6_800, heldMinor: 2_500 }).matches).toBe(false);
});

test('an authorisation the network counted as failed is undone by its 0420 once acknowledged; unacknowledged, it may go either way and the check says which', () => {
  const reversed = [
    exchange({ kind: 'purchase', key: key(10), verdict: 'gateway-no-answer', responseCode: '91', amountMinor: 3_000, timing: 'late' }),
    exchange({ kind: 'reversal', key: key(11), original: key(10), verdict: 'approved', responseCode: '00', amountMinor: 3_000 }),
  ];
  const undone = modelAccounts(customers, reversed).get(ACCOUNT)!;
  expect(undone).toMatchObject({ settledMinor: 10_000, heldMinor: 0, unknowns: [] });
  // The late approval left held: exactly the defect of issue 12 part 2.
  expect(explain(undone, { settledMinor: 10_000, heldMinor: 3_000 }).matches).toBe(false);

  const unknown = modelAccounts(customers, [
    reversed[0]!,
    exchange({ kind: 'fps-credit', fpsId: 'FPSIN-2', verdict: 'no-answer', amountMinor: 400, timing: 'missing' }),
  ]).get(ACCOUNT)!;
  expect(unknown.unknowns).toHaveLength(2);
  const held = explain(unknown, { settledMinor: 10_400, heldMinor: 3_000 });
  expect(held).toMatchObject({ matches: true, happened: [expect.stringContaining('purchase'), expect.stringContaining('FPSIN-2')] });
  expect(explain(unknown, { settledMinor: 10_000, heldMinor: 0 })).toEqual({ matches: true, happened: [] });
  expect(explain(unknown, { settledMinor: 10_800, heldMinor: 0 }).matches).toBe(false);
});

test('a repeated authorisation (same key) is one payment: the model holds once, and a ledger holding twice disagrees', () => {
  const exchanges = [
    exchange({ kind: 'purchase', key: key(20), verdict: 'approved', responseCode: '00', decidedBy: 'primary', amountMinor: 1_200 }),
    exchange({ kind: 'purchase', key: key(20), verdict: 'approved', responseCode: '00', decidedBy: 'primary', amountMinor: 1_200, attempt: 2 }),
  ];
  const model = modelAccounts(customers, exchanges).get(ACCOUNT)!;
  expect(model.heldMinor).toBe(1_200);
  expect(explain(model, { settledMinor: 10_000, heldMinor: 2_400 }).matches).toBe(false);
});
