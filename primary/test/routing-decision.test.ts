import fc from 'fast-check';
import pino from 'pino';
import {
  CardAuthorisationResponse,
  CardReversalResponse,
  INITIAL_CONFIGURATION,
  StandinComponent,
  cohortDay,
  dailyCohortBucket,
  userBucket,
  type CardAuthorisationRequest,
  type CardReversalRequest,
  type ConfigurationDocument,
  type Targeting,
} from '@bank/shared-contracts';
import { PrimaryError } from '../src/platform/errors';
import { fixedClock } from '../src/platform/clock';
import { createMetrics } from '../src/platform/metrics';
import { createPaymentRouter, type PaymentOwners } from '../src/routing/payment-router';
import { cardAuthorisationComponent, destinationFor, nobodyOnStandin, userDecides } from '../src/routing/routing-decision';
import { StandinDidNotAnswer, type ForwardedMessage, type StandinProxy } from '../src/routing/standin-proxy';

// The routing rule without I/O, and the router's promise that routing costs nothing when the
// answer cannot depend on the user.

const userId = fc.stringMatching(/^[0-9A-Za-z_-]{1,64}$/);
const component = fc.constantFrom(...StandinComponent.options);
const targeting: fc.Arbitrary<Targeting> = fc.oneof(
  fc.constant({ mode: 'nobody' as const }),
  fc.constant({ mode: 'everyone' as const }),
  fc.record({ mode: fc.constant('users' as const), userIds: fc.array(userId, { minLength: 1, maxLength: 20 }) }),
  // The ends of the range on purpose: 0 % and 100 % are where shortcuts go wrong.
  fc.record({ mode: fc.constant('percent' as const), percent: fc.oneof(fc.constantFrom(0, 1, 99, 100), fc.integer({ min: 0, max: 100 })) }),
);

function documentWith(components: Partial<ConfigurationDocument['components']>, dailyCohort = 0): ConfigurationDocument {
  return { ...INITIAL_CONFIGURATION, version: 1, components: { ...INITIAL_CONFIGURATION.components, ...components }, dailyCohort: { percent: dailyCohort } };
}

/** Midday in London: the cohort's day is 2026-11-21 (GMT, so also the UTC date). */
const NOW = new Date('2026-11-21T12:00:00Z');
/** What the cohort moves: card spending and the app; not refunds (stand-in declines them) nor Faster Payments. */
const inCohortScope = (which: string) => which === 'cardPaymentsOutbound' || which === 'app';
const instant = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true });

