import fc from 'fast-check';
import { cohortDay, ConfigurationDocument, dailyCohortBucket, inDailyCohort, INITIAL_CONFIGURATION, onStandin } from '../src';

// The always-on cohort: a daily share of users by a hash of the user id and the day, the same on
// both platforms, rotating at London midnight.

const withCohort = (percent: number) => ({ ...INITIAL_CONFIGURATION, dailyCohort: { percent } });
const users = Array.from({ length: 2_000 }, (_, index) => `customer-${index}`);

test('the cohort day turns at midnight in London, in winter and in summer time', () => {
  expect(cohortDay(new Date('2026-11-22T23:59:59Z'))).toBe('2026-11-22');
  expect(cohortDay(new Date('2026-11-23T00:00:00Z'))).toBe('2026-11-23');
  // British Summer Time: London's midnight is 23:00 UTC the evening before.
  expect(cohortDay(new Date('2026-07-01T22:59:59Z'))).toBe('2026-07-01');
  expect(cohortDay(new Date('2026-07-01T23:00:00Z'))).toBe('2026-07-02');
});

test('a 5% cohort holds exactly the users whose bucket for the day is below 5, about one in twenty of them', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const members = users.filter((user) => inDailyCohort(withCohort(5), user, now));
  expect(members).toEqual(users.filter((user) => dailyCohortBucket(user, '2026-11-22') < 5));
  expect(members.length).toBeGreaterThan(60);
  expect(members.length).toBeLessThan(140);
});

test('the cohort rotates when the day changes: tomorrow is mostly other users', () => {
  const today = users.filter((user) => inDailyCohort(withCohort(5), user, new Date('2026-11-22T23:59:00Z')));
  const tomorrow = users.filter((user) => inDailyCohort(withCohort(5), user, new Date('2026-11-23T00:01:00Z')));
  const both = today.filter((user) => tomorrow.includes(user));
  expect(tomorrow).not.toEqual(today);
  expect(both.length).toBeLessThan(today.length / 2);
});

test('raising the percentage only adds users, within a day; 0% has nobody and 100% everybody', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 64 }),
      fc.integer({ min: 0, max: 99 }),
      fc.date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }),
      (user, percent, now) => {
        if (inDailyCohort(withCohort(percent), user, now)) expect(inDailyCohort(withCohort(percent + 1), user, now)).toBe(true);
        expect(inDailyCohort(withCohort(0), user, now)).toBe(false);
        expect(inDailyCohort(withCohort(100), user, now)).toBe(true);
      },
    ),
  );
});

test('the cohort puts card spending and the app on stand-in, never refunds (stand-in declines them) nor Faster Payments', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  const member = users.find((user) => inDailyCohort(withCohort(5), user, now))!;
  const document = withCohort(5);
  expect([onStandin(document, 'cardPaymentsOutbound', member, now), onStandin(document, 'app', member, now)]).toEqual([true, true]);
  expect([
    onStandin(document, 'cardPaymentsInbound', member, now),
    onStandin(document, 'fasterPaymentsOutbound', member, now),
    onStandin(document, 'fasterPaymentsInbound', member, now),
  ]).toEqual([false, false, false]);
  expect(onStandin(document, 'cardPaymentsOutbound', undefined, now)).toBe(false);
});

test('a document written before shadow and the cohort existed reads with both off', () => {
  const { shadow, dailyCohort, ...older } = INITIAL_CONFIGURATION;
  void shadow;
  void dailyCohort;
  expect(ConfigurationDocument.parse(older)).toMatchObject({ shadow: { percent: 0 }, dailyCohort: { percent: 0 } });
});
