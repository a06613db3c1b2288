import fc from 'fast-check';
import pino from 'pino';
import {
  CardAuthorisationResponse,
  CardReversalResponse,
  INITIAL_CONFIGURATION,
  StandinComponent,
  userBucket,
  type CardAuthorisationRequest,
  type CardReversalRequest,
  type ConfigurationDocument,
  type Targeting,
} from '@bank/shared-contracts';
import { PrimaryError } from '../src/platform/errors';
import { createMetrics } from '../src/platform/metrics';
import { createPaymentRouter, type PaymentOwners } from '../src/routing/payment-router';
import { cardAuthorisationComponent, destinationFor, userDecides } from '../src/routing/routing-decision';
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

function documentWith(components: Partial<ConfigurationDocument['components']>): ConfigurationDocument {
  return { ...INITIAL_CONFIGURATION, version: 1, components: { ...INITIAL_CONFIGURATION.components, ...components } };
}

describe('routing decision', () => {
  test('property: raising the percentage never moves a user back to primary', () => {
    fc.assert(
      fc.property(userId, component, fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (user, which, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const before = destinationFor(documentWith({ [which]: { mode: 'percent', percent: low } }), which, user);
        const after = destinationFor(documentWith({ [which]: { mode: 'percent', percent: high } }), which, user);
        return before === 'primary' || after === 'standin';
      }),
    );
  });

  test("property: a percentage sends exactly the users whose bucket is below it", () => {
    fc.assert(
      fc.property(userId, component, fc.integer({ min: 0, max: 100 }), (user, which, percent) => {
        const destination = destinationFor(documentWith({ [which]: { mode: 'percent', percent } }), which, user);
        expect(destination).toBe(userBucket(user) < percent ? 'standin' : 'primary');
      }),
    );
  });

  test('property: a users list sends exactly the listed users to stand-in', () => {
    fc.assert(
      fc.property(fc.array(userId, { minLength: 1, maxLength: 20 }), userId, component, (listed, other, which) => {
        const document = documentWith({ [which]: { mode: 'users', userIds: listed } });
        for (const user of listed) expect(destinationFor(document, which, user)).toBe('standin');
        expect(destinationFor(document, which, other)).toBe(listed.includes(other) ? 'standin' : 'primary');
        // A message whose owner is unknown (an unknown card) stays with primary, which declines it.
        expect(destinationFor(document, which, undefined)).toBe('primary');
      }),
    );
  });

  test('property: a component is routed by its own targeting only; the other directions do not matter', () => {
    fc.assert(
      fc.property(component, targeting, fc.array(targeting, { minLength: 5, maxLength: 5 }), fc.option(userId, { nil: undefined }), (which, own, others, user) => {
        const components = Object.fromEntries(StandinComponent.options.map((name, index) => [name, others[index]!])) as ConfigurationDocument['components'];
        const alone = documentWith({ [which]: own });
        const amongOthers = { ...alone, components: { ...components, [which]: own } };
        expect(destinationFor(amongOthers, which, user)).toBe(destinationFor(alone, which, user));
      }),
    );
  });

  test('property: when the user cannot change the answer, every user (and no user) gets the same one, so skipping the lookup is safe', () => {
    fc.assert(
      fc.property(targeting, component, userId, (rule, which, user) => {
        fc.pre(!userDecides(rule));
        const document = documentWith({ [which]: rule });
        expect(destinationFor(document, which, user)).toBe(destinationFor(document, which, undefined));
      }),
    );
  });

  test('nobody is primary and everyone is stand-in, whoever the user', () => {
    expect(destinationFor(documentWith({ cardPaymentsOutbound: { mode: 'nobody' } }), 'cardPaymentsOutbound', 'alice')).toBe('primary');
    expect(destinationFor(documentWith({ cardPaymentsOutbound: { mode: 'everyone' } }), 'cardPaymentsOutbound', undefined)).toBe('standin');
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
  const standin: StandinProxy = options.standin ?? { forward: async () => (asked.forwarded++, { statusCode: 200, body: { from: 'standin' } }), close: () => undefined };
  const router = createPaymentRouter({
    configuration: { current: () => document },
    owners,
    primaryHoldsAuthorisation: async () => (asked.holds++, options.holds ?? false),
    standin: { forward: (forwarded) => standin.forward(forwarded), close: () => undefined },
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
    expect(await router.fasterPaymentInbound({ fpsId: 'FPS-00000001', amountMinor: 1, currency: 'GBP', debtor: { sortCode: '200000', accountNumber: '55779911', name: 'A' }, creditor: { sortCode: '608371', accountNumber: '12345678', name: 'B' }, reference: '', sentAt: '2026-11-21T12:00:00Z' }, message)).toEqual({ destination: 'primary' });
    expect(await router.appTransfer(message, customer)).toEqual({ destination: 'primary' });
    expect(asked).toEqual({ ofCard: 0, ofAccount: 0, holds: 0, forwarded: 0, customer: 0 });
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
    expect(answer).toMatchObject({ mti: '0210', stan: '000123', rrn: 'ABCDEF123456', terminalId: 'ATM00001', responseCode: '91', approvedAmountMinor: 0, decidedBy: 'primary' });
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