describe('routing decision', () => {
  test('property: raising the percentage never moves a user back to primary', () => {
    fc.assert(
      fc.property(userId, component, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (user, which, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const before = destinationFor(documentWith({ [which]: { mode: 'percent', percent: low } }), which, user, NOW);
        const after = destinationFor(documentWith({ [which]: { mode: 'percent', percent: high } }), which, user, NOW);
        return before === 'primary' || after === 'standin';
      }),
    );
  });

  test('property: a percentage sends exactly the users whose bucket is below it', () => {
    fc.assert(
      fc.property(userId, component, fc.integer({ min: 0, max: 100 }), (user, which, percent) => {
        const destination = destinationFor(documentWith({ [which]: { mode: 'percent', percent } }), which, user, NOW);
        expect(destination).toBe(userBucket(user) < percent ? 'standin' : 'primary');
      }),
    );
  });

  test('property: a users list sends exactly the listed users to stand-in', () => {
    fc.assert(
      fc.property(fc.array(userId, { minLength: 1, maxLength: 20 }), userId, component, (listed, other, which) => {
        const document = documentWith({ [which]: { mode: 'users', userIds: listed } });
        for (const user of listed) expect(destinationFor(document, which, user, NOW)).toBe('standin');
        expect(destinationFor(document, which, other, NOW)).toBe(listed.includes(other) ? 'standin' : 'primary');
        // A message whose owner is unknown (an unknown card) stays with primary, which declines it.
        expect(destinationFor(document, which, undefined, NOW)).toBe('primary');
      }),
    );
  });

  test('property: a component is routed by its own targeting only; the other directions do not matter', () => {
    fc.assert(
      fc.property(
        component,
        targeting,
        fc.array(targeting, { minLength: 5, maxLength: 5 }),
        fc.option(userId, { nil: undefined }),
        (which, own, others, user) => {
          const components = Object.fromEntries(StandinComponent.options.map((name, index) => [name, others[index]!])) as ConfigurationDocument['components'];
          const alone = documentWith({ [which]: own });
          const amongOthers = { ...alone, components: { ...components, [which]: own } };
          expect(destinationFor(amongOthers, which, user, NOW)).toBe(destinationFor(alone, which, user, NOW));
        },
      ),
    );
  });

  test('property: when the user cannot change the answer, every user (and no user) gets the same one, so skipping the lookup is safe', () => {
    fc.assert(
      fc.property(targeting, component, userId, fc.constantFrom(0, 0, 1, 5, 100), instant, (rule, which, user, cohort, now) => {
        const document = documentWith({ [which]: rule }, cohort);
        fc.pre(!userDecides(document, which));
        expect(destinationFor(document, which, user, now)).toBe(destinationFor(document, which, undefined, now));
      }),
    );
  });

  test('nobody is primary and everyone is stand-in, whoever the user', () => {
    expect(destinationFor(documentWith({ cardPaymentsOutbound: { mode: 'nobody' } }), 'cardPaymentsOutbound', 'alice', NOW)).toBe('primary');
    expect(destinationFor(documentWith({ cardPaymentsOutbound: { mode: 'everyone' } }), 'cardPaymentsOutbound', undefined, NOW)).toBe('standin');
  });

  test('property: with a daily cohort and no targeting, card spending and the app go to stand-in exactly for the users whose bucket of the day is below it; refunds and Faster Payments never', () => {
    fc.assert(
      fc.property(userId, component, fc.integer({ min: 0, max: 100 }), instant, (user, which, percent, now) => {
        const inCohort = dailyCohortBucket(user, cohortDay(now)) < percent;
        const expected = inCohortScope(which) && inCohort ? 'standin' : 'primary';
        expect(destinationFor(documentWith({}, percent), which, user, now)).toBe(expected);
      }),
    );
  });

  test("property: the cohort adds to a component's targeting and never takes anyone off stand-in", () => {
    fc.assert(
      fc.property(userId, component, targeting, fc.integer({ min: 0, max: 100 }), instant, (user, which, rule, percent, now) => {
        const byTargeting = destinationFor(documentWith({ [which]: rule }), which, user, now);
        const withCohort = destinationFor(documentWith({ [which]: rule }, percent), which, user, now);
        const cohortCounts = inCohortScope(which) && dailyCohortBucket(user, cohortDay(now)) < percent;
        expect(withCohort).toBe(byTargeting === 'standin' || cohortCounts ? 'standin' : 'primary');
      }),
    );
  });

  test('a cohort member whose card primary does not know (no user) stays with primary, even at 100 %', () => {
    expect(destinationFor(documentWith({}, 100), 'cardPaymentsOutbound', undefined, NOW)).toBe('primary');
  });

  test.each([
    // GMT: London's midnight is UTC's.
    ['winter', '2026-11-21T23:59:59.999Z', '2026-11-22T00:00:00.000Z', '2026-11-21', '2026-11-22'],
    // BST: London's day turns at 23:00 UTC.
    ['summer', '2026-07-01T22:59:59.999Z', '2026-07-01T23:00:00.000Z', '2026-07-01', '2026-07-02'],
  ])("in %s the cohort changes at midnight in London, to the users the next day's hash names", (_season, before, after, dayBefore, dayAfter) => {
    const users = Array.from({ length: 2_000 }, (_, index) => `customer-${index}`);
    const document = documentWith({}, 5);
    const cohort = (at: string) => users.filter((user) => destinationFor(document, 'cardPaymentsOutbound', user, new Date(at)) === 'standin');
    expect(cohort(before)).toEqual(users.filter((user) => dailyCohortBucket(user, dayBefore) < 5));
    expect(cohort(after)).toEqual(users.filter((user) => dailyCohortBucket(user, dayAfter) < 5));
    expect(cohort(after)).not.toEqual(cohort(before));
    // Roughly 5 % each day (2,000 users: 100 expected).
    expect(cohort(before).length).toBeGreaterThan(50);
    expect(cohort(before).length).toBeLessThan(150);
  });

  test("in summer, UTC's midnight (01:00 in London) does not rotate the cohort", () => {
    const document = documentWith({}, 5);
    const users = Array.from({ length: 500 }, (_, index) => `customer-${index}`);
    const cohort = (at: string) => users.filter((user) => destinationFor(document, 'app', user, new Date(at)) === 'standin');
    expect(cohort('2026-07-02T00:30:00Z')).toEqual(cohort('2026-07-01T23:30:00Z'));
  });

  test('a cohort makes the user matter for card spending and the app, not for refunds or Faster Payments; with everyone on stand-in it never does', () => {
    const cohort = documentWith({}, 5);
    expect(userDecides(cohort, 'cardPaymentsOutbound')).toBe(true);
    expect(userDecides(cohort, 'cardPaymentsInbound')).toBe(false);
    expect(userDecides(cohort, 'app')).toBe(true);
    expect(userDecides(cohort, 'fasterPaymentsInbound')).toBe(false);
    expect(userDecides(cohort, 'fasterPaymentsOutbound')).toBe(false);
    expect(userDecides(documentWith({ cardPaymentsOutbound: { mode: 'everyone' } }, 5), 'cardPaymentsOutbound')).toBe(false);
    expect(userDecides(documentWith({}), 'cardPaymentsOutbound')).toBe(false);
    expect(nobodyOnStandin(documentWith({}), 'cardPaymentsOutbound')).toBe(true);
    expect(nobodyOnStandin(documentWith({ cardPaymentsOutbound: { mode: 'percent', percent: 0 } }), 'cardPaymentsOutbound')).toBe(true);
    expect(nobodyOnStandin(cohort, 'cardPaymentsOutbound')).toBe(false);
    expect(nobodyOnStandin(cohort, 'fasterPaymentsOutbound')).toBe(true);
  });

  test.each([
    ['000000', 'cardPaymentsOutbound'],
    ['010000', 'cardPaymentsOutbound'],
    ['200000', 'cardPaymentsInbound'],
    ['203000', 'cardPaymentsInbound'],
  ])('a card authorisation with processing code %s belongs to %s', (code, expected) => {
    expect(cardAuthorisationComponent(code)).toBe(expected);
  });
});

