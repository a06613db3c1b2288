import { RestartWait } from '../src/notifications/restart-wait';

// The notifications consumer's supervisor asks RestartWait how long to wait before a new consumer
// replaces a failed one; the consumer in place tells it each batch it recorded.

const LIMITS = { first: 500, cap: 10_000 };

describe("the notifications consumer's restart wait", () => {
  test('failures without progress double the wait up to the cap, and it stays there', () => {
    const wait = new RestartWait(LIMITS);
    const waits = Array.from({ length: 8 }, () => wait.afterFailure());
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });

  test('failure, failure, progress, failure: the last wait is the first value again', () => {
    const wait = new RestartWait(LIMITS);
    expect(wait.afterFailure()).toBe(500);
    expect(wait.afterFailure()).toBe(1_000);
    wait.progress();
    expect(wait.afterFailure()).toBe(500);
    // No progress since: doubling again from the first value.
    expect(wait.afterFailure()).toBe(1_000);
  });

  test('failures spread over days, each after the replacement made progress, never wait more than the first value', () => {
    const wait = new RestartWait(LIMITS);
    // A Kafka outage: the wait reaches the cap while no consumer gets anywhere.
    for (let failure = 0; failure < 6; failure++) wait.afterFailure();
    const later: number[] = [];
    for (let day = 0; day < 5; day++) {
      wait.progress(); // the replacement records batches for a day
      later.push(wait.afterFailure());
    }
    expect(later).toEqual([500, 500, 500, 500, 500]);
  });

  test('progress only counts once: a replacement that records nothing after a reset doubles again up to the cap', () => {
    const wait = new RestartWait(LIMITS);
    wait.progress();
    wait.progress();
    const waits = Array.from({ length: 7 }, () => wait.afterFailure());
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  test('limits that would leave a wait unbounded or zero are refused', () => {
    expect(() => new RestartWait({ first: 0, cap: 10_000 })).toThrow(RangeError);
    expect(() => new RestartWait({ first: 500, cap: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new RestartWait({ first: 500, cap: 100 })).toThrow(RangeError);
    expect(() => new RestartWait({ first: Number.NaN, cap: 10_000 })).toThrow(RangeError);
  });
});
