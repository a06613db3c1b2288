import { parseSimulateArguments, summaryLine } from '../src/simulator/simulate';
import type { Exchange } from '../src/simulator/ground-truth';

// `npm run simulate`'s arguments and its one-line summary (no servers needed).

test('when no arguments are given, then 20 messages a second over 50 customers', () => {
  expect(parseSimulateArguments([])).toMatchObject({ rate: 20, customers: 50 });
});

test('when --rate and --customers are given, in either spelling, then they are used', () => {
  expect(parseSimulateArguments(['--rate', '5', '--customers=7', '--seed', '42'])).toEqual({ rate: 5, customers: 7, seed: 42 });
  expect(parseSimulateArguments(['--', '--rate=3'])).toMatchObject({ rate: 3 });
});

test('when an argument is unknown or not a whole positive number, then the error names it and shows the usage', () => {
  expect(() => parseSimulateArguments(['--speed', '5'])).toThrow(/unknown argument --speed[\s\S]*usage: npm run simulate/);
  expect(() => parseSimulateArguments(['--rate', '0'])).toThrow(/--rate 0: expected a whole number from 1 to 1000/);
  expect(() => parseSimulateArguments(['--customers'])).toThrow(/--customers needs a value/);
});

const exchange = (overrides: Partial<Exchange>): Exchange => ({
  seq: 1,
  kind: 'purchase',
  phase: 'simulate',
  via: 'gateway',
  accountId: 'a',
  amountMinor: 100,
  sentAt: '',
  sentAtMs: 0,
  elapsedMs: 50,
  deadlineMs: 2_000,
  timing: 'on-time',
  verdict: 'approved',
  attempt: 1,
  decidedBy: 'primary',
  ...overrides,
});

test('when a window of exchanges is summarised, then each count and the rate are on the line', () => {
  const line = summaryLine(
    [
      exchange({}),
      exchange({ verdict: 'declined', decidedBy: 'standin', elapsedMs: 900 }),
      exchange({ kind: 'fps-credit', verdict: 'accepted' }),
      exchange({ kind: 'purchase', verdict: 'gateway-no-answer', timing: 'late' }),
    ],
    40,
    2_000,
  );
  expect(line).toContain('2.0 msg/s (40 in all)');
  expect(line).toContain('cards approved 1 declined 1 p99 900 ms');
  expect(line).toContain('fps credits 1');
  expect(line).toContain('decided by primary 3 stand-in 1');
  expect(line).toContain('failed or late 1');
});
