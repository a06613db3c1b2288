import { afterPrimaryFailure, decideDestination, routeFor, switchCause, type RoutingInputs } from '../src/destination';

const normal: RoutingInputs = { directConnect: false, configurationVersion: 3, autoFailover: false, primaryBreaker: 'closed' };
const payment = { standinTakesIt: true };
const clearing = { standinTakesIt: false };

describe('the destination of a message', () => {
  test.each<[string, Partial<RoutingInputs>, { readonly standinTakesIt: boolean }, string, string]>([
    ['normally, a payment', {}, payment, 'primary', 'normal'],
    ['normally, a clearing', {}, clearing, 'primary', 'normal'],
    [
      "before stand-in's configuration was ever read",
      { directConnect: undefined, configurationVersion: undefined },
      payment,
      'primary',
      'configuration_never_read',
    ],
    ['with direct connect on, a payment', { directConnect: true }, payment, 'standin', 'direct_connect'],
    ['with direct connect on, a clearing', { directConnect: true }, clearing, 'deferred', 'direct_connect'],
    ['with direct connect on and failover on, a payment', { directConnect: true, autoFailover: true }, payment, 'standin', 'direct_connect'],
    ["with failover off and primary's breaker open, a payment", { primaryBreaker: 'open' }, payment, 'primary', 'primary_breaker_open_failover_off'],
    ["with failover off and primary's breaker half open, a payment", { primaryBreaker: 'halfOpen' }, payment, 'primary', 'primary_breaker_open_failover_off'],
    ["with failover on and primary's breaker closed, a payment", { autoFailover: true }, payment, 'primary', 'normal'],
    ["with failover on and primary's breaker open, a payment", { autoFailover: true, primaryBreaker: 'open' }, payment, 'standin', 'auto_failover'],
    [
      "with failover on and primary's breaker half open (being probed), a payment",
      { autoFailover: true, primaryBreaker: 'halfOpen' },
      payment,
      'standin',
      'auto_failover',
    ],
    ["with failover on and primary's breaker open, a clearing", { autoFailover: true, primaryBreaker: 'open' }, clearing, 'deferred', 'auto_failover'],
    [
      "with failover on, primary's breaker open and stand-in's configuration never read, a payment",
      { autoFailover: true, primaryBreaker: 'open', directConnect: undefined },
      payment,
      'standin',
      'auto_failover',
    ],
  ])('%s goes to %s', (_case, change, message, destination, cause) => {
    const decision = decideDestination({ ...normal, ...change }, message);
    expect(decision.destination).toBe(destination);
    expect(decision.route.cause).toBe(cause);
  });

  test('when direct connect is on, then the reason names it and the configuration version', () => {
    expect(routeFor({ ...normal, directConnect: true, configurationVersion: 7 }).reason).toBe("direct connect is on in stand-in's configuration (version 7)");
  });
});

describe('after primary fails to answer', () => {
  test.each<[string, 'not_sent' | 'no_answer', boolean, { readonly standinTakesIt: boolean }, string]>([
    ['a payment primary never received, failover on', 'not_sent', true, payment, 'standin'],
    ['a payment primary never received, failover off', 'not_sent', false, payment, 'no_answer'],
    ['a payment primary may have received (timeout), failover on', 'no_answer', true, payment, 'no_answer'],
    ['a payment primary may have received (timeout), failover off', 'no_answer', false, payment, 'no_answer'],
    ['a clearing primary never received, failover on', 'not_sent', true, clearing, 'deferred'],
    ['a clearing primary may have received, failover on', 'no_answer', true, clearing, 'no_answer'],
  ])('%s: %s', (_case, failure, autoFailover, message, expected) => {
    expect(afterPrimaryFailure(failure, autoFailover, message)).toBe(expected);
  });
});

test('a switch is labelled by what caused it', () => {
  const primary = routeFor(normal);
  const direct = routeFor({ ...normal, directConnect: true });
  const failover = routeFor({ ...normal, autoFailover: true, primaryBreaker: 'open' });
  expect(switchCause(primary, direct)).toBe('direct_connect_on');
  expect(switchCause(direct, primary)).toBe('direct_connect_off');
  expect(switchCause(primary, failover)).toBe('auto_failover');
  expect(switchCause(failover, primary)).toBe('primary_recovered');
});