const authorisation: CardAuthorisationRequest = {
  mti: '0200',
  pan: '4598760000000001',
  expiry: '2911',
  processingCode: '010000',
  amountMinor: 2_000,
  currency: 'GBP',
  transmittedAt: '2026-11-21T12:00:00Z',
  stan: '000123',
  rrn: 'ABCDEF123456',
  terminalId: 'ATM00001',
  acquirerId: '12345678',
  merchant: { name: 'HIGH STREET ATM', categoryCode: '6011', city: 'London', country: 'GB' },
  posEntryMode: 'chip',
};
const reversal: CardReversalRequest = {
  mti: '0420',
  pan: authorisation.pan,
  original: { stan: '000123', rrn: 'ABCDEF123456', terminalId: 'ATM00001' },
  amountMinor: 2_000,
  currency: 'GBP',
  transmittedAt: '2026-11-21T12:00:05Z',
  stan: '000124',
  rrn: 'ABCDEF123457',
  terminalId: 'ATM00001',
};
const message: ForwardedMessage = { path: '/scheme/card/authorisations', body: authorisation };

/** A router over stubs that count what it asks for. */
function routerWith(document: ConfigurationDocument, options: { standin?: StandinProxy; owner?: string; holds?: boolean } = {}) {
  const asked = { ofCard: 0, ofAccount: 0, holds: 0, forwarded: 0, customer: 0 };
  const owners: PaymentOwners = {
    ofCard: async () => (asked.ofCard++, options.owner),
    ofAccount: async () => (asked.ofAccount++, options.owner),
  };
  const standin: StandinProxy = options.standin ?? {
    forward: async () => (asked.forwarded++, { statusCode: 200, body: { from: 'standin' } }),
    close: () => undefined,
  };
  const router = createPaymentRouter({
    configuration: { current: () => document },
    owners,
    primaryHoldsAuthorisation: async () => (asked.holds++, options.holds ?? false),
    standin: { forward: (forwarded) => standin.forward(forwarded), close: () => undefined },
    clock: fixedClock(NOW),
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
  });
  const customer = async () => (asked.customer++, options.owner ?? 'nobody-in-particular');
  return { router, asked, customer };
}

