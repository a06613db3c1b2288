import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readStandinEnvironment } from '../src/config';
import { operatorsFromEnvironment } from '../src/configuration/operators';

// Found in review of issue 21: settings that moved or names that are taken must stop the start,
// never be ignored in silence.

test('a site still setting the retired limit variables does not start: its limits are the configuration rules now', () => {
  const secret = () => randomBytes(32).toString('base64');
  const env: NodeJS.ProcessEnv = {
    STANDIN_DATABASE_URL: 'postgres://standin@db.invalid/standin',
    STANDIN_PAN_PRIVATE_KEY_B: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    STANDIN_PAN_SEAL_KEY: secret(),
    STANDIN_PAN_LOOKUP_KEY: secret(),
    STANDIN_TOKEN: secret(),
    PRIMARY_TOKEN: secret(),
    GATEWAY_TOKEN: secret(),
    ADVICE_CONSUMER_TOKEN: secret(),
    OPERATOR_TOKENS: `alice:${secret()}`,
    PUBSUB_PROJECT_ID: 'bank-standin-prod',
    STANDIN_LIMIT_PER_PAYMENT_MINOR: '20000',
  };
  expect(() => readStandinEnvironment(env)).toThrow(/STANDIN_LIMIT_PER_PAYMENT_MINOR is no longer read: .*standin rules set/);
  expect(() => readStandinEnvironment({ ...env, STANDIN_LIMIT_PER_PAYMENT_MINOR: undefined })).not.toThrow();
});

test('no operator may be called autopilot: the audit must tell the autopilot from a person', () => {
  expect(() => operatorsFromEnvironment({ OPERATOR_TOKENS: 'alice:a-token,autopilot:b-token' })).toThrow(/"autopilot": that name is the autopilot's/);
  expect(operatorsFromEnvironment({ OPERATOR_TOKENS: 'alice:a-token' }).identify('a-token')).toBe('alice');
});
