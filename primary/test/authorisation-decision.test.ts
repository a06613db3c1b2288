import fc from 'fast-check';
import { decideAuthorisation, type AuthorisationFacts } from '../src/card-processor/authorisation-decision';

const now = new Date('2026-11-21T12:00:00Z');
const facts = (overrides: Partial<AuthorisationFacts> = {}): AuthorisationFacts => ({
  card: { status: 'active', expiry: '2911', dailyCashLimitMinor: 20_000 },
  requestExpiry: '2911',
  type: 'purchase',
  amountMinor: 1_000,
  currency: 'GBP',
  availableMinor: 5_000,
  cashTodayMinor: 0,
  now,
  ...overrides,
});

describe('card authorisation decision', () => {
  test.each([
    ['an unknown card', '14', { card: undefined }],
    ['a cancelled card', '05', { card: { status: 'cancelled' as const, expiry: '2911', dailyCashLimitMinor: 0 } }],
    ['a frozen card', '62', { card: { status: 'frozen' as const, expiry: '2911', dailyCashLimitMinor: 0 } }],
    ['an expired card', '54', { card: { status: 'active' as const, expiry: '2610', dailyCashLimitMinor: 0 }, requestExpiry: '2610' }],
    ['a wrong expiry date', '54', { requestExpiry: '2912' }],
    ['an unsupported processing code', '12', { type: 'unsupported' as const }],
    ['a foreign currency', '57', { currency: 'EUR' }],
    ['cash over the daily limit', '61', { type: 'cash' as const, cashTodayMinor: 19_500 }],
    ['more than the available balance', '51', { amountMinor: 5_001 }],
    ['exactly the available balance', '00', { amountMinor: 5_000 }],
    ['a refund on an empty account', '00', { type: 'refund' as const, availableMinor: 0 }],
  ])('when the request is for %s, then the answer is %s', (_what, code, overrides) => {
    expect(decideAuthorisation(facts(overrides as Partial<AuthorisationFacts>)).responseCode).toBe(code);
  });

  test('a card expiring this month still works until the month ends', () => {
    expect(decideAuthorisation(facts({ card: { status: 'active', expiry: '2611', dailyCashLimitMinor: 0 }, requestExpiry: '2611' })).responseCode).toBe('00');
  });

  test('property: a purchase is approved exactly when the card is usable and the amount fits the available balance', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: -1_000_000, max: 10_000_000 }), (amountMinor, availableMinor) => {
        const decision = decideAuthorisation(facts({ amountMinor, availableMinor }));
        expect(decision.responseCode === '00').toBe(amountMinor <= availableMinor);
        if (decision.responseCode !== '00') expect(decision.responseCode).toBe('51');
      }),
    );
  });

  test('property: cash is never approved past the daily limit, whatever the balance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (amountMinor, cashTodayMinor, dailyCashLimitMinor) => {
          const decision = decideAuthorisation(
            facts({ type: 'cash', amountMinor, cashTodayMinor, availableMinor: 10_000_000, card: { status: 'active', expiry: '2911', dailyCashLimitMinor } }),
          );
          if (decision.responseCode === '00') expect(cashTodayMinor + amountMinor).toBeLessThanOrEqual(dailyCashLimitMinor);
        },
      ),
    );
  });
});
