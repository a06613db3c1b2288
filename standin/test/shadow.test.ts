import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import {
  SHADOW_ROUTES,
  ShadowReport,
  ShadowVerdict,
  type CardAuthorisationRequest,
  type ResponseCode,
  type ShadowCardAuthorisation,
} from '@bank/shared-contracts';
import { createStandinServer } from '../src/app/server';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import type { Database } from '../src/store/database';
import { standinBalance } from '../src/views/balance-view';
import { SyncedAccount, testKeys } from './synced-state';
import { temporaryStandinDatabase } from './temporary-database';
import { CREDENTIALS, TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// A database of the test's own: the shadow report is global, and the shared database's report
// belongs to the stack `npm start` runs (this test plants defects on purpose).
let temporary: Awaited<ReturnType<typeof temporaryStandinDatabase>>;
let database: Database;
const now = () => new Date();
/** Primary's credential: shadow copies are primary's only. */
const INTERNAL = CREDENTIALS.primary;
const OPERATOR = 'shadow-test-operator-token';
let desk: ReturnType<typeof createCardDesk>;
let server: ReturnType<typeof createStandinServer>;

// Over a real socket: fastify's inject cannot load under jest here.
let address = '';
beforeAll(async () => {
  temporary = await temporaryStandinDatabase('shadow');
  database = temporary.database;
  desk = createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now });
  server = createStandinServer({
    database,
    logger: pino({ level: 'silent' }),
    now,
    keys: testKeys,
    services: TEST_SERVICES,
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: `shadow-tester:${OPERATOR}` }),
    cards: desk,
    fasterPayments: createFasterPaymentsDesk({ database, now }),
  });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  await temporary.drop();
});

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
    transmittedAt: now().toISOString(),
    stan: String(stan).padStart(6, '0'),
    rrn: randomBytes(6).toString('hex').toUpperCase(),
    terminalId: 'SHOP0001',
    acquirerId: '12345678',
    merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' },
    posEntryMode: 'chip',
    ...overrides,
  };
}

/** What primary would send: its answer to `request`, and how far its account had got. */
function shadowOf(
  request: CardAuthorisationRequest,
  primary: { code: ResponseCode; accountId?: string; accountSequence?: number; reason?: string },
): ShadowCardAuthorisation {
  const approved = primary.code === '00';
  return {
    request,
    primaryAnswer: {
      mti: request.mti === '0100' ? '0110' : '0210',
      stan: request.stan,
      rrn: request.rrn,
      terminalId: request.terminalId,
      responseCode: primary.code,
      ...(approved ? { authorisationCode: 'PRI001' } : {}),
      approvedAmountMinor: approved ? request.amountMinor : 0,
      decidedBy: 'primary',
      reason: primary.reason ?? (approved ? 'approved' : 'declined'),
    },
    primaryAnsweredAt: now().toISOString(),
    ...(primary.accountId ? { accountId: primary.accountId } : {}),
    ...(primary.accountSequence === undefined ? {} : { accountSequence: primary.accountSequence }),
  };
}

