import { randomBytes } from 'node:crypto';
import { PubSub } from '@google-cloud/pubsub';
import { readAdviceConsumerEnvironment } from '../src/config';
import { GOOGLE_PUBSUB_ENDPOINT, pubsubClientOptions } from '../src/pubsub-client';

// The configuration that points the advice consumer at Google Cloud Pub/Sub itself rather than the
// emulator. No network: the client is built and its options read back (it connects lazily).

const token = () => randomBytes(24).toString('hex');

/** Everything the advice consumer needs outside local mode, as a deployment gives it (no emulator). */
function productionEnvironment(): NodeJS.ProcessEnv {
  return { ADVICE_CONSUMER_TOKEN: token(), OPERATOR_TOKENS: `alice:${token()}`, PUBSUB_PROJECT_ID: 'bank-standin-prod' };
}

describe("the advice consumer's Pub/Sub configuration", () => {
  test("outside local mode, without an emulator, the client is built for Google's endpoint and the configured project", async () => {
    const settings = readAdviceConsumerEnvironment(productionEnvironment()).values.pubsub;
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
    expect(() => readAdviceConsumerEnvironment(env)).toThrow(/PUBSUB_PROJECT_ID is required and is not set/);
  });

  test('outside local mode an emulator host stops the start, naming PUBSUB_EMULATOR_HOST', () => {
    expect(() => readAdviceConsumerEnvironment({ ...productionEnvironment(), PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' })).toThrow(
      /PUBSUB_EMULATOR_HOST is set outside local mode/,
    );
  });

  test('in local mode the emulator is used, insecurely, with the local project by default', async () => {
    const settings = readAdviceConsumerEnvironment({ BANK_MODE: 'local', PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }).values.pubsub;
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
