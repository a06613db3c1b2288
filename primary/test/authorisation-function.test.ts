import fc from 'fast-check';
import { PrimaryEvent, parseContract, type CardStatus } from '@bank/shared-contracts';
import { decideAuthorisation, transactionTypeOf, type AuthorisationFacts } from '../src/card-processor/authorisation-decision';
import { infraEndpoints } from '@bank/infra';
import { authoriseInDatabase, RolledBackAtDeadline } from '../src/card-processor/authorise-in-database';
import { createPool } from '../src/platform/db';
import { authorisation, startPrimary, type TestPrimary } from './harness';

// Issue 15: primary's authorisation is decided in the database (card_authorise, a PL/pgSQL
// function) and `decideAuthorisation` stays its specification. These properties hold the two to the
// same answers: the decision rules alone on random facts, and the whole function on random
// accounts, cards and messages against the real PostgreSQL, with what it writes checked too.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const NOW = '2026-11-21T12:00:00Z';
afterEach(() => primary.clock.set(NOW));

const expiryArbitrary = fc
  .tuple(fc.integer({ min: 20, max: 35 }), fc.integer({ min: 1, max: 12 }))
  .map(([year, month]) => `${year}${String(month).padStart(2, '0')}`);
const typeArbitrary = fc.constantFrom('purchase', 'cash', 'refund', 'unsupported') as fc.Arbitrary<AuthorisationFacts['type']>;
const statusArbitrary = fc.constantFrom<CardStatus>('active', 'active', 'active', 'frozen', 'cancelled');

test('the SQL decision gives the same response code and reason as decideAuthorisation on random facts', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.option(fc.record({ status: statusArbitrary, expiry: expiryArbitrary, dailyCashLimitMinor: fc.integer({ min: 0, max: 100_000 }) }), { freq: 8 }),
      fc.boolean(),
      expiryArbitrary,
      typeArbitrary,
      fc.integer({ min: 1, max: 200_000 }),
      fc.constantFrom('GBP', 'GBP', 'EUR'),
      fc.integer({ min: -50_000, max: 200_000 }),
      fc.integer({ min: 0, max: 100_000 }),
      // Around month ends and the expiry boundaries, in UTC.
      fc.date({ min: new Date('2019-12-31T23:00:00Z'), max: new Date('2036-01-01T01:00:00Z'), noInvalidDate: true }),
      async (card, sameExpiry, otherExpiry, type, amountMinor, currency, availableMinor, cashTodayMinor, now) => {
        const facts: AuthorisationFacts = {
          card: card ?? undefined,
          requestExpiry: sameExpiry && card ? card.expiry : otherExpiry,
          type,
          amountMinor,
          currency,
          availableMinor,
          cashTodayMinor,
          now,
        };
        const { rows } = await primary.db.query<{ response_code: string; reason: string }>(
          'select * from card_authorisation_decision($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
          [
            card !== null,
            card?.status ?? null,
            card?.expiry ?? null,
            card?.dailyCashLimitMinor ?? null,
            facts.requestExpiry,
            type,
            amountMinor,
            currency,
            availableMinor,
            cashTodayMinor,
            now,
          ],
        );
        const expected = decideAuthorisation(facts);
        expect({ responseCode: rows[0]!.response_code, reason: rows[0]!.reason }).toEqual(expected);
      },
    ),
    { numRuns: 400 },
  );
});

const PROCESSING_CODES = { purchase: '000000', cash: '010000', refund: '200000', unsupported: '300000' } as const;