async function call(method: 'GET' | 'POST', path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const reply = await fetch(`${address}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await reply.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions dig into error bodies of any shape
  return { status: reply.status, body: JSON.parse(text) as any, text };
}
/** `null`: no Authorization header at all. */
const shadow = (body: unknown, token: string | null = INTERNAL) => call('POST', SHADOW_ROUTES.cardAuthorisations, token, body);
async function verdictOf(body: ShadowCardAuthorisation): Promise<ShadowVerdict> {
  const reply = await shadow(body);
  expect(reply.status).toBe(200);
  return ShadowVerdict.parse(reply.body);
}
const report = (since?: Date, token: string | null = OPERATOR) =>
  call('GET', `${SHADOW_ROUTES.report}${since ? `?since=${encodeURIComponent(since.toISOString())}` : ''}`, token);

const highestSequence = async (account: SyncedAccount) =>
  (await database.query<{ sequence: number }>('select max(sequence) as sequence from synced_events where account_id = $1', [account.accountId])).rows[0]!
    .sequence;
const recorded = async (request: CardAuthorisationRequest) =>
  (await database.query('select * from shadow_decisions where stan = $1 and rrn = $2 and terminal_id = $3', [request.stan, request.rrn, request.terminalId]))
    .rows;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a shadow decision must not touch, for one account and one message key. */
async function standinStateOf(account: SyncedAccount, request: CardAuthorisationRequest) {
  const count = async (sql: string, values: unknown[]) => Number((await database.query<{ n: string }>(sql, values)).rows[0]!.n);
  return {
    ownTransactions: await count('select count(*) as n from own_transactions where account_id = $1', [account.accountId]),
    advices: await count('select count(*) as n from advices where account_id = $1', [account.accountId]),
    adviceSequence: await count('select coalesce(max(last_sequence), 0) as n from advice_sequences where account_id = $1', [account.accountId]),
    cardMessages: await count('select count(*) as n from card_messages where account_id = $1 or (stan = $2 and rrn = $3 and terminal_id = $4)', [
      account.accountId,
      request.stan,
      request.rrn,
      request.terminalId,
    ]),
    approvedToday: await count(
      "select coalesce(sum(remaining_minor), 0) as n from card_messages where account_id = $1 and kind = 'authorisation' and approved",
      [account.accountId],
    ),
    freezes: await count('select count(*) as n from card_freezes where card_id = $1', [account.cardId]),
    balance: await standinBalance(database, account.accountId),
  };
}

describe('a shadow decision has no effect', () => {
  test('when stand-in would approve a purchase, then it answers 00, agrees, and leaves everything stand-in holds as it was', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000, overdraftLimitMinor: 500 });
    // Some real activity first, so there are approvals, advices and an unreflected debit to disturb.
    expect((await desk.authorise(payment(account, 1_500))).responseCode).toBe('00');
    const message = payment(account, 3_000);
    const before = await standinStateOf(account, message);

    const verdict = await verdictOf(shadowOf(message, { code: '00', accountId: account.accountId, accountSequence: await highestSequence(account) }));

    expect(verdict).toEqual({ responseCode: '00', reason: 'approved by stand-in', agrees: true });
    expect(await standinStateOf(account, message)).toEqual(before);
    expect(before).toMatchObject({ ownTransactions: 1, advices: 1, approvedToday: 1_500, balance: { spendableMinor: 9_000 } });
    const [row] = await recorded(message);
    expect(row).toMatchObject({
      message_type: 'purchase',
      amount_minor: '3000',
      account_id: account.accountId,
      primary_response_code: '00',
      standin_response_code: '00',
      agrees: true,
      disagreement: null,
    });
    expect(row.primary_account_sequence).toBe(row.standin_account_sequence);
    expect(JSON.stringify(row)).not.toContain(account.pan);
  });

  test('when the real message with the same key comes after its shadow, then it is decided and recorded as normal', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const message = payment(account, 4_000);
    await verdictOf(shadowOf(message, { code: '00', accountId: account.accountId, accountSequence: await highestSequence(account) }));

    const answer = await desk.authorise(message);
    expect(answer).toMatchObject({ responseCode: '00', decidedBy: 'standin', approvedAmountMinor: 4_000 });
    expect((await standinBalance(database, account.accountId))!.spendableMinor).toBe(6_000);
    expect(
      (
        await database.query('select approved from card_messages where stan = $1 and rrn = $2 and terminal_id = $3', [
          message.stan,
          message.rrn,
          message.terminalId,
        ])
      ).rows,
    ).toEqual([{ approved: true }]);
    expect((await database.query('select type from advices where account_id = $1', [account.accountId])).rows).toEqual([{ type: 'card_payment.approved' }]);
    // And the network's repeat still gets the real answer, not a shadow's.
    expect(await desk.authorise(message)).toEqual(answer);
  });

  test('when primary sends the same shadow message again, or several copies race, then it is recorded once and every copy gets the first verdict', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const message = payment(account, 2_000);
    const body = shadowOf(message, { code: '00', accountId: account.accountId, accountSequence: await highestSequence(account) });
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => verdictOf(body)));
    expect(new Set(verdicts.map((verdict) => JSON.stringify(verdict))).size).toBe(1);
    // Even if stand-in's state has moved on since, the recorded verdict stands.
    await account.balance(0, 0);
    expect(await verdictOf(body)).toEqual(verdicts[0]);
    expect(await recorded(message)).toHaveLength(1);
  });
});

describe('why the platforms disagreed', () => {
  test("when stand-in has not synced primary's latest credit, then it declines 51 and the disagreement is sync_lag", async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const synced = await highestSequence(account);
    const message = payment(account, 5_000);
    // Primary has credited the account twice since (events stand-in has not received).
    const verdict = await verdictOf(shadowOf(message, { code: '00', accountId: account.accountId, accountSequence: synced + 2 }));
    expect(verdict).toEqual({ responseCode: '51', reason: 'insufficient funds as stand-in sees them', agrees: false, disagreement: 'sync_lag' });
    expect((await recorded(message))[0]).toMatchObject({ primary_account_sequence: synced + 2, standin_account_sequence: synced, disagreement: 'sync_lag' });
  });

  test('when stand-in has not synced the card at all, then it declines 14 and the disagreement is sync_lag', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const message = { ...payment(account, 500), pan: `459877${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}` };
    const verdict = await verdictOf(shadowOf(message, { code: '00', accountId: randomUUID(), accountSequence: 4 }));
    expect(verdict).toMatchObject({ responseCode: '14', agrees: false, disagreement: 'sync_lag' });
  });

  test("when a payment is over stand-in's per-payment limit, then it declines 61 and the disagreement is standin_risk_limit", async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000_000 });
    const verdict = await verdictOf(
      shadowOf(payment(account, 100_001), { code: '00', accountId: account.accountId, accountSequence: await highestSequence(account) }),
    );
    expect(verdict).toEqual({ responseCode: '61', reason: 'stand-in risk limit: per payment', agrees: false, disagreement: 'standin_risk_limit' });
  });

  // Found in the e2e shadow test (2026-12-06): primary's card path is fast enough that its hold
  // for the purchase reaches stand-in before the shadow copy does. Judged on a view that already
  // holds the payment's own money, stand-in would decline even without its limits.
  test("when stand-in has already synced the payment's own hold, then a decline over its limit is still standin_risk_limit", async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 150_000 });
    const message = payment(account, 100_001);
    const atDecision = await highestSequence(account);
    await account.transaction(-100_001);
    await account.balance(150_000, 100_001);
    const verdict = await verdictOf(shadowOf(message, { code: '00', accountId: account.accountId, accountSequence: atDecision }));
    expect(verdict).toMatchObject({ responseCode: '61', agrees: false, disagreement: 'standin_risk_limit' });
  });

  test("when stand-in's view is already past primary's decision and that alone explains the decline, then the disagreement is sync_lag", async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 6_000 });
    const message = payment(account, 5_000);
    const atDecision = await highestSequence(account);
    await account.transaction(-5_000);
    await account.balance(6_000, 5_000);
    const verdict = await verdictOf(shadowOf(message, { code: '00', accountId: account.accountId, accountSequence: atDecision }));
    expect(verdict).toMatchObject({ responseCode: '51', agrees: false, disagreement: 'sync_lag' });
  });

  test("when stand-in's own approvals primary has not applied yet leave too little, then the disagreement is advices_in_flight", async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    expect((await desk.authorise(payment(account, 8_000))).responseCode).toBe('00');
    // Primary has every event stand-in has, but not stand-in's advice: it still sees 10 000.
    const verdict = await verdictOf(
      shadowOf(payment(account, 5_000), { code: '00', accountId: account.accountId, accountSequence: await highestSequence(account) }),
    );
    expect(verdict).toMatchObject({ responseCode: '51', agrees: false, disagreement: 'advices_in_flight' });
  });

  test('when the two logics simply decide differently on the same facts, then the disagreement is unexplained and counted as a defect', async () => {
    const since = now();
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    // Contrived: primary declines for insufficient funds a purchase stand-in, fully in sync, can pay.
    const message = payment(account, 2_000);
    const verdict = await verdictOf(
      shadowOf(message, { code: '51', reason: 'insufficient funds', accountId: account.accountId, accountSequence: await highestSequence(account) }),
    );
    expect(verdict).toEqual({ responseCode: '00', reason: 'approved by stand-in', agrees: false, disagreement: 'unexplained' });
    const { body } = await report(since);
    expect(body).toMatchObject({
      decisions: 1,
      agreed: 0,
      defects: 1,
      disagreements: [
        {
          reason: 'unexplained',
          explained: false,
          count: 1,
          examples: [{ stan: message.stan, rrn: message.rrn, terminalId: message.terminalId, primaryResponseCode: '51', standinResponseCode: '00' }],
        },
      ],
    });
  });
});

describe('the shadow API refuses what it cannot take', () => {
  test('without the internal token, then 401; with an operator token, then 403 (known, not allowed); nothing recorded', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const message = payment(account, 100);
    for (const token of [null, 'not-the-token', OPERATOR]) {
      const reply = await shadow(shadowOf(message, { code: '00' }), token);
      expect(reply.status).toBe(token === OPERATOR ? 403 : 401);
      expect(reply.body.error.code).toBe(token === OPERATOR ? 'STANDIN_FORBIDDEN' : 'STANDIN_UNAUTHENTICATED');
    }
    expect(await recorded(message)).toEqual([]);
  });

  test('when the body is not a shadow message, then 400 naming each bad field, without the PAN', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const good = shadowOf(payment(account, 100), { code: '00' });
    const cases: [unknown, string][] = [
      [{ request: good.request }, 'primaryAnswer'],
      [{ ...good, request: { ...good.request, amountMinor: -1 } }, 'request.amountMinor'],
      [{ ...good, request: { ...good.request, processingCode: '300000' } }, 'request.processingCode'],
      [{ ...good, primaryAnswer: { ...good.primaryAnswer, stan: '000000' } }, 'primaryAnswer'],
    ];
    for (const [body, path] of cases) {
      const reply = await shadow(body);
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe('STANDIN_INVALID_MESSAGE');
      expect(reply.body.error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      expect(reply.text).not.toContain(account.pan);
    }
  });
});

describe('the shadow report', () => {
  test('agreement overall and per message type, disagreements grouped by reason with examples, and since narrowing it', async () => {
    const before = now();
    await pause(5);
    const earlier = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    await verdictOf(shadowOf(payment(earlier, 100), { code: '00', accountId: earlier.accountId, accountSequence: await highestSequence(earlier) }));
    await pause(5);
    const since = now();
    await pause(5);

    const account = await new SyncedAccount(database).open({ settledMinor: 150_000 });
    const at = await highestSequence(account);
    const primary = { accountId: account.accountId, accountSequence: at };
    await verdictOf(shadowOf(payment(account, 1_000), { code: '00', ...primary })); // purchase, agrees
    await verdictOf(shadowOf(payment(account, 160_000), { code: '51', ...primary })); // purchase, both decline
    await verdictOf(shadowOf(payment(account, 120_000), { code: '00', ...primary })); // purchase, standin_risk_limit
    await verdictOf(shadowOf(payment(account, 2_000, { mti: '0200' }), { code: '00', ...primary })); // single message, agrees
    await verdictOf(shadowOf(payment(account, 2_000, { processingCode: '010000' }), { code: '00', accountId: account.accountId, accountSequence: at + 1 })); // cash, in sync: agrees
    await verdictOf(shadowOf(payment(account, 70_000, { processingCode: '010000' }), { code: '00', accountId: account.accountId, accountSequence: at + 3 })); // cash, stand-in behind: sync_lag
    const refund = payment(account, 700, { processingCode: '200000' });
    await verdictOf(shadowOf(refund, { code: '00', ...primary })); // refund: stand-in declines them all, by design
    const odd = payment(account, 1_500);
    await verdictOf(shadowOf(odd, { code: '51', ...primary })); // primary declined what stand-in approves on the same facts: a defect to look at

    const { status, body } = await report(since);
    expect(status).toBe(200);
    const parsed = ShadowReport.parse(body);
    expect(parsed).toMatchObject({ since: since.toISOString(), decisions: 8, agreed: 4, defects: 1 });
    expect(parsed.agreementRate).toBeCloseTo(4 / 8);
    expect(parsed.byMessageType).toEqual([
      { messageType: 'purchase', decisions: 4, agreed: 2, agreementRate: 2 / 4 },
      { messageType: 'purchase_single_message', decisions: 1, agreed: 1, agreementRate: 1 },
      { messageType: 'cash', decisions: 2, agreed: 1, agreementRate: 0.5 },
      { messageType: 'refund', decisions: 1, agreed: 0, agreementRate: 0 },
    ]);
    const groups = parsed.disagreements.map(({ reason, explained, count, examples }) => ({ reason, explained, count, examples: examples.length }));
    expect(groups.sort((a, b) => a.reason.localeCompare(b.reason))).toEqual([
      { reason: 'standin_does_not_handle', explained: true, count: 1, examples: 1 },
      { reason: 'standin_risk_limit', explained: true, count: 1, examples: 1 },
      { reason: 'sync_lag', explained: true, count: 1, examples: 1 },
      { reason: 'unexplained', explained: false, count: 1, examples: 1 },
    ]);
    expect(parsed.disagreements.find((group) => group.reason === 'standin_does_not_handle')!.examples[0]).toMatchObject({
      stan: refund.stan,
      rrn: refund.rrn,
      terminalId: refund.terminalId,
      primaryResponseCode: '00',
      standinResponseCode: '12',
    });
    expect(parsed.disagreements.find((group) => group.reason === 'unexplained')!.examples[0]).toMatchObject({
      stan: odd.stan,
      primaryResponseCode: '51',
      standinResponseCode: '00',
    });
    expect(JSON.stringify(body)).not.toContain(account.pan);

    // Without `since` (or an earlier one) the earlier decision counts too; after everything, nothing does.
    expect((await report(before)).body).toMatchObject({ decisions: 9, agreed: 5 });
    expect(((await report()).body as ShadowReport).decisions).toBeGreaterThanOrEqual(9);
    await pause(5);
    const empty = ShadowReport.parse((await report(now())).body);
    expect(empty).toMatchObject({ decisions: 0, agreed: 0, byMessageType: [], disagreements: [], defects: 0 });
    expect(empty).not.toHaveProperty('agreementRate');
  });

  test('a group shows at most five examples, however many it counts', async () => {
    const since = now();
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000_000 });
    const at = await highestSequence(account);
    for (let index = 0; index < 7; index++)
      await verdictOf(shadowOf(payment(account, 100_001 + index), { code: '00', accountId: account.accountId, accountSequence: at }));
    const { body } = await report(since);
    expect(body.disagreements).toEqual([expect.objectContaining({ reason: 'standin_risk_limit', count: 7, examples: expect.any(Array) })]);
    expect(body.disagreements[0].examples).toHaveLength(5);
  });

  test('only an operator may read it, and since must be a timestamp', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 1 });
    for (const token of [null, INTERNAL, account.token, 'nobody']) {
      const reply = await report(undefined, token);
      // The internal token and a customer's are known to stand-in: 403; the others 401.
      const known = token === INTERNAL || token === account.token;
      expect(reply.status).toBe(known ? 403 : 401);
      expect(reply.body.error.code).toBe(known ? 'STANDIN_FORBIDDEN' : 'STANDIN_UNAUTHENTICATED');
    }
    const bad = await call('GET', `${SHADOW_ROUTES.report}?since=yesterday`, OPERATOR);
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([expect.objectContaining({ path: '(message)' })]);
  });
});
