import { createWaitingAdvices } from '../src/waiting-advices';

const ACCOUNT = 'account-a';

function room(maxHeld = 10, maxHoldMs = 1_000) {
  const givenBack: { item: string; why: string }[] = [];
  const waiting = createWaitingAdvices<string>({ maxHeld, maxHoldMs, onGiveBack: (item, why) => givenBack.push({ item, why }) });
  return { waiting, givenBack };
}

afterEach(() => jest.useRealTimers());

test('when the advice primary expects next is held, then it is taken; later ones stay', () => {
  const { waiting, givenBack } = room();
  waiting.hold(ACCOUNT, 3, 'three');
  waiting.hold(ACCOUNT, 2, 'two');
  waiting.hold('account-b', 2, 'other account');
  expect(waiting.take(ACCOUNT, 1)).toBeUndefined();
  expect(waiting.take(ACCOUNT, 2)).toBe('two');
  expect(waiting.take(ACCOUNT, 2)).toBeUndefined();
  expect(waiting.take(ACCOUNT, 3)).toBe('three');
  expect(waiting.held).toBe(1);
  expect(waiting.takeAll()).toEqual(['other account']);
  expect(givenBack).toEqual([]);
});

test('when a redelivered copy is held below the expected sequence, then it is taken first (primary will call it a duplicate)', () => {
  const { waiting } = room();
  waiting.hold(ACCOUNT, 5, 'five');
  waiting.hold(ACCOUNT, 4, 'four again');
  expect(waiting.take(ACCOUNT, 5)).toBe('four again');
  expect(waiting.take(ACCOUNT, 5)).toBe('five');
});

test("when an account's lowest held advice is asked for, then it is taken whatever primary expects, and the account is known to hold the rest", () => {
  const { waiting } = room();
  waiting.hold(ACCOUNT, 9, 'nine');
  waiting.hold(ACCOUNT, 7, 'seven');
  expect(waiting.holds(ACCOUNT)).toBe(true);
  expect(waiting.holds('account-b')).toBe(false);
  expect(waiting.lowest(ACCOUNT)).toBe('seven');
  expect(waiting.lowest(ACCOUNT)).toBe('nine');
  expect(waiting.lowest(ACCOUNT)).toBeUndefined();
  expect(waiting.holds(ACCOUNT)).toBe(false);
});

test('when the waiting room is full, then a further advice is given back at once', () => {
  const { waiting, givenBack } = room(2);
  waiting.hold(ACCOUNT, 2, 'two');
  waiting.hold(ACCOUNT, 3, 'three');
  waiting.hold(ACCOUNT, 4, 'four');
  expect(givenBack).toEqual([{ item: 'four', why: 'full' }]);
  expect(waiting.held).toBe(2);
});

test('when an advice has been held its time, then it is given back, and not given back again once taken', () => {
  jest.useFakeTimers();
  const { waiting, givenBack } = room(10, 1_000);
  waiting.hold(ACCOUNT, 2, 'two');
  jest.advanceTimersByTime(500);
  waiting.hold(ACCOUNT, 3, 'three');
  expect(waiting.take(ACCOUNT, 3)).toBe('two');
  jest.advanceTimersByTime(999);
  expect(givenBack).toEqual([]);
  jest.advanceTimersByTime(1);
  expect(givenBack).toEqual([{ item: 'three', why: 'held too long' }]);
  expect(waiting.held).toBe(0);
  jest.advanceTimersByTime(10_000);
  expect(givenBack).toHaveLength(1);
});
