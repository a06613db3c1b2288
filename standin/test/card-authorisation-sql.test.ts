import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { infraEndpoints } from '@bank/infra';
import { Advice, DEFAULT_STANDIN_RULES, type CardAuthorisationRequest, type StandinRules } from '@bank/shared-contracts';
import { judgeAuthorisation, type AuthorisationCase } from '../src/payments/authorisation-rules';
import type { ResolvedRules } from '../src/payments/standin-rules';
import { cardStatementTimeoutMs } from '../src/payments/card-authorisation';
import { createCardDesk } from '../src/payments/card-desk';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { SyncedAccount, testKeys } from './synced-state';
import { fixedRules } from '../src/payments/standin-rules';

// Stand-in's authorisation runs as one SQL call (standin_authorise_by_rules, schema step 0014); its
// TypeScript rules (authorisation-rules.ts) and assessment (card-desk.ts assessAuthorisation, the
// shadow path's) stay the specification. These hold the SQL to the same answers on random cases,
// first the rules alone, then the whole path against random database states.

const database = openDatabase(infraEndpoints().postgres.standin);
beforeAll(() => upgradeSchema(database));
afterAll(() => database.end());

const yymm = fc
  .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }))
  .map(([yy, mm]) => `${String(yy).padStart(2, '0')}${String(mm).padStart(2, '0')}`);
const plausibleExpiry = fc.oneof(yymm, fc.constantFrom('2611', '2612', '2701', '3011'));
// Round figures as often as not, so sums land exactly on limits and balances (the boundaries).
const round = fc.constantFrom(0, 1_000, 2_000, 3_000, 5_000, 8_000);
const minor = fc.oneof(round, fc.integer({ min: 0, max: 400_000 }));
const signedMinor = fc.oneof(round, fc.integer({ min: -200_000, max: 400_000 }));

/** The object without its undefined properties, as JSON would carry it to the database. */
const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const limit = fc.oneof(fc.constant(10_000_000), minor);
const resolvedRules: fc.Arbitrary<ResolvedRules> = fc
  .record({
    kindBlocked: fc.option(
      fc.constantFrom(
        { rule: 'channel:ecommerce:blocked', label: 'stand-in rule: no e-commerce payments' },
        { rule: 'mcc:7995:blocked', label: 'stand-in rule: no payments at MCC 7995 (gambling)' },
      ),
      { nil: undefined, freq: 5 },
    ),
    perPayment: fc.record({
      limitMinor: limit,
      rule: fc.constantFrom('per-payment', 'channel:atm:per-payment'),
      label: fc.constantFrom('stand-in risk limit: per payment', 'stand-in risk limit: ATM cash per payment'),
    }),
    sinceLastHeard: fc
      .record({
        maxCount: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        maxAmountMinor: fc.option(minor, { nil: undefined }),
        rule: fc.constantFrom('purchases-since-heard', 'cash-since-heard'),
        label: fc.constantFrom('stand-in risk limit: purchases since primary last heard', 'stand-in risk limit: cash since primary last heard'),
      })
      .map(defined),
    perAccountDayMinor: limit,
    blockedCards: fc.constant([]),
    staleness: fc.constantFrom(
      [],
      DEFAULT_STANDIN_RULES.staleness,
      [
        { olderThanMinutes: 1, limitPercent: 100 },
        { olderThanMinutes: 60, limitPercent: 0 },
      ],
      [{ olderThanMinutes: 30, limitPercent: 33 }],
    ),
  })
  .map(defined);

