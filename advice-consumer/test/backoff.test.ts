import { backoffDelayMs, createAttemptMemory, sleep } from '../src/backoff';

const OPTIONS = { baseMs: 250, capMs: 5_000 };

test('when an advice fails again and again, then each delay doubles up to the cap, in the upper half of its step (jitter)', () => {
  expect([0, 1, 2, 3, 4, 5, 20, 1_000].map((attempt) => backoffDelayMs(attempt, OPTIONS, () => 1))).toEqual([
    250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
  ]);
  expect([0, 1, 2, 5].map((attempt) => backoffDelayMs(attempt, OPTIONS, () => 0))).toEqual([125, 250, 500, 2_500]);
  for (let attempt = 0; attempt < 12; attempt++) {
    const delay = backoffDelayMs(attempt, OPTIONS);
    expect(delay).toBeGreaterThanOrEqual(Math.min(5_000, 250 * 2 ** attempt) / 2);
    expect(delay).toBeLessThanOrEqual(5_000);
  }
});

test('when more advices are remembered than the limit, then the least recently retried is forgotten first', () => {
  const memory = createAttemptMemory(2);
  expect(memory.bump('a')).toBe(1);
  expect(memory.bump('b')).toBe(1);
  expect(memory.bump('a')).toBe(2);
  memory.bump('c');
  expect(memory.size).toBe(2);
  expect([memory.get('a'), memory.get('b'), memory.get('c')]).toEqual([2, 0, 1]);
  memory.forget('a');
  expect(memory.get('a')).toBe(0);
  expect(() => createAttemptMemory(0)).toThrow(RangeError);
});

test('when the consumer stops, then a backoff sleep ends at once', async () => {
  const stopping = new AbortController();
  const began = Date.now();
  const sleeping = sleep(60_000, stopping.signal);
  stopping.abort();
  await sleeping;
  expect(Date.now() - began).toBeLessThan(1_000);
});