test('the whole authorisation in the database answers as the specification says, moves exactly what it approved, and announces it with valid events', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        fundedMinor: fc.integer({ min: 0, max: 30_000 }),
        overdraftLimitMinor: fc.constantFrom(0, 0, 5_000),
        dailyCashLimitMinor: fc.integer({ min: 0, max: 40_000 }),
        cashAlreadyMinor: fc.constantFrom(0, 0, 10_000),
        status: statusArbitrary,
        type: fc.constantFrom<keyof typeof PROCESSING_CODES>('purchase', 'purchase', 'cash', 'refund', 'unsupported'),
        mti: fc.constantFrom<'0100' | '0200'>('0100', '0100', '0200'),
        amountMinor: fc.integer({ min: 1, max: 40_000 }),
        currency: fc.constantFrom('GBP', 'GBP', 'GBP', 'EUR'),
        wrongExpiry: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
        afterExpiry: fc.integer({ min: 0, max: 4 }).map((draw) => draw === 0),
      }),
      async (scenario) => {
        const account = await primary.openAccount(scenario.overdraftLimitMinor);
        if (scenario.fundedMinor > 0) await primary.fund(account, scenario.fundedMinor);
        const card = await primary.issueCard(account.id, scenario.dailyCashLimitMinor);
        if (scenario.cashAlreadyMinor > 0) {
          await primary.call('POST', '/scheme/card/authorisations', {
            body: authorisation(card, scenario.cashAlreadyMinor, { mti: '0200', processingCode: '010000' }),
          });
        }
        if (scenario.status !== 'active')
          await primary.call('POST', `/cards/${card.id}/${scenario.status === 'frozen' ? 'freeze' : 'cancel'}`, { token: account.token });
        if (scenario.afterExpiry) primary.clock.set(new Date(Date.UTC(2000 + Number(card.expiry.slice(0, 2)), Number(card.expiry.slice(2, 4)), 1)));

        // The facts as the specification needs them, read before the message.
        const before = await primary.balance(account.id);
        const cashToday = await primary.db.query<{ total: string }>(
          "select coalesce(sum(outstanding_minor), 0) as total from card_authorisations where card_id = $1 and approved and processing_code like '01%' and created_at >= date_trunc('day', $2::timestamptz at time zone 'UTC') at time zone 'UTC'",
          [card.id, primary.clock.now()],
        );
        const eventsBefore = Number(
          (await primary.db.query<{ count: string }>('select count(*) from outbox_events where account_id = $1', [account.id])).rows[0]!.count,
        );
        const message = authorisation(card, scenario.amountMinor, {
          mti: scenario.mti,
          processingCode: PROCESSING_CODES[scenario.type],
          currency: scenario.currency,
          ...(scenario.wrongExpiry ? { expiry: card.expiry === '3012' ? '3011' : '3012' } : {}),
        });
        const expected = decideAuthorisation({
          card: { status: scenario.status, expiry: card.expiry, dailyCashLimitMinor: scenario.dailyCashLimitMinor },
          requestExpiry: message.expiry,
          type: transactionTypeOf(message.processingCode),
          amountMinor: scenario.amountMinor,
          currency: scenario.currency,
          availableMinor: before.availableMinor,
          cashTodayMinor: Number(cashToday.rows[0]!.total),
          now: primary.clock.now(),
        });

        const answer = await primary.call('POST', '/scheme/card/authorisations', { body: message });
        expect(answer.status).toBe(200);
        expect({ responseCode: answer.body.responseCode, reason: answer.body.reason }).toEqual(expected);
        expect(answer.body).toMatchObject({
          mti: scenario.mti === '0100' ? '0110' : '0210',
          stan: message.stan,
          rrn: message.rrn,
          terminalId: message.terminalId,
          decidedBy: 'primary',
        });
        const approved = expected.responseCode === '00';
        expect(answer.body.approvedAmountMinor).toBe(approved ? scenario.amountMinor : 0);
        expect(answer.body.authorisationCode === undefined).toBe(!approved);

        // What moved: a hold for a dual message, a posting for a single one, nothing for a refund or a decline.
        const after = await primary.balance(account.id);
        const moves = approved && scenario.type !== 'refund';
        expect(after.heldMinor - before.heldMinor).toBe(moves && scenario.mti === '0100' ? scenario.amountMinor : 0);
        expect(after.settledMinor - before.settledMinor).toBe(moves && scenario.mti === '0200' ? -scenario.amountMinor : 0);

        // Its events: valid by the contract, gap-free in the account's sequence, one balance change if money moved, one feed entry.
        const { rows: events } = await primary.db.query<{ event: unknown; sequence: number }>(
          'select event, sequence from outbox_events where account_id = $1 order by sequence',
          [account.id],
        );
        events.forEach((row, index) => expect(row.sequence).toBe(index + 1));
        const added = events.slice(eventsBefore).map((row) => parseContract('event', PrimaryEvent, row.event));
        expect(added.map((event) => event.type)).toEqual([...(moves ? ['balance.changed'] : []), 'transaction.recorded']);
        const recorded = added.at(-1)!;
        expect(recorded.type === 'transaction.recorded' && recorded.payload).toMatchObject({
          status: !approved ? 'declined' : moves && scenario.mti === '0200' ? 'settled' : 'pending',
          amountMinor: scenario.type === 'refund' ? scenario.amountMinor : -scenario.amountMinor,
          cardId: card.id,
          merchant: message.merchant,
        });

        // A repeat hears the same answer, byte for byte, and moves nothing.
        const repeat = await primary.call('POST', '/scheme/card/authorisations', { body: message });
        expect(repeat.body).toEqual(answer.body);
        expect(await primary.balance(account.id)).toEqual(after);
      },
    ),
    { numRuns: 40 },
  );
}, 120_000);