const everyComponent = (rule: Targeting) => documentWith(Object.fromEntries(StandinComponent.options.map((name) => [name, rule])));
const silentStandin: StandinProxy = {
  forward: async () => {
    throw new StandinDidNotAnswer('timeout', 'stand-in did not answer in time');
  },
  close: () => undefined,
};

describe('payment router', () => {
  test('when every payment component is off, then no message costs a lookup and nothing goes to stand-in', async () => {
    const { router, asked, customer } = routerWith(INITIAL_CONFIGURATION, { owner: 'alice' });
    expect(await router.cardAuthorisation(authorisation, message)).toEqual({ destination: 'primary' });
    expect(await router.cardReversal(reversal, message)).toEqual({ destination: 'primary' });
    expect(
      await router.fasterPaymentInbound(
        {
          fpsId: 'FPS-00000001',
          amountMinor: 1,
          currency: 'GBP',
          debtor: { sortCode: '200000', accountNumber: '55779911', name: 'A' },
          creditor: { sortCode: '608371', accountNumber: '12345678', name: 'B' },
          reference: '',
          sentAt: '2026-11-21T12:00:00Z',
        },
        message,
      ),
    ).toEqual({ destination: 'primary' });
    expect(await router.appTransfer(message, customer)).toEqual({ destination: 'primary' });
    expect(asked).toEqual({ ofCard: 0, ofAccount: 0, holds: 0, forwarded: 0, customer: 0 });
  });

  test("when a daily cohort is on (targeting nobody), then a card message's owner is looked up and it goes where today's cohort says; Faster Payments still cost nothing", async () => {
    const day = cohortDay(NOW);
    const candidates = Array.from({ length: 1_000 }, (_, index) => `customer-${index}`);
    const member = candidates.find((user) => dailyCohortBucket(user, day) < 5)!;
    const outsider = candidates.find((user) => dailyCohortBucket(user, day) >= 5)!;
    const cohort = documentWith({}, 5);

    const inside = routerWith(cohort, { owner: member });
    expect((await inside.router.cardAuthorisation(authorisation, message)).destination).toBe('standin');
    // Refunds stay with primary (stand-in declines them by design), without a lookup.
    expect((await inside.router.cardAuthorisation({ ...authorisation, processingCode: '200000' }, message)).destination).toBe('primary');
    // A reversal can no longer skip asking whether primary holds the original.
    expect((await inside.router.cardReversal(reversal, message)).destination).toBe('standin');
    const fps = {
      fpsId: 'FPS-00000002',
      amountMinor: 1,
      currency: 'GBP' as const,
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'A' },
      creditor: { sortCode: '608371', accountNumber: '12345678', name: 'B' },
      reference: '',
      sentAt: '2026-11-21T12:00:00Z',
    };
    expect(await inside.router.fasterPaymentInbound(fps, message)).toEqual({ destination: 'primary' });
    expect(await inside.router.appTransfer(message, inside.customer)).toEqual({ destination: 'primary' });
    expect(inside.asked).toEqual({ ofCard: 2, ofAccount: 0, holds: 1, forwarded: 2, customer: 0 });

    const outside = routerWith(cohort, { owner: outsider });
    expect(await outside.router.cardAuthorisation(authorisation, message)).toEqual({ destination: 'primary' });
    expect(outside.asked).toMatchObject({ ofCard: 1, forwarded: 0 });
  });

  test('when a component is on for everyone, then its messages go to stand-in without looking up whose they are', async () => {
    const { router, asked, customer } = routerWith(everyComponent({ mode: 'everyone' }));
    expect(await router.cardAuthorisation(authorisation, message)).toEqual({ destination: 'standin', answer: { statusCode: 200, body: { from: 'standin' } } });
    expect((await router.appTransfer(message, customer)).destination).toBe('standin');
    expect(asked).toMatchObject({ ofCard: 0, ofAccount: 0, customer: 0, forwarded: 2 });
  });

  test('when a component is on for a list, then the owner is looked up once and only a listed owner goes to stand-in', async () => {
    const listed = routerWith(everyComponent({ mode: 'users', userIds: ['alice'] }), { owner: 'alice' });
    expect((await listed.router.cardAuthorisation(authorisation, message)).destination).toBe('standin');
    expect(listed.asked).toMatchObject({ ofCard: 1, forwarded: 1 });
    const unlisted = routerWith(everyComponent({ mode: 'users', userIds: ['alice'] }), { owner: 'bob' });
    expect((await unlisted.router.cardAuthorisation(authorisation, message)).destination).toBe('primary');
    expect(unlisted.asked).toMatchObject({ ofCard: 1, forwarded: 0 });
  });

  test('when card spending is on stand-in for 100 %, then a card nobody owns (unknown to primary) still stays with primary, which declines it', async () => {
    const { router, asked } = routerWith(everyComponent({ mode: 'percent', percent: 100 }), { owner: undefined });
    expect(await router.cardAuthorisation(authorisation, message)).toEqual({ destination: 'primary' });
    expect(asked).toMatchObject({ ofCard: 1, forwarded: 0 });
  });

  test('when primary holds the original authorisation, then primary reverses it even if its owner is now on stand-in', async () => {
    const { router, asked } = routerWith(everyComponent({ mode: 'everyone' }), { holds: true });
    expect(await router.cardReversal(reversal, message)).toEqual({ destination: 'primary' });
    expect(asked).toMatchObject({ holds: 1, forwarded: 0 });
  });

  test('when stand-in does not answer an authorisation, then the network hears 91 from primary, echoing its message, and nothing is approved', async () => {
    const { router } = routerWith(everyComponent({ mode: 'everyone' }), { standin: silentStandin });
    const routed = await router.cardAuthorisation(authorisation, message);
    expect(routed.destination).toBe('standin');
    if (routed.destination !== 'standin') return;
    expect(routed.answer.statusCode).toBe(200);
    const answer = CardAuthorisationResponse.parse(routed.answer.body);
    expect(answer).toMatchObject({
      mti: '0210',
      stan: '000123',
      rrn: 'ABCDEF123456',
      terminalId: 'ATM00001',
      responseCode: '91',
      approvedAmountMinor: 0,
      decidedBy: 'primary',
    });
    expect(answer.reason).toContain('did not answer in time');
  });

  test('when stand-in does not answer a reversal advice, then it is not acknowledged (0430, 91) so the network sends it again', async () => {
    const { router } = routerWith(everyComponent({ mode: 'everyone' }), { standin: silentStandin });
    const routed = await router.cardReversal(reversal, message);
    if (routed.destination !== 'standin') throw new Error('expected the reversal to be routed to stand-in');
    expect(CardReversalResponse.parse(routed.answer.body)).toMatchObject({ mti: '0430', stan: '000124', responseCode: '91', decidedBy: 'primary' });
  });

  test('when stand-in does not answer a transfer, then the app gets a 503 telling it to retry with the same Idempotency-Key', async () => {
    const { router, customer } = routerWith(everyComponent({ mode: 'everyone' }), { standin: silentStandin });
    const failure = await router.appTransfer(message, customer).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PrimaryError);
    expect(failure).toMatchObject({ statusCode: 503, code: 'PRIMARY_STANDIN_UNAVAILABLE' });
    expect((failure as Error).message).toContain('same Idempotency-Key');
  });
});
