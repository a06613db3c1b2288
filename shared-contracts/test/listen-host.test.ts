import { DEFAULT_LISTEN_HOST, listenHostFromEnvironment } from '../src/health';

// Issue 18: every service listens where HOST says; loopback when unset, so a laptop exposes nothing.

test('when HOST is unset or empty, then services listen on loopback', () => {
  expect(listenHostFromEnvironment({})).toBe(DEFAULT_LISTEN_HOST);
  expect(listenHostFromEnvironment({ HOST: '' })).toBe('127.0.0.1');
});

test('when HOST is an address or a host name, then that is where services listen', () => {
  for (const host of ['0.0.0.0', '::', '10.18.1.2', 'fd00::2', 'primary-0.primary.bank.svc']) expect(listenHostFromEnvironment({ HOST: host })).toBe(host);
});

test('when HOST is not an address, then the service refuses to start and says what HOST should be', () => {
  expect(() => listenHostFromEnvironment({ HOST: 'http://0.0.0.0' })).toThrow(/HOST=http:\/\/0\.0\.0\.0 is not an address to listen on/);
  expect(() => listenHostFromEnvironment({ HOST: '0.0.0.0:8100' })).toThrow(/expected an IP address/);
});