const ruleCase: fc.Arbitrary<AuthorisationCase> = fc
  .record({
    card: fc.option(
      fc.record({
        status: fc.constantFrom('active' as const, 'active' as const, 'frozen' as const, 'cancelled' as const),
        expiry: fc.oneof(fc.constant('3912'), plausibleExpiry),
        dailyCashLimitMinor: minor,
      }),
      { nil: undefined, freq: 6 },
    ),
    cardBlocked: fc.constantFrom(false, false, false, false, true),
    // Usually the card's own expiry, so the rules after it are reached.
    presentedExpiry: fc.option(plausibleExpiry, { nil: undefined, freq: 4 }),
    transactionType: fc.constantFrom('00', '01', '01', '20', '09'),
    currency: fc.constantFrom('GBP', 'GBP', 'GBP', 'EUR'),
    amountMinor: fc.oneof(fc.constantFrom(1_000, 2_000, 3_000), fc.integer({ min: 1, max: 300_000 })),
    spendableMinor: signedMinor,
    approvedTodayMinor: minor,
    cashTodayMinor: minor,
    sinceLastHeardCount: fc.integer({ min: 0, max: 8 }),
    sinceLastHeardMinor: minor,
    // Often exactly on a staleness step's age, or a millisecond past it.
    dataAgeMs: fc.option(
      fc.oneof(
        fc.constantFrom(0, 60_000, 1_800_000, 1_800_001, 3_600_000, 3_600_001, 86_400_000, 86_400_001, 604_800_001),
        fc.integer({ min: 0, max: 10 * 86_400_000 }),
      ),
      { nil: undefined, freq: 6 },
    ),
    // Often exactly the first instant of a month (or the one before): the day an expiry month ends.
    today: fc.oneof(
      fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2031-12-31T23:59:59Z'), noInvalidDate: true }),
      fc
        .tuple(fc.integer({ min: 2025, max: 2031 }), fc.integer({ min: 0, max: 11 }), fc.constantFrom(0, -1))
        .map(([year, month, offset]) => new Date(Date.UTC(year, month, 1) + offset)),
    ),
    rules: resolvedRules,
    // Sometimes a sum lands exactly on one limit, the boundary a > / >= slip would move.
    exactly: fc.constantFrom('none', 'cash', 'day', 'funds', 'payment', 'count', 'since'),
  })
  .map(({ presentedExpiry, exactly, ...c }) => {
    const nudged = defined({ ...c, presentedExpiry: presentedExpiry ?? c.card?.expiry ?? '3011' });
    const limit = Math.max(c.amountMinor, c.card?.dailyCashLimitMinor ?? 0);
    const since = c.rules.sinceLastHeard;
    if (exactly === 'cash' && nudged.card) return { ...nudged, card: { ...nudged.card, dailyCashLimitMinor: limit }, cashTodayMinor: limit - c.amountMinor };
    if (exactly === 'day') return { ...nudged, approvedTodayMinor: Math.max(0, c.rules.perAccountDayMinor - c.amountMinor) };
    if (exactly === 'funds') return { ...nudged, spendableMinor: c.amountMinor };
    if (exactly === 'payment') return { ...nudged, rules: { ...c.rules, perPayment: { ...c.rules.perPayment, limitMinor: c.amountMinor } } };
    if (exactly === 'count' && since.maxCount !== undefined) return { ...nudged, sinceLastHeardCount: Math.max(0, since.maxCount - 1) };
    if (exactly === 'since' && since.maxAmountMinor !== undefined) return { ...nudged, sinceLastHeardMinor: Math.max(0, since.maxAmountMinor - c.amountMinor) };
    return nudged;
  });

