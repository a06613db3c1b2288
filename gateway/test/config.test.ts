import { GATEWAY_DEFAULTS, gatewayConfigFromEnvironment } from '../src/config';

test('with nothing set, then the documented defaults apply and automatic failover is off', () => {
  const config = gatewayConfigFromEnvironment({});
  expect(config).toMatchObject({
    port: 8500,
    primaryUrl: 'http://127.0.0.1:8100',
    standinUrl: 'http://127.0.0.1:8200',
    standinInternalToken: 'local-standin-internal-token',
    configPollMs: 1_000,
    autoFailover: false,
    cardDeadlineMs: 1_500,
    fpsDeadlineMs: 5_000,
  });
  expect(config.breaker).toEqual(GATEWAY_DEFAULTS.breaker);
});

test('GATEWAY_AUTO_FAILOVER=on turns failover on; off or empty leaves it off', () => {
  expect(gatewayConfigFromEnvironment({ GATEWAY_AUTO_FAILOVER: 'on' }).autoFailover).toBe(true);
  expect(gatewayConfigFromEnvironment({ GATEWAY_AUTO_FAILOVER: 'off' }).autoFailover).toBe(false);
  expect(gatewayConfigFromEnvironment({ GATEWAY_AUTO_FAILOVER: '' }).autoFailover).toBe(false);
});

test.each([
  [{ GATEWAY_AUTO_FAILOVER: 'true' }, 'GATEWAY_AUTO_FAILOVER=true is not usable: expected on or off'],
  [{ GATEWAY_CARD_DEADLINE_MS: '50' }, 'GATEWAY_CARD_DEADLINE_MS=50 is not usable: expected a whole number of at least 100'],
  [{ GATEWAY_FPS_DEADLINE_MS: 'soon' }, 'GATEWAY_FPS_DEADLINE_MS=soon is not usable'],
  [{ PRIMARY_URL: 'primary:8100' }, 'PRIMARY_URL=primary:8100 is not usable: expected an http:// or https:// URL'],
  [{ PORT: '70000' }, 'PORT=70000 is not a port'],
  [{ NODE_ENV: 'production' }, 'STANDIN_INTERNAL_TOKEN must be set in production'],
])('when %p, then the start is refused naming the variable', (env, message) => {
  expect(() => gatewayConfigFromEnvironment(env)).toThrow(message);
});

test('a trailing slash on a platform URL is dropped, so paths do not double up', () => {
  expect(gatewayConfigFromEnvironment({ STANDIN_URL: 'http://standin.internal:8200/' }).standinUrl).toBe('http://standin.internal:8200');
});

test('timeout reversals: the documented defaults, a data directory under .data outside production, and a derived local seal key', () => {
  const config = gatewayConfigFromEnvironment({});
  expect(config.timeoutReversals).toEqual(GATEWAY_DEFAULTS.timeoutReversals);
  expect(config.dataDir).toMatch(/\.data\/gateway$/);
  expect(config.panSealKey).toHaveLength(32);
  expect(gatewayConfigFromEnvironment({ GATEWAY_DATA_DIR: '/var/lib/gateway' }).dataDir).toBe('/var/lib/gateway');
});

test.each([
  [{ NODE_ENV: 'production', STANDIN_INTERNAL_TOKEN: 't' }, 'GATEWAY_DATA_DIR must be set in production'],
  [{ NODE_ENV: 'production', STANDIN_INTERNAL_TOKEN: 't', GATEWAY_DATA_DIR: '/var/lib/gateway' }, 'GATEWAY_PAN_SEAL_KEY must be set in production'],
  [{ GATEWAY_PAN_SEAL_KEY: Buffer.alloc(16).toString('base64') }, 'GATEWAY_PAN_SEAL_KEY is not usable: expected 32 bytes'],
  [{ GATEWAY_REVERSAL_MAX_ATTEMPTS: '0' }, 'GATEWAY_REVERSAL_MAX_ATTEMPTS=0 is not usable'],
  [{ GATEWAY_REVERSAL_RETRY_BASE_MS: '5000', GATEWAY_REVERSAL_RETRY_MAX_MS: '1000' }, 'GATEWAY_REVERSAL_RETRY_MAX_MS=1000 is not usable'],
])('when %p, then the start is refused naming the variable', (env, message) => {
  expect(() => gatewayConfigFromEnvironment(env)).toThrow(message);
});
