import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { readStandinEnvironment } from '../src/config';
import { GOOGLE_PUBSUB_ENDPOINT, pubsubClientOptions } from '../src/advices/pubsub-client';

// The configuration that points stand-in's advice relay at Google Cloud Pub/Sub itself rather than
// the emulator. No network: the client is built and its options read back (it connects lazily).

const key = () => randomBytes(32).toString('base64');
const token = () => randomBytes(24).toString('hex');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Everything stand-in needs outside local mode, as a deployment gives it (no emulator). */
function productionEnvironment(): NodeJS.ProcessEnv {
  return {
    STANDIN_DATABASE_URL: 'postgres://standin@db.invalid/standin',
    STANDIN_PAN_PRIVATE_KEY_B: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    STANDIN_PAN_SEAL_KEY: key(),
    STANDIN_PAN_LOOKUP_KEY: key(),
    STANDIN_TOKEN: token(),
    PRIMARY_TOKEN: token(),
    GATEWAY_TOKEN: token(),
    ADVICE_CONSUMER_TOKEN: token(),
    OPERATOR_TOKENS: `alice:${token()}`,
    PUBSUB_PROJECT_ID: 'bank-standin-prod',
  };
}

describe("stand-in's Pub/Sub configuration", () => {
  test("outside local mode, without an emulator, the client is built for Google's endpoint and the configured project", async () => {
    const settings = readStandinEnvironment(productionEnvironment()).values.pubsub;
    expect(settings).toEqual({ projectId: 'bank-standin-prod', emulatorHost: undefined });
    const options = pubsubClientOptions(settings);
    expect(options).toEqual({ projectId: 'bank-standin-prod', apiEndpoint: GOOGLE_PUBSUB_ENDPOINT, emulatorMode: false });
    const client = new PubSub(options);
    try {
      expect(client.isEmulator).toBe(false);
      expect(client.projectId).toBe('bank-standin-prod');
      expect(client.options.servicePath).toBe('pubsub.googleapis.com');
      // TLS with real credentials (Application Default Credentials), not the emulator's insecure channel.
      expect(client.options.sslCreds).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  test('outside local mode a missing project stops the start, naming PUBSUB_PROJECT_ID', () => {
    const env = productionEnvironment();
    delete env.PUBSUB_PROJECT_ID;
    expect(() => readStandinEnvironment(env)).toThrow(/PUBSUB_PROJECT_ID is required and is not set/);
  });

  test('outside local mode an emulator host stops the start, naming PUBSUB_EMULATOR_HOST', () => {
    expect(() => readStandinEnvironment({ ...productionEnvironment(), PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' })).toThrow(
      /PUBSUB_EMULATOR_HOST is set outside local mode/,
    );
  });

  test('in local mode the emulator is used, insecurely, with the local project by default', async () => {
    const settings = readStandinEnvironment({
      BANK_MODE: 'local',
      STANDIN_DATABASE_URL: 'postgres://x@db.invalid/standin',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:8085',
      STANDIN_PAN_PRIVATE_KEY_B: productionEnvironment().STANDIN_PAN_PRIVATE_KEY_B,
    }).values.pubsub;
    expect(settings).toEqual({ projectId: 'bank-local', emulatorHost: '127.0.0.1:8085' });
    const client = new PubSub(pubsubClientOptions(settings));
    try {
      expect(client.isEmulator).toBe(true);
      expect(client.options.servicePath).toBe('127.0.0.1');
      expect(client.options.port).toBe(8085);
    } finally {
      await client.close();
    }
  });
});