describe("stand-in's SQL authorisation against its TypeScript specification", () => {
  test('the SQL rules give the TypeScript rules’ verdict, code, reason and rule, on random cases', async () => {
    await fc.assert(
      fc.asyncProperty(ruleCase, async (c) => {
        const { rows } = await database.query<{ code: string; why: string; rule: string | null }>(
          'select code, why, rule from standin_card_rules_verdict($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)',
          [
            c.card !== undefined,
            c.card?.status ?? null,
            c.card?.expiry ?? null,
            c.card?.dailyCashLimitMinor ?? null,
            c.cardBlocked,
            c.presentedExpiry,
            c.transactionType,
            c.currency,
            c.amountMinor,
            c.spendableMinor,
            c.approvedTodayMinor,
            c.cashTodayMinor,
            c.sinceLastHeardCount,
            c.sinceLastHeardMinor,
            c.dataAgeMs ?? null,
            c.today,
            JSON.stringify(c.rules),
          ],
        );
        const expected = judgeAuthorisation(c);
        expect({ code: rows[0]!.code, why: rows[0]!.why, rule: rows[0]!.rule ?? undefined }).toEqual({
          code: expected.code,
          why: expected.why,
          rule: expected.rule,
        });
      }),
      { numRuns: 2_000 },
    );
  });

  // Each step: one of primary's changes synced, a freeze in stand-in, a day passing, or an
  // authorisation, which the shadow path (TypeScript, no effect) assesses first and the SQL then decides.
  type Step =
    | {
        kind: 'authorise';
        account: number;
        amountMinor: number;
        processingCode: string;
        currency: string;
        mti: '0100' | '0200';
        wrongExpiry: boolean;
        unknownCard: boolean;
        posEntryMode: 'chip' | 'contactless' | 'ecommerce';
        categoryCode: string;
      }
    | { kind: 'balance'; account: number; settledMinor: number; heldMinor: number; overdraftMinor: number; reflectLast: boolean }
    | { kind: 'card'; account: number; status: 'active' | 'frozen' | 'cancelled' }
    | { kind: 'freeze'; account: number; frozen: boolean }
    | { kind: 'day' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('authorise' as const),
        account: fc.integer({ min: 0, max: 1 }),
        amountMinor: fc.integer({ min: 1, max: 60_000 }),
        processingCode: fc.constantFrom('000000', '000000', '010000', '200000'),
        currency: fc.constantFrom('GBP', 'GBP', 'GBP', 'EUR'),
        mti: fc.constantFrom('0100' as const, '0200' as const),
        wrongExpiry: fc.constantFrom(false, false, false, false, true),
        unknownCard: fc.constantFrom(false, false, false, false, true),
        posEntryMode: fc.constantFrom('chip' as const, 'contactless' as const, 'ecommerce' as const),
        categoryCode: fc.constantFrom('5411', '5411', '7995'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('balance' as const),
        account: fc.integer({ min: 0, max: 1 }),
        settledMinor: fc.integer({ min: -5_000, max: 120_000 }),
        heldMinor: fc.integer({ min: 0, max: 20_000 }),
        overdraftMinor: fc.constantFrom(0, 0, 5_000),
        reflectLast: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('card' as const),
        account: fc.integer({ min: 0, max: 1 }),
        status: fc.constantFrom('active' as const, 'active' as const, 'frozen' as const, 'cancelled' as const),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeze' as const), account: fc.integer({ min: 0, max: 1 }), frozen: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'day' as const }) },
  );

  // The configuration's rules, every kind of them sometimes in force.
  const standinRules = fc.record({
    maxPerPaymentMinor: fc.constantFrom(50_000, 20_000),
    maxPerAccountPerDayMinor: fc.constantFrom(90_000, 40_000),
    sinceLastHeard: fc.record({
      purchases: fc.constantFrom({}, { maxCount: 3 }, { maxAmountMinor: 30_000 }, { maxCount: 4, maxAmountMinor: 50_000 }),
      cash: fc.constantFrom({}, { maxCount: 1 }, { maxAmountMinor: 10_000 }),
    }),
    channels: fc.constantFrom<StandinRules['channels']>(
      {},
      { ecommerce: { blocked: true } },
      { contactless: { blocked: false, maxPerPaymentMinor: 10_000 } },
      { atm: { blocked: false, maxPerPaymentMinor: 5_000 } },
    ),
    merchantCategories: fc.constantFrom<StandinRules['merchantCategories']>(
      {},
      { '7995': { blocked: true, description: 'gambling' } },
      { '5411': { blocked: false, maxPerPaymentMinor: 15_000 } },
    ),
    staleness: fc.constantFrom<StandinRules['staleness']>([], DEFAULT_STANDIN_RULES.staleness, [{ olderThanMinutes: 600, limitPercent: 50 }]),
    blockSecondCard: fc.boolean(),
  });

  test('on random database states and rules, the one-call authorisation answers what the TypeScript assessment says, names the same rule, and advises every decision on a known card (approval or decline) in per-account order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 25 }), standinRules, async (steps, { blockSecondCard, ...chosen }) => {
        // From an hour ahead of the synced events' own time, so the days passing age the data through the staleness steps.
        let today = new Date(Date.now() + 3_600_000);
        const accounts = [
          await new SyncedAccount(database).open({ settledMinor: 40_000 }),
          await new SyncedAccount(database).open({ settledMinor: 5_000, overdraftLimitMinor: 1_000 }),
        ];
        const rules: StandinRules = { ...chosen, blockedCards: blockSecondCard ? [accounts[1]!.cardId] : [] };
        const desk = createCardDesk({ database, keys: testKeys, rules: { current: () => rules }, now: () => today });
        const approvals: string[][] = [[], []];
        const advised: string[][] = [[], []];
        for (const s of steps) {
          if (s.kind === 'day') today = new Date(today.getTime() + 9 * 3_600_000);
          else if (s.kind === 'balance')
            await accounts[s.account]!.balance(s.settledMinor, s.heldMinor, s.overdraftMinor, s.reflectLast ? approvals[s.account]!.at(-1) : undefined);
          else if (s.kind === 'card') await accounts[s.account]!.cardStatus(s.status, new Date(today.getTime() - 1_000));
          else if (s.kind === 'freeze')
            await database.query("insert into card_freezes (card_id, frozen, requested_by, created_at) values ($1, $2, 'customer', $3)", [
              accounts[s.account]!.cardId,
              s.frozen,
              today,
            ]);
          else {
            const account = accounts[s.account]!;
            const message: CardAuthorisationRequest = {
              mti: s.mti,
              pan: s.unknownCard ? `459876${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}` : account.pan,
              expiry: s.wrongExpiry ? '2911' : '3011',
              processingCode: s.processingCode,
              amountMinor: s.amountMinor,
              currency: s.currency,
              transmittedAt: today.toISOString(),
              stan: String(Math.floor(Math.random() * 1e6)).padStart(6, '0'),
              rrn: randomBytes(6).toString('hex').toUpperCase(),
              terminalId: 'PROP0001',
              acquirerId: '12345678',
              merchant: { name: 'PROPERTY SHOP', categoryCode: s.categoryCode, city: 'London', country: 'GB' },
              posEntryMode: s.posEntryMode,
            };
            const { assessment } = await desk.assessWithoutEffect(message, async () => undefined);
            const answer = await desk.authorise(message);
            expect({ code: answer.responseCode, reason: answer.reason }).toEqual({ code: assessment.verdict.code, reason: assessment.verdict.why });
            const recorded = await database.query<{ rule: string | null }>('select rule from card_messages where stan = $1 and rrn = $2 and terminal_id = $3', [
              message.stan,
              message.rrn,
              message.terminalId,
            ]);
            expect(recorded.rows[0]?.rule ?? undefined).toBe(assessment.verdict.rule);
            expect(await desk.authorise(message)).toEqual(answer);
            // Every decision on a card stand-in knows is advised, a decline as much as an approval.
            if (assessment.card) {
              const { rows } = await database.query<{ correlation_id: string }>(
                'select correlation_id from card_messages where stan = $1 and rrn = $2 and terminal_id = $3',
                [message.stan, message.rrn, message.terminalId],
              );
              advised[s.account]!.push(rows[0]!.correlation_id);
              if (answer.responseCode === '00') approvals[s.account]!.push(rows[0]!.correlation_id);
            }
          }
        }
        for (const [index, account] of accounts.entries()) {
          const { rows } = await database.query<{ advice: unknown; sequence: number; correlation_id: string }>(
            'select advice, sequence, correlation_id from advices where account_id = $1 order by sequence',
            [account.accountId],
          );
          expect(rows.map((row) => row.sequence)).toEqual(rows.map((_, position) => position + 1));
          expect(rows.map((row) => row.correlation_id)).toEqual(advised[index]);
          for (const row of rows) expect(Advice.safeParse(row.advice).success).toBe(true);
        }
      }),
      { numRuns: 25 },
    );
  });

  /** A 0100 on the account's card at 10:15:29 UTC on 21 November 2026 (a fresh RRN each time), with what the test says. */
  const messageOn = (
    account: SyncedAccount,
    what: Pick<CardAuthorisationRequest, 'processingCode' | 'amountMinor' | 'stan' | 'terminalId' | 'merchant' | 'posEntryMode'>,
  ): CardAuthorisationRequest => ({
    mti: '0100',
    pan: account.pan,
    expiry: '3011',
    currency: 'GBP',
    transmittedAt: '2026-11-21T10:15:29Z',
    rrn: randomBytes(6).toString('hex').toUpperCase(),
    acquirerId: '12345678',
    ...what,
  });

  test('an approval’s advice is exactly the contract’s, as the TypeScript advice log wrote it', async () => {
    const at = new Date('2026-11-21T10:15:30.123Z');
    const desk = createCardDesk({
      database,
      keys: testKeys,
      rules: fixedRules({ maxPerPaymentMinor: 50_000, maxPerAccountPerDayMinor: 90_000 }),
      now: () => at,
    });
    const account = await new SyncedAccount(database).open({ settledMinor: 40_000 });
    const message = messageOn(account, {
      processingCode: '010000',
      amountMinor: 2_000,
      stan: '004711',
      terminalId: 'ATM00001',
      merchant: { name: 'CASH POINT', categoryCode: '6011', city: 'Leeds', country: 'GB' },
      posEntryMode: 'chip',
    });
    const answer = await desk.authorise(message);
    expect(answer).toEqual({
      mti: '0110',
      stan: '004711',
      rrn: message.rrn,
      terminalId: 'ATM00001',
      responseCode: '00',
      authorisationCode: expect.stringMatching(/^[0-9A-Z]{6}$/),
      approvedAmountMinor: 2_000,
      decidedBy: 'standin',
      reason: 'approved by stand-in',
    });
    const { rows } = await database.query<{ advice: unknown }>('select advice from advices where account_id = $1', [account.accountId]);
    expect(Advice.parse(rows[0]!.advice)).toEqual({
      adviceId: expect.any(String),
      type: 'cash.withdrawn',
      accountId: account.accountId,
      sequence: 1,
      correlationId: expect.any(String),
      createdAt: '2026-11-21T10:15:30.123Z',
      schemaVersion: 1,
      payload: {
        cardId: account.cardId,
        authorisation: {
          stan: '004711',
          rrn: message.rrn,
          terminalId: 'ATM00001',
          mti: '0100',
          processingCode: '010000',
          amountMinor: 2_000,
          currency: 'GBP',
          merchant: message.merchant,
          authorisationCode: answer.authorisationCode,
          transmittedAt: '2026-11-21T10:15:29Z',
        },
      },
    });
    const own = await database.query<{ kind: string; status: string; amount_minor: string; description: string }>(
      'select kind, status, amount_minor, description from own_transactions where account_id = $1',
      [account.accountId],
    );
    expect(own.rows).toEqual([{ kind: 'cash_withdrawal', status: 'pending', amount_minor: '-2000', description: 'CASH POINT' }]);
  });

  test('a decline on a known card is advised, naming its rule, and moves no money; an unknown card is not advised', async () => {
    const at = new Date('2026-11-21T10:15:30.123Z');
    const desk = createCardDesk({
      database,
      keys: testKeys,
      rules: fixedRules({ channels: { ecommerce: { blocked: false, maxPerPaymentMinor: 10_000 } } }),
      now: () => at,
    });
    const account = await new SyncedAccount(database).open({ settledMinor: 40_000 });
    const message = messageOn(account, {
      processingCode: '000000',
      amountMinor: 25_000,
      stan: '004712',
      terminalId: 'WEB00001',
      merchant: { name: 'WEB SHOP', categoryCode: '5732', city: 'London', country: 'GB' },
      posEntryMode: 'ecommerce',
    });
    const answer = await desk.authorise(message);
    expect(answer).toMatchObject({ responseCode: '61', approvedAmountMinor: 0, reason: 'stand-in risk limit: e-commerce per payment' });
    const { rows } = await database.query<{ advice: unknown }>('select advice from advices where account_id = $1', [account.accountId]);
    expect(rows.map((row) => Advice.parse(row.advice))).toEqual([
      {
        adviceId: expect.any(String),
        type: 'card_payment.declined',
        accountId: account.accountId,
        sequence: 1,
        correlationId: expect.any(String),
        createdAt: '2026-11-21T10:15:30.123Z',
        schemaVersion: 1,
        payload: {
          cardId: account.cardId,
          authorisation: {
            stan: '004712',
            rrn: message.rrn,
            terminalId: 'WEB00001',
            mti: '0100',
            processingCode: '000000',
            amountMinor: 25_000,
            currency: 'GBP',
            merchant: message.merchant,
            transmittedAt: '2026-11-21T10:15:29Z',
            responseCode: '61',
            reason: 'stand-in risk limit: e-commerce per payment',
            rule: 'channel:ecommerce:per-payment',
          },
        },
      },
    ]);
    // A decline no rule gave (insufficient funds) names none.
    await desk.authorise({ ...message, posEntryMode: 'chip', amountMinor: 45_000, stan: '004713' });
    const second = await database.query<{ advice: { payload: { authorisation: Record<string, unknown> } } }>(
      'select advice from advices where account_id = $1 and sequence = 2',
      [account.accountId],
    );
    expect(second.rows[0]!.advice.payload.authorisation).toMatchObject({ responseCode: '51', reason: 'insufficient funds as stand-in sees them' });
    expect(second.rows[0]!.advice.payload.authorisation).not.toHaveProperty('rule');
    const own = await database.query('select 1 from own_transactions where account_id = $1', [account.accountId]);
    expect(own.rowCount).toBe(0);

    const before = await database.query<{ count: string }>('select count(*) from advices');
    const unknown = await desk.authorise({ ...message, pan: '4598760000000000', stan: '004714' });
    expect(unknown.responseCode).toBe('14');
    expect((await database.query<{ count: string }>('select count(*) from advices')).rows[0]!.count).toBe(before.rows[0]!.count);
  });

  test('concurrent repeats of one message key are decided once: one answer, one own transaction, one advice', async () => {
    const desk = createCardDesk({
      database,
      keys: testKeys,
      rules: fixedRules({ maxPerPaymentMinor: 50_000, maxPerAccountPerDayMinor: 900_000 }),
      now: () => new Date(),
    });
    const account = await new SyncedAccount(database).open({ settledMinor: 40_000 });
    const message: CardAuthorisationRequest = {
      mti: '0100',
      pan: account.pan,
      expiry: '3011',
      processingCode: '000000',
      amountMinor: 1_500,
      currency: 'GBP',
      transmittedAt: new Date().toISOString(),
      stan: '000042',
      rrn: randomBytes(6).toString('hex').toUpperCase(),
      terminalId: 'SHOP0042',
      acquirerId: '12345678',
      merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' },
      posEntryMode: 'chip',
    };
    const answers = await Promise.all(Array.from({ length: 12 }, () => desk.authorise(message)));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(answers[0]!.responseCode).toBe('00');
    const counts = await database.query<{ own: string; advices: string }>(
      'select (select count(*) from own_transactions where account_id = $1) as own, (select count(*) from advices where account_id = $1) as advices',
      [account.accountId],
    );
    expect(counts.rows[0]).toEqual({ own: '1', advices: '1' });
  });

  test('with the account locked past the budget, the answer is 91 within the budget and nothing is approved; the same message is decided afresh later', async () => {
    const pool = openDatabase(infraEndpoints().postgres.standin, 2, { statementTimeoutMs: cardStatementTimeoutMs(400) });
    const desk = createCardDesk({
      database,
      keys: testKeys,
      rules: fixedRules({ maxPerPaymentMinor: 50_000, maxPerAccountPerDayMinor: 900_000 }),
      now: () => new Date(),
      authorisations: { pool, budgetMs: 400 },
    });
    const account = await new SyncedAccount(database).open({ settledMinor: 40_000 });
    const message: CardAuthorisationRequest = {
      mti: '0100',
      pan: account.pan,
      expiry: '3011',
      processingCode: '000000',
      amountMinor: 1_500,
      currency: 'GBP',
      transmittedAt: new Date().toISOString(),
      stan: '000043',
      rrn: randomBytes(6).toString('hex').toUpperCase(),
      terminalId: 'SHOP0043',
      acquirerId: '12345678',
      merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' },
      posEntryMode: 'chip',
    };
    const holder = await database.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [account.accountId]);
      const started = performance.now();
      const answer = await desk.authorise(message);
      const tookMs = performance.now() - started;
      expect(answer).toMatchObject({ responseCode: '91', approvedAmountMinor: 0, decidedBy: 'standin' });
      expect(tookMs).toBeLessThan(400);
      await holder.query('commit');
    } finally {
      holder.release();
    }
    const stored = await database.query('select 1 from card_messages where stan = $1 and rrn = $2 and terminal_id = $3', [
      message.stan,
      message.rrn,
      message.terminalId,
    ]);
    expect(stored.rowCount).toBe(0);
    expect((await desk.authorise(message)).responseCode).toBe('00');
    await pool.end();
  });

  test('with its database backend paused (SIGSTOP) mid-call, stand-in answers 91 only once it has made sure nothing can be approved, and nothing is after the resume', async () => {
    const pool = openDatabase(infraEndpoints().postgres.standin, 1, { statementTimeoutMs: cardStatementTimeoutMs(400) });
    const desk = createCardDesk({
      database,
      keys: testKeys,
      rules: fixedRules({ maxPerPaymentMinor: 50_000, maxPerAccountPerDayMinor: 900_000 }),
      now: () => new Date(),
      authorisations: { pool, budgetMs: 400 },
    });
    const account = await new SyncedAccount(database).open({ settledMinor: 40_000 });
    const message: CardAuthorisationRequest = {
      mti: '0100',
      pan: account.pan,
      expiry: '3011',
      processingCode: '000000',
      amountMinor: 1_500,
      currency: 'GBP',
      transmittedAt: new Date().toISOString(),
      stan: '000044',
      rrn: randomBytes(6).toString('hex').toUpperCase(),
      terminalId: 'SHOP0044',
      acquirerId: '12345678',
      merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' },
      posEntryMode: 'chip',
    };
    // The pool's one connection, whose backend the call will be sent to.
    const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    const backend = rows[0]!.pid;
    process.kill(backend, 'SIGSTOP');
    let answer;
    try {
      answer = await desk.authorise(message);
    } finally {
      process.kill(backend, 'SIGCONT');
    }
    expect(answer).toMatchObject({ responseCode: '91', approvedAmountMinor: 0 });
    // The paused backend, resumed, still runs the call it was sent: it must find the 91 stored and approve nothing.
    for (let waited = 0; waited < 50; waited++) {
      const running = await database.query('select 1 from pg_stat_activity where pid = $1', [backend]);
      if (running.rowCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const own = await database.query('select 1 from own_transactions where account_id = $1', [account.accountId]);
    expect(own.rowCount).toBe(0);
    const stored = await database.query<{ response: { responseCode: string } }>(
      'select response from card_messages where stan = $1 and rrn = $2 and terminal_id = $3',
      [message.stan, message.rrn, message.terminalId],
    );
    expect(stored.rows.map((row) => row.response.responseCode)).toEqual(['91']);
    expect(await desk.authorise(message)).toEqual(answer);
    await pool.end();
  });
});