test('when many copies of one message race, then exactly one decision is recorded, one feed entry and one hold, and every copy hears its answer', async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const card = await primary.issueCard(account.id);
  const message = authorisation(card, 700);
  const answers = await Promise.all(Array.from({ length: 16 }, () => primary.call('POST', '/scheme/card/authorisations', { body: message })));
  expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
  expect(answers[0]!.body.responseCode).toBe('00');
  expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 700 });
  const counts = await primary.db.query<{ authorisations: string; feed: string; holds: string }>(
    `select (select count(*) from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3) as authorisations,
            (select count(*) from transactions where card_id = $4) as feed,
            (select count(*) from holds where ledger_account_id = $5) as holds`,
    [message.stan, message.rrn, message.terminalId, card.id, account.id],
  );
  expect(counts.rows[0]).toEqual({ authorisations: '1', feed: '1', holds: '1' });
});

test('when the deadline it is given has already passed, then the database decides nothing and records nothing', async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const card = await primary.issueCard(account.id);
  const message = authorisation(card, 700);
  await expect(primary.services.cardProcessor.authorise(message, { deadlineAt: new Date(Date.now() - 1), budgetMs: 1_000 })).rejects.toMatchObject({
    name: 'RolledBackAtDeadline',
  });
  expect(await primary.services.cardProcessor.storedAnswer(message)).toBeUndefined();
  expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 0 });
});

test('when its deadline passes while it waits for a connection, then the authorisation is never sent to the database (an overloaded pool does not spend round trips on answers nobody waits for)', async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const card = await primary.issueCard(account.id);
  let roundTrips = 0;
  const pool = createPool(infraEndpoints().postgres.primary, { maxConnections: 1, onRoundTrip: () => roundTrips++ });
  try {
    const busy = pool.query('select pg_sleep(0.3)');
    const message = authorisation(card, 700);
    await expect(
      authoriseInDatabase(pool, message, {
        panIndex: primary.services.cards.panIndexOf(card.pan),
        now: primary.clock.now(),
        deadlineAt: new Date(Date.now() + 100),
        budgetMs: 100,
      }),
    ).rejects.toBeInstanceOf(RolledBackAtDeadline);
    await busy;
    expect(roundTrips).toBe(1);
    expect(await primary.services.cardProcessor.storedAnswer(message)).toBeUndefined();
  } finally {
    await pool.end();
  }
});
