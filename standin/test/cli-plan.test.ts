import fc from 'fast-check';
import { INITIAL_CONFIGURATION, isTargeted, type Targeting } from '@bank/shared-contracts';
import { differences, paymentComponents, shareFromOptions, targetingFromOptions } from '../src/cli/change-plan';
import { parseInterval, stepBack } from '../src/cli/rollback';

// The CLI's decisions that do not need a server: who a command targets, which changes need
// confirmation, and how a roll-back steps users back.

const userIds = fc.array(fc.stringMatching(/^[a-z0-9]{1,12}$/), { minLength: 1, maxLength: 30 }).map((ids) => [...new Set(ids)]);

describe('the standin CLI plan', () => {
  test('when a roll-back steps down, then nobody is ever moved back to stand-in, and it always ends with nobody', () => {
    const targeting: fc.Arbitrary<Targeting> = fc.oneof(
      fc.constant({ mode: 'everyone' } as const),
      fc.integer({ min: 1, max: 100 }).map((percent) => ({ mode: 'percent', percent }) as const),
      userIds.map((ids) => ({ mode: 'users', userIds: ids }) as const),
    );
    fc.assert(
      fc.property(targeting, fc.integer({ min: 1, max: 100 }), userIds, (start, step, probes) => {
        let current: Targeting = start;
        for (let steps = 0; steps <= 101; steps++) {
          const next = stepBack(current, step);
          // Monotonic: a user on primary after a step stays on primary.
          for (const user of [...probes, ...(current.mode === 'users' ? current.userIds : [])])
            if (!isTargeted(current, user)) expect(isTargeted(next, user)).toBe(false);
          if (next.mode === 'nobody') return;
          current = next;
        }
        throw new Error(`did not reach nobody from ${JSON.stringify(start)} with step ${step}`);
      }),
    );
  });

  test('when a change moves everyone to stand-in or back, or flips direct connection, then it needs confirmation; a user list does not', () => {
    const wide = (spec: Parameters<typeof differences>[1], base = INITIAL_CONFIGURATION) => differences(base, spec).some((difference) => difference.wide);
    expect(wide({ components: { app: { mode: 'everyone' } } })).toBe(true);
    expect(wide({ components: { app: { mode: 'percent', percent: 100 } } })).toBe(true);
    expect(wide({ directConnect: true })).toBe(true);
    expect(
      wide(
        { components: { app: { mode: 'nobody' } } },
        { ...INITIAL_CONFIGURATION, components: { ...INITIAL_CONFIGURATION.components, app: { mode: 'everyone' } } },
      ),
    ).toBe(true);
    expect(wide({ components: { cardPaymentsOutbound: { mode: 'users', userIds: ['a'] } } })).toBe(false);
    expect(wide({ components: { app: { mode: 'percent', percent: 20 } } })).toBe(false);
    expect(wide({ prescale: true })).toBe(false);
    expect(differences(INITIAL_CONFIGURATION, { components: { app: { mode: 'nobody' } }, prescale: false })).toEqual([]);
  });

  test('when targeting options are given, then exactly one is accepted and bad values say what to type', () => {
    expect(targetingFromOptions({ users: 'a, b,a' })).toEqual({ mode: 'users', userIds: ['a', 'b'] });
    expect(targetingFromOptions({ percent: '0' })).toEqual({ mode: 'nobody' });
    expect(targetingFromOptions({ percent: '35' })).toEqual({ mode: 'percent', percent: 35 });
    expect(() => targetingFromOptions({})).toThrow('exactly one of --all');
    expect(() => targetingFromOptions({ all: true, none: true })).toThrow('got --all and --none');
    expect(() => targetingFromOptions({ percent: '101' })).toThrow('from 0 to 100');
    expect(() => targetingFromOptions({ percent: '12.5' })).toThrow('whole number');
    expect(() => targetingFromOptions({ users: 'ok,not ok' })).toThrow('"not ok" is not a user id');
  });

  test('when scheme and direction narrow a payment route, then only those components are named', () => {
    expect(paymentComponents({})).toEqual(['cardPaymentsInbound', 'cardPaymentsOutbound', 'fasterPaymentsInbound', 'fasterPaymentsOutbound']);
    expect(paymentComponents({ scheme: 'card', direction: 'outbound' })).toEqual(['cardPaymentsOutbound']);
    expect(paymentComponents({ direction: 'inbound' })).toEqual(['cardPaymentsInbound', 'fasterPaymentsInbound']);
    expect(() => paymentComponents({ direction: 'sideways' })).toThrow('inbound (money in');
  });

  test('when an interval is typed, then seconds, minutes and milliseconds are understood', () => {
    expect([parseInterval('30s'), parseInterval('5m'), parseInterval('500ms'), parseInterval('7'), parseInterval('soon')]).toEqual([
      30_000,
      300_000,
      500,
      7_000,
      undefined,
    ]);
  });
  test('when shadow or the cohort is set, then --percent N or the word off is what it takes, and growing the daily cohort needs confirmation', () => {
    expect(shareFromOptions('shadow', undefined, { percent: '25' })).toBe(25);
    expect(shareFromOptions('shadow', 'off', {})).toBe(0);
    expect(() => shareFromOptions('shadow', undefined, {})).toThrow(/--percent <0-100>/);
    expect(() => shareFromOptions('cohort', undefined, { percent: '101' })).toThrow(/from 0 to 100/);
    expect(() => shareFromOptions('cohort', 'on', {})).toThrow(/cohort --percent <0-100> or cohort off/);
    expect(differences(INITIAL_CONFIGURATION, { shadow: { percent: 100 } })).toEqual([
      { what: 'shadow decisioning', from: 'off', to: '100% of card messages', wide: false },
    ]);
    expect(differences(INITIAL_CONFIGURATION, { dailyCohort: { percent: 5 } })).toEqual([
      { what: 'daily cohort', from: 'off', to: '5% of users, daily', wide: true },
    ]);
    expect(differences({ ...INITIAL_CONFIGURATION, dailyCohort: { percent: 5 } }, { dailyCohort: { percent: 0 } })[0]).toMatchObject({
      to: 'off',
      wide: false,
    });
    expect(differences(INITIAL_CONFIGURATION, { shadow: { percent: 0 } })).toEqual([]);
  });
});
