import pino from 'pino';
import { systemClock } from '../src/platform/clock';
import { startLateApprovalReversals } from '../src/routing/timeout-reversals';
import { authorisation, startPrimary, type TestPrimary } from './harness';
import { owedReversalRow, until } from './owed-reversals';

// Issue 15: when primary's own approval commits after its card budget answered the network 91,
// the reversal it owes itself is a row in timeout_reversals_owed (owed_to 'primary'), not an entry
// in one process's memory: a replica that records it and stops leaves it to any other, which
// applies it through primary's own reversal logic. Before, a restart lost it and the customer's
// money stayed held for a payment the merchant was told failed (until the hold expiry, days later).
// How a late approval arises (a commit slower than what was left of the budget) is the card route's
// part, tested in card-budget.test.ts; this is what happens to the debt.

let primary: TestPrimary;
beforeAll(async () => {
  // A database of its own: the rows are claimed by every primary on a database, and other test
  // files' primaries hold other PAN keys.
  primary = await startPrimary({ ownDatabase: 'late_approvals' });
}, 60_000);
afterAll(() => primary?.close());

const owedRow = (key: { stan: string; rrn: string; terminalId: string }) => owedReversalRow(primary.db, key);

test('when a replica records the reversal of its own late approval and stops before applying it, then another replica applies it: the hold is released and the authorisation reversed', async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const card = await primary.issueCard(account.id);
  const message = authorisation(card, 2_500);
  // The approval that committed late (the network heard 91 for it).
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: message })).body).toMatchObject({ responseCode: '00' });
  expect((await primary.balance(account.id)).heldMinor).toBe(2_500);

  // A replica that sees the late approval, records the debt, and is stopped before its loop runs.
  const dying = startLateApprovalReversals({
    db: primary.db,
    panKey: primary.keys.primary,
    reverse: () => Promise.reject(new Error('this replica never delivers')),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    metrics: primary.metrics,
    // Not due for a moment, so the row is seen before the other replica's loop takes it.
    options: { pollEveryMs: 3_600_000, firstAttemptAfterMs: 1_500 },
  });
  dying.reverseHere(message);
  await until('the debt to be recorded', async () => (await owedRow(message)) !== undefined);
  await dying.stop();
  const row = (await owedRow(message))!;
  expect(row).toMatchObject({ owed_to: 'primary', reason: 'late_approval' });
  expect(JSON.stringify(row)).not.toContain(card.pan);

  // The primary still running (its own loop, started with its app) applies it.
  await until('the owed reversal to be applied', async () => (await owedRow(message)) === undefined);
  expect((await primary.balance(account.id)).heldMinor).toBe(0);
  const stored = await primary.db.query<{ state: string; outstanding_minor: string }>(
    'select state, outstanding_minor from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3',
    [message.stan, message.rrn, message.terminalId],
  );
  expect(stored.rows[0]).toMatchObject({ state: 'reversed', outstanding_minor: '0' });
});

test('when the late decision was a decline, then a reversal owed for it is acknowledged and moves no money', async () => {
  const account = await primary.openAccount();
  const card = await primary.issueCard(account.id);
  const message = authorisation(card, 9_999);
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: message })).body).toMatchObject({ responseCode: '51' });
  const recorder = startLateApprovalReversals({
    db: primary.db,
    panKey: primary.keys.primary,
    reverse: (reversal) => primary.services.cardProcessor.reverse(reversal),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    metrics: primary.metrics,
    options: { pollEveryMs: 50 },
  });
  try {
    recorder.reverseHere(message);
    await until('the owed reversal to be acknowledged', async () => (await owedRow(message)) === undefined);
  } finally {
    await recorder.stop();
  }
  expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 0, heldMinor: 0 });
});
