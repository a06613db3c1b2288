import fc from 'fast-check';
import { INITIAL_CONFIGURATION, userBucket, type AdvicesInFlightReport, type ConfigurationDocument, type Targeting } from '@bank/shared-contracts';
import { CliError } from '../src/cli/cli-error';
import { confirmWideChanges } from '../src/cli/confirm';
import {
  checkInFlight,
  componentsMovedBack,
  describeAge,
  describeInFlight,
  mayMoveAnyoneBack,
  prospectiveConfiguration,
  type InFlightCheck,
} from '../src/cli/in-flight';
import { stepBack } from '../src/cli/rollback';

// Moving users back to primary while stand-in's effects for them are still in flight: who a
// change moves back, whether any of them has advices primary has not applied, and what the
// engineer is told. No servers: stand-in's per-user report is given.

const now = new Date('2026-12-06T03:00:00Z');
type DocumentChanges = Omit<Partial<ConfigurationDocument>, 'components'> & { components?: Partial<ConfigurationDocument['components']> };
const documentWith = (changes: DocumentChanges): ConfigurationDocument => ({
  ...INITIAL_CONFIGURATION,
  ...changes,
  components: { ...INITIAL_CONFIGURATION.components, ...changes.components },
});
const payments = (targeting: Targeting) => ({
  cardPaymentsInbound: targeting,
  cardPaymentsOutbound: targeting,
  fasterPaymentsInbound: targeting,
  fasterPaymentsOutbound: targeting,
});
const nobodyOnPayments = payments({ mode: 'nobody' });

function report(
  users: { userId: string; notPublished?: number; publishedNotApplied?: number; oldestAt?: string }[],
  checkedAt = now.toISOString(),
): AdvicesInFlightReport {
  const byUser = users.map((user) => ({
    userId: user.userId,
    notPublished: user.notPublished ?? 0,
    publishedNotApplied: user.publishedNotApplied ?? 0,
    oldestAt: user.oldestAt ?? '2026-12-06T02:58:00.000Z',
  }));
  return {
    checkedAt,
    total: {
      notPublished: byUser.reduce((sum, user) => sum + user.notPublished, 0),
      publishedNotApplied: byUser.reduce((sum, user) => sum + user.publishedNotApplied, 0),
      users: byUser.length,
    },
    byUser,
  };
}

// Users whose bucket is known, for percentage targeting.
const withBucket = (from: number, below: number) =>
  Array.from({ length: 2_000 }, (_, index) => `user-${index}`).find((user) => userBucket(user) >= from && userBucket(user) < below)!;
const lowBucket = withBucket(0, 5);
const highBucket = withBucket(50, 60);
const outsideBucket = withBucket(70, 100);

