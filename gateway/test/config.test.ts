import { GATEWAY_DEFAULTS, gatewayConfigFromEnvironment as readConfig } from '../src/config';

/** The local development mode, as `npm start` and the tests run the gateway. */
const LOCAL = { BANK_MODE: 'local' };
const gatewayConfigFromEnvironment = (env: NodeJS.ProcessEnv) => readConfig({ ...LOCAL, ...env });
/** Outside local mode: every secret and the data directory given. */
const PRODUCTION = {
  GATEWAY_TOKEN: 't',
  STANDIN_TOKEN: 's',
  NETWORK_TOKEN: 'n',
  GATEWAY_DATA_DIR: '/var/lib/gateway',
  GATEWAY_PAN_SEAL_KEY: Buffer.alloc(32, 7).toString('base64'),
};

test('with nothing set in local mode, then the documented defaults apply and automatic failover is off', () => {
  const config = gatewayConfigFromEnvironment({});
  expect(config).toMatchObject({
    port: 8500,
    primaryUrl: 'http://127.0.0.1:8100',
    standinUrl: 'http://127.0.0.1:8200',
    credential: 'local-gateway-token',
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
  [{ GATEWAY_AUTO_FAILOVER: 'true' }, 'GATEWAY_AUTO_FAILOVER is not usable: expected on or off'],
  [{ GATEWAY_CARD_DEADLINE_MS: '50' }, 'GATEWAY_CARD_DEADLINE_MS is not usable: expected a whole number of at least 100'],
  [{ GATEWAY_FPS_DEADLINE_MS: 'soon' }, 'GATEWAY_FPS_DEADLINE_MS is not usable'],
  [{ PRIMARY_URL: 'primary:8100' }, 'PRIMARY_URL is not usable'],
  [{ PORT: '70000' }, 'PORT is not usable: is not a port'],
  [{ BANK_MODE: 'dev' }, 'BANK_MODE=dev is not a mode'],
])('when %p, then the start is refused naming the variable', (env, message) => {
  expect(() => gatewayConfigFromEnvironment(env)).toThrow(message);
});

test('a trailing slash on a platform URL is dropped, so paths do not double up', () => {
  expect(gatewayConfigFromEnvironment({ STANDIN_URL: 'http://standin.internal:8200/' }).standinUrl).toBe('http://standin.internal:8200');
});

test('timeout reversals: the documented defaults, a data directory under .data in local mode, and a development seal key', () => {
  const config = gatewayConfigFromEnvironment({});
  expect(config.timeoutReversals).toEqual(GATEWAY_DEFAULTS.timeoutReversals);
  expect(config.dataDir).toMatch(/\.data\/gateway$/);
  expect(config.panSealKey).toHaveLength(32);
  expect(gatewayConfigFromEnvironment({ GATEWAY_DATA_DIR: '/var/lib/gateway' }).dataDir).toBe('/var/lib/gateway');
});

test.each([
  [{ GATEWAY_PAN_SEAL_KEY: Buffer.alloc(16).toString('base64') }, 'GATEWAY_PAN_SEAL_KEY is not usable: must be 32 bytes'],
  [{ GATEWAY_REVERSAL_MAX_ATTEMPTS: '0' }, 'GATEWAY_REVERSAL_MAX_ATTEMPTS is not usable'],
  [{ GATEWAY_REVERSAL_RETRY_BASE_MS: '5000', GATEWAY_REVERSAL_RETRY_MAX_MS: '1000' }, 'GATEWAY_REVERSAL_RETRY_MAX_MS=1000 is not usable'],
])('when %p, then the start is refused naming the variable', (env, message) => {
  expect(() => gatewayConfigFromEnvironment(env)).toThrow(message);
});

test.each(['GATEWAY_TOKEN', 'NETWORK_TOKEN', 'GATEWAY_PAN_SEAL_KEY', 'GATEWAY_DATA_DIR'])(
  'when outside local mode %s is missing, then the start is refused naming it (secrets fail closed)',
  (name) => {
    const env: NodeJS.ProcessEnv = { ...PRODUCTION };
    delete env[name];
    expect(() => readConfig(env)).toThrow(name);
  },
);

test('outside local mode with every secret given, the gateway starts on them and serves no API browser', () => {
  const config = readConfig(PRODUCTION);
  expect(config.panSealKey).toEqual(Buffer.alloc(32, 7));
  expect(config.serveApiDocs).toBe(false);
});
