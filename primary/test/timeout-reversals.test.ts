import { TIMEOUT_REVERSALS_ROUTE, type CardReversalRequest, type TimeoutReversalsReport } from '@bank/shared-contracts';
import { authorisation } from './harness';
import { OPERATOR, startRoutingPrimary } from './routing-harness';
import { owedReversalRow, until } from './owed-reversals';

// Issue 15: the timeout reversals primary owes stand-in are rows in primary's database, written
// before the 91 is answered, delivered until acknowledged, flagged (never dropped) when stand-in
// keeps not acknowledging, and owed too when the connection broke after the message was sent.
// Primary over HTTP on the real PostgreSQL; stand-in a small real HTTP server told how to answer.
// (That they survive a SIGKILL of primary: e2e/test/primary-timeout-reversals-survive-restart.)

const FLAG_AFTER_ATTEMPTS = 3;
let primary: Awaited<ReturnType<typeof startRoutingPrimary>>;
beforeAll(async () => {
  primary = await startRoutingPrimary({
    timeoutReversals: { flagAfterAttempts: FLAG_AFTER_ATTEMPTS, retryEveryMs: 50, maxRetryEveryMs: 100, flaggedRetryEveryMs: 200 },
  });
}, 60_000);
afterAll(() => primary?.close());

const report = async () => (await primary.call('GET', `${TIMEOUT_REVERSALS_ROUTE}?limit=5`, { token: OPERATOR.token })).body as TimeoutReversalsReport;
const owedRow = (key: { stan: string; rrn: string; terminalId: string }) => owedReversalRow(primary.db, key);
const reversalsOf = (rrn: string) =>
  primary.standin.received.filter((seen) => seen.url === '/scheme/card/reversals' && (seen.body as CardReversalRequest).original.rrn === rrn);

test('when the connection to stand-in breaks after the authorisation was sent, then the network hears 91, a reversal is owed (recorded, no PAN in the clear) and delivered once stand-in answers', async () => {
  const alice = await primary.customer();
  await primary.route({ cardPaymentsOutbound: { mode: 'everyone' } });
  primary.standin.state.reset = true;
  const message = authorisation(alice.card, 1_500);
  const answer = await primary.call('POST', '/scheme/card/authorisations', { body: message });
  expect(answer.body).toMatchObject({ responseCode: '91', decidedBy: 'primary' });
  // Written before the 91 was answered: it is there the moment the answer is.
  const row = await owedRow(message);
  expect(row).toMatchObject({ reason: 'reset' });
  expect(JSON.stringify(row)).not.toContain(alice.card.pan);

  primary.standin.state.reset = false;
  primary.standin.state.reply = (seen) => ({ status: 200, body: { mti: '0430', stan: (seen.body as CardReversalRequest).stan, responseCode: '00' } });
  await until('the reversal to be acknowledged', async () => (await owedRow(message)) === undefined);
  expect(reversalsOf(message.rrn).at(-1)!.body).toMatchObject({ mti: '0420', pan: alice.card.pan, original: { rrn: message.rrn }, amountMinor: 1_500 });
});

test('when stand-in keeps refusing a reversal, then after the flag threshold it is flagged in the operations report and the metric, still retried, and delivered when stand-in acknowledges', async () => {
  const bob = await primary.customer();
  await primary.route({ cardPaymentsOutbound: { mode: 'everyone' } });
  // Stand-in takes the authorisation but never answers it in time; then answers reversals 91.
  primary.standin.state.silent = true;
  const message = authorisation(bob.card, 700);
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: message })).body).toMatchObject({ responseCode: '91' });
  expect(await owedRow(message)).toMatchObject({ reason: 'timeout' });
  primary.standin.state.silent = false;
  primary.standin.state.reply = (seen) => ({ status: 200, body: { mti: '0430', stan: (seen.body as CardReversalRequest).stan, responseCode: '91' } });

  await until('the reversal to be flagged', async () => (await report()).flagged > 0);
  const flagged = await report();
  expect(flagged.owed).toBeGreaterThanOrEqual(1);
  expect(flagged.oldestFlagged).toEqual([
    expect.objectContaining({ original: { stan: message.stan, rrn: message.rrn, terminalId: message.terminalId }, lastFailure: expect.stringContaining('91') }),
  ]);
  expect(flagged.oldestFlagged[0]!.attempts).toBeGreaterThanOrEqual(FLAG_AFTER_ATTEMPTS);
  const metrics = (await primary.call('GET', '/metrics')).text;
  expect(metrics).toMatch(/primary_standin_timeout_reversals_flagged 1/);
  expect(metrics).toMatch(/primary_standin_timeout_reversals_total\{outcome="flagged"\} 1/);
  // Still retried after it was flagged.
  const attemptsWhenFlagged = reversalsOf(message.rrn).length;
  await until('another attempt after the flag', async () => reversalsOf(message.rrn).length > attemptsWhenFlagged);

  primary.standin.state.reply = (seen) => ({ status: 200, body: { mti: '0430', stan: (seen.body as CardReversalRequest).stan, responseCode: '00' } });
  await until('the flagged reversal to be acknowledged', async () => (await owedRow(message)) === undefined);
  expect(await report()).toEqual({ owed: 0, flagged: 0, oldestFlagged: [] });
  expect((await primary.call('GET', TIMEOUT_REVERSALS_ROUTE)).status).toBe(401);
}, 30_000);