describe('the standin CLI and effects in flight', () => {
  test('when payments are disabled for a user who froze their card in stand-in, then the check names them and the published, unapplied freeze', () => {
    const before = documentWith({ components: { ...payments({ mode: 'users', userIds: ['alice', 'bob'] }), app: { mode: 'users', userIds: ['alice'] } } });
    const after = prospectiveConfiguration(before, { components: nobodyOnPayments });
    const check = checkInFlight(
      before,
      after,
      report([
        { userId: 'alice', publishedNotApplied: 1, oldestAt: '2026-12-06T02:55:48.000Z' },
        { userId: 'carol', notPublished: 2 },
      ]),
      now,
    );
    expect(check).toEqual({
      state: 'in_flight',
      users: 1,
      notPublished: 0,
      publishedNotApplied: 1,
      oldestAgeMs: 252_000,
      examples: ['alice'],
      components: ['cardPaymentsInbound', 'cardPaymentsOutbound', 'fasterPaymentsInbound', 'fasterPaymentsOutbound'],
      total: { notPublished: 2, publishedNotApplied: 1, users: 2 },
    });
    const text = describeInFlight(check)!;
    expect(text).toContain(
      'EFFECTS IN FLIGHT: 1 user this change moves back to primary (card refunds (in), card spending (out), Faster Payments in, Faster Payments out) has effects',
    );
    expect(text).toContain('0 advices not yet published, 1 advice published but not yet applied by primary; the oldest recorded 4m 12s ago');
    expect(text).toContain('Users: alice.');
    expect(text).toContain('In all, 2 users have advices in flight (2 advices not yet published, 1 advice published but not yet applied by primary)');
  });

  test('when the users with effects in flight stay on stand-in, or nobody is in flight, then the check is clear', () => {
    const before = documentWith({ components: payments({ mode: 'users', userIds: ['alice', 'bob'] }) });
    const after = prospectiveConfiguration(before, { components: payments({ mode: 'users', userIds: ['alice'] }) });
    expect(checkInFlight(before, after, report([{ userId: 'alice', notPublished: 3 }]), now)).toMatchObject({ state: 'clear' });
    expect(checkInFlight(before, after, report([]), now)).toMatchObject({ state: 'clear' });
    // Bob moves back with effects in flight.
    expect(checkInFlight(before, after, report([{ userId: 'bob', notPublished: 1 }]), now)).toMatchObject({
      state: 'in_flight',
      users: 1,
      notPublished: 1,
      examples: ['bob'],
    });
  });

  test('when a change moves users to stand-in, or changes nothing about who is there, then stand-in is not even needed', () => {
    const unavailable = { unavailable: 'connection refused' };
    const base = documentWith({ components: payments({ mode: 'users', userIds: ['alice'] }) });
    expect(checkInFlight(base, prospectiveConfiguration(base, { components: payments({ mode: 'everyone' }) }), unavailable, now)).toEqual({ state: 'clear' });
    expect(checkInFlight(base, prospectiveConfiguration(base, { prescale: true, shadow: { percent: 50 } }), unavailable, now)).toEqual({ state: 'clear' });
    expect(checkInFlight(base, prospectiveConfiguration(base, { directConnect: true }), unavailable, now)).toEqual({ state: 'clear' });
    expect(
      checkInFlight(
        INITIAL_CONFIGURATION,
        prospectiveConfiguration(INITIAL_CONFIGURATION, { components: { app: { mode: 'percent', percent: 30 } } }),
        unavailable,
        now,
      ),
    ).toEqual({ state: 'clear' });
    // The same change that does move someone back, with stand-in not answering: unknown, not clear.
    expect(checkInFlight(base, prospectiveConfiguration(base, { components: nobodyOnPayments }), unavailable, now)).toEqual({
      state: 'unknown',
      reason: 'connection refused',
    });
    expect(describeInFlight({ state: 'unknown', reason: 'connection refused' })).toContain("stand-in's advice log could not be read (connection refused)");
  });

  test('when every kind of command moves users back, then each is caught: roll-back by percentage, a smaller target, a smaller cohort, direct connection off', () => {
    // outsideBucket was never on stand-in by percentage: its effects never count for a percentage change.
    const inFlight = report([
      { userId: lowBucket, notPublished: 1 },
      { userId: highBucket, publishedNotApplied: 1 },
      { userId: outsideBucket, notPublished: 4 },
    ]);
    // rollback-apps by percentage: 60% -> 50% moves the 50s back, not the low bucket; 60% -> nobody moves both.
    const apps60 = documentWith({ components: { app: { mode: 'percent', percent: 60 } } });
    const step = (by: number) =>
      checkInFlight(apps60, prospectiveConfiguration(apps60, { components: { app: stepBack(apps60.components.app, by) } }), inFlight, now);
    expect(step(10)).toMatchObject({ state: 'in_flight', users: 1, examples: [highBucket], publishedNotApplied: 1, notPublished: 0, components: ['app'] });
    expect(step(60)).toMatchObject({ state: 'in_flight', users: 2, notPublished: 1, publishedNotApplied: 1 });
    // route-payments with a smaller target: 60% -> 55% keeps the low bucket, and the 50s only below 55.
    const card60 = documentWith({ components: { cardPaymentsOutbound: { mode: 'percent', percent: 60 } } });
    expect(
      checkInFlight(card60, prospectiveConfiguration(card60, { components: { cardPaymentsOutbound: { mode: 'percent', percent: 55 } } }), inFlight, now),
    ).toMatchObject({
      state: userBucket(highBucket) >= 55 ? 'in_flight' : 'clear',
    });
    expect(
      checkInFlight(card60, prospectiveConfiguration(card60, { components: { cardPaymentsOutbound: { mode: 'users', userIds: [lowBucket] } } }), inFlight, now),
    ).toMatchObject({ state: 'in_flight', users: 1, examples: [highBucket], components: ['cardPaymentsOutbound'] });
    // cohort off: every cohort member goes back for card spending and the app.
    const cohort = documentWith({ dailyCohort: { percent: 100 } });
    expect(checkInFlight(cohort, prospectiveConfiguration(cohort, { dailyCohort: { percent: 0 } }), inFlight, now)).toMatchObject({
      state: 'in_flight',
      users: 3,
      components: ['cardPaymentsOutbound', 'app'],
    });
    // direct connection off: everyone's payments back, except those their components keep on stand-in.
    const direct = documentWith({ directConnect: true, components: payments({ mode: 'users', userIds: [lowBucket] }) });
    const off = checkInFlight(direct, prospectiveConfiguration(direct, { directConnect: false }), inFlight, now);
    expect(off).toMatchObject({ state: 'in_flight', users: 2, notPublished: 4, publishedNotApplied: 1 });
    expect(off.state === 'in_flight' && [...off.examples].sort()).toEqual([highBucket, outsideBucket].sort());
  });

  test('when a change is checked without knowing the users, then "may move anyone back" never misses a user the per-user check finds', () => {
    const targeting: fc.Arbitrary<Targeting> = fc.oneof(
      fc.constant({ mode: 'nobody' } as const),
      fc.constant({ mode: 'everyone' } as const),
      fc.integer({ min: 1, max: 100 }).map((percent) => ({ mode: 'percent', percent }) as const),
      fc.uniqueArray(fc.constantFrom('a', 'b', 'c', lowBucket, highBucket), { minLength: 1 }).map((userIds) => ({ mode: 'users', userIds }) as const),
    );
    const document = fc
      .record({ app: targeting, card: targeting, fps: targeting, directConnect: fc.boolean(), cohort: fc.integer({ min: 0, max: 100 }) })
      .map(({ app, card, fps, directConnect, cohort }) =>
        documentWith({
          directConnect,
          dailyCohort: { percent: cohort },
          components: { app, cardPaymentsOutbound: card, cardPaymentsInbound: card, fasterPaymentsInbound: fps, fasterPaymentsOutbound: fps },
        }),
      );
    fc.assert(
      fc.property(document, document, (before, after) => {
        const someoneMoves = ['a', 'b', 'c', lowBucket, highBucket, 'user-77', 'user-301'].some(
          (user) => componentsMovedBack(before, after, user, now).length > 0,
        );
        if (someoneMoves) expect(mayMoveAnyoneBack(before, after)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  test('when effects are in flight, then without --yes the change is refused with exit 3 and why; with --yes it goes ahead and still warns', async () => {
    const check: InFlightCheck = {
      state: 'in_flight',
      users: 1,
      notPublished: 0,
      publishedNotApplied: 1,
      oldestAgeMs: 5_000,
      examples: ['alice'],
      components: ['cardPaymentsOutbound'],
      total: { notPublished: 0, publishedNotApplied: 1, users: 1 },
    };
    const written: string[] = [];
    const refused = await confirmWideChanges({ yes: false, interactive: false, write: (text) => written.push(text) })([], INITIAL_CONFIGURATION, check).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(CliError);
    expect(refused).toMatchObject({ code: 'EFFECTS_IN_FLIGHT', exitCode: 3 });
    expect((refused as Error).message).toMatch(/^refused: EFFECTS IN FLIGHT: 1 user/);
    expect((refused as Error).message).toContain('Nothing was changed. Re-run with --yes if you mean it.');

    const unknown = await confirmWideChanges({ yes: false, interactive: false, write: () => undefined })([], INITIAL_CONFIGURATION, {
      state: 'unknown',
      reason: 'stand-in is unreachable',
    }).catch((error: unknown) => error);
    expect(unknown).toMatchObject({ code: 'EFFECTS_IN_FLIGHT_UNKNOWN', exitCode: 3 });

    await confirmWideChanges({ yes: true, interactive: false, write: (text) => written.push(text) })([], INITIAL_CONFIGURATION, check);
    expect(written.join('\n')).toContain('EFFECTS IN FLIGHT: 1 user');
    expect(written.join('\n')).toContain('Going ahead anyway (--yes).');
    // Nothing in flight and nothing wide: no question, no warning.
    await confirmWideChanges({ yes: false, interactive: false, write: (text) => written.push(`unexpected: ${text}`) })([], INITIAL_CONFIGURATION, {
      state: 'clear',
    });
    expect(written.some((text) => text.startsWith('unexpected'))).toBe(false);
  });

  test('when ages are shown, then they read at a glance', () => {
    expect([describeAge(800), describeAge(42_000), describeAge(252_000), describeAge(7_500_000)]).toEqual(['800 ms', '42s', '4m 12s', '2h 05m']);
  });
});
