import { cohortDay, dailyCohortBucket, userBucket } from '../src/configuration';

// Fixed vectors for the two hashes that decide who is on stand-in. Both platforms (and every
// version of either, during a rolling deploy) must put a user in the same bucket, or "10%" means
// two different sets of customers. Each value was checked outside the code, by hand:
//   printf %s "$input" | sha256sum   → first 8 hex digits as a number, modulo 100.
// A change to either function that moves any user fails here, before it splits the platforms.

test.each([
  ['user-1', 52],
  ['0f8fad5b-d9cb-469f-a165-70867728950e', 85],
  ['7c9e6679-7425-40de-944b-e07fc1f90ae7', 48],
  ['a', 10],
  ['Z_9-x', 48],
])('targeting bucket of %j is %i', (userId, bucket) => {
  expect(userBucket(userId)).toBe(bucket);
});

test.each([
  ['user-1', '2026-12-06', 6],
  ['user-1', '2027-03-28', 74],
  ['0f8fad5b-d9cb-469f-a165-70867728950e', '2026-12-06', 7],
  ['0f8fad5b-d9cb-469f-a165-70867728950e', '2027-03-28', 99],
  ['7c9e6679-7425-40de-944b-e07fc1f90ae7', '2026-12-06', 14],
  ['a', '2026-12-06', 25],
  ['a', '2027-03-28', 17],
  ['Z_9-x', '2026-12-06', 3],
])('daily cohort bucket of %j on %s is %i', (userId, day, bucket) => {
  expect(dailyCohortBucket(userId, day)).toBe(bucket);
});

test.each([
  // The day turns at midnight London time: UTC+1 in summer, UTC in winter.
  ['2026-12-05T23:59:59Z', '2026-12-05'],
  ['2026-12-06T00:00:00Z', '2026-12-06'],
  ['2027-03-27T23:30:00Z', '2027-03-27'],
  ['2027-06-30T23:00:00Z', '2027-07-01'],
  ['2027-06-30T22:59:59Z', '2027-06-30'],
])('at %s the cohort day is %s', (instant, day) => {
  expect(cohortDay(new Date(instant))).toBe(day);
});
