import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readPrimaryEnvironment } from '@bank/primary/dist/config.js';
import { readStandinEnvironment } from '@bank/standin/dist/config.js';
import { readSyncerEnvironment } from '@bank/syncer/dist/config.js';
import { readAdviceConsumerEnvironment } from '@bank/advice-consumer/dist/config.js';
import { readGatewayEnvironment } from '@bank/gateway/dist/config.js';
import { IDENTITY_TOKEN_VARIABLES } from '@bank/shared-contracts';
import { SERVICE_SPECS, type ServiceName } from '../src/services.js';
import { CLUSTERS } from '../src/site.js';
import { allObjects, synthesise, type KubeObject } from './synthesised.js';

// Each service's own configuration code, given the environment its manifest gives it: it must start
// outside local mode with no development secret, and every Secret it is handed must be one it
// cannot start without (no credential goes where it is not needed). Secret values are made up here,
// in the format each Secret's declaration names; the settings come from the ConfigMaps as written.

const synthesised = synthesise();
afterAll(() => synthesised.remove());

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const token = () => randomBytes(24).toString('hex');

/** A made-up value in each format a Secret key may hold. */
const SAMPLES: Record<string, () => string> = {
  'base64 32-byte key': () => randomBytes(32).toString('base64'),
  token,
  'operator tokens (name:token,...)': () => `alice:${token()},bob:${token()}`,
  'PEM RSA private key': () => privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  'PEM RSA public key': () => publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  'postgres:// URL with credentials': () => `postgres://bank:${token()}@postgres.invalid:5432/bank`,
  'redis:// URL with credentials': () => `redis://:${token()}@redis.invalid:6379`,
};

/** Each service's configuration reader; each throws a ConfigurationError naming every variable at fault. */
const READERS: Record<ServiceName, (env: NodeJS.ProcessEnv) => { local: boolean; developmentSecrets: readonly string[]; values: { port: number } }> = {
  primary: readPrimaryEnvironment,
  standin: readStandinEnvironment,
  syncer: readSyncerEnvironment,
  'advice-consumer': readAdviceConsumerEnvironment,
  gateway: readGatewayEnvironment,
};

interface GivenEnvironment {
  readonly env: NodeJS.ProcessEnv;
  /** The variables from a Secret a pod cannot start without (optional ones, the rotation keys, are left out: a Secret need not have them). */
  readonly requiredSecrets: readonly string[];
}

/** The environment a service's container gets: its ConfigMap's settings, and a value for each required Secret key it names. */
function environmentFromManifest(service: ServiceName): GivenEnvironment {
  const cluster = synthesised.clusters[SERVICE_SPECS[service].cluster];
  const workload = cluster.objects.find((object) => (object.kind === 'Deployment' || object.kind === 'StatefulSet') && object.metadata.name === service)!;
  const container = workload.spec.template.spec.containers[0];
  const env: NodeJS.ProcessEnv = {};
  for (const source of container.envFrom as { configMapRef: { name: string } }[]) {
    const map = cluster.objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef.name);
    expect(map).toBeDefined();
    Object.assign(env, map!.data);
  }
  const requiredSecrets: string[] = [];
  for (const variable of container.env as { name: string; valueFrom: { secretKeyRef: { name: string; key: string; optional: boolean } } }[]) {
    const reference = variable.valueFrom.secretKeyRef;
    const secret = cluster.secrets.find((object) => object.metadata.name === reference.name);
    const declaration = secret?.metadata.annotations?.[`keys.bank.example/${reference.key}`];
    // Every key a pod reads is declared on a Secret of its cluster, with its format.
    expect({ variable: variable.name, declaration }).toEqual({ variable: variable.name, declaration: expect.any(String) });
    if (reference.optional) continue;
    const sample = SAMPLES[declaration!.split(';')[0]!];
    expect({ variable: variable.name, sample }).toEqual({ variable: variable.name, sample: expect.any(Function) });
    env[variable.name] = sample!();
    requiredSecrets.push(variable.name);
  }
  return { env, requiredSecrets };
}

describe('the manifests give each service what its own configuration code requires outside local mode', () => {
  test.each(Object.keys(SERVICE_SPECS) as ServiceName[])('%s starts with its manifest environment: not local, no development secret, its port', (service) => {
    const { env } = environmentFromManifest(service);
    const read = READERS[service](env);
    expect(read.local).toBe(false);
    expect(read.developmentSecrets).toEqual([]);
    expect(read.values.port).toBe(SERVICE_SPECS[service].port);
  });

  test.each(Object.keys(SERVICE_SPECS) as ServiceName[])('%s cannot start without any one of the Secret keys it is given (none is superfluous)', (service) => {
    const { env, requiredSecrets } = environmentFromManifest(service);
    expect(requiredSecrets.length).toBeGreaterThan(0);
    for (const name of requiredSecrets) {
      const without = { ...env };
      delete without[name];
      expect(() => READERS[service](without)).toThrow(name);
    }
  });

  test('the settings the services require outside local mode (besides secrets) come from the ConfigMaps, and stop the start when missing', () => {
    for (const [service, name] of [
      ['primary', 'KAFKA_BROKERS'],
      ['syncer', 'KAFKA_BROKERS'],
      ['standin', 'PUBSUB_PROJECT_ID'],
      ['advice-consumer', 'PUBSUB_PROJECT_ID'],
      ['gateway', 'GATEWAY_DATA_DIR'],
    ] as const) {
      const { env } = environmentFromManifest(service);
      expect(env[name]).toBeTruthy();
      const without = { ...env };
      delete without[name];
      expect(() => READERS[service](without)).toThrow(name);
    }
  });

  test('primary encrypts card numbers for the keyset B that stand-in and the syncer hold (else stand-in refuses every card)', () => {
    const ids = (['primary', 'standin', 'syncer'] as const).map((service) => environmentFromManifest(service).env.STANDIN_PAN_KEY_B_ID);
    expect(ids[0]).toBeTruthy();
    expect(new Set(ids).size).toBe(1);
  });

  test('the services that accept an identity are given its rotation key as optional, so a rotation needs no new manifest', () => {
    const { env } = environmentFromManifest('primary');
    const workload = synthesised.clusters['primary-cloud'].objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'primary')!;
    const next = (workload.spec.template.spec.containers[0].env as { name: string; valueFrom: { secretKeyRef: { optional: boolean } } }[]).filter((variable) =>
      variable.name.endsWith('_NEXT'),
    );
    expect(next.map((variable) => variable.name).sort()).toEqual(
      ['gateway', 'standin', 'advice-consumer', 'card-manufacturer', 'onboarding']
        .map((identity) => `${IDENTITY_TOKEN_VARIABLES[identity as 'gateway']}_NEXT`)
        .sort(),
    );
    for (const variable of next) expect(variable.valueFrom.secretKeyRef.optional).toBe(true);
    // With a rotation key present primary accepts both credentials.
    const read = readPrimaryEnvironment({ ...env, GATEWAY_TOKEN_NEXT: 'the-next-gateway-credential' });
    expect(read.values.credentials.accepted.gateway).toEqual([env.GATEWAY_TOKEN, 'the-next-gateway-credential']);
  });
});

describe('no secret in the manifests', () => {
  const objects = allObjects(synthesised);
  const secretKeys = new Set(
    CLUSTERS.flatMap((cluster) => synthesised.clusters[cluster].secrets.flatMap((secret) => Object.keys(secret.metadata.annotations ?? {}))).map((annotation) =>
      annotation.replace('keys.bank.example/', ''),
    ),
  );

  test('no Secret object carries a value', () => {
    const secrets = objects.filter((object) => object.kind === 'Secret');
    expect(secrets.length).toBeGreaterThan(5);
    for (const secret of secrets) {
      expect(secret.data).toBeUndefined();
      expect(secret.stringData).toBeUndefined();
    }
  });

  test('no ConfigMap holds a secret: no Secret key by name, no key material, no credential in a URL', () => {
    const maps = objects.filter((object): object is KubeObject & { data: Record<string, string> } => object.kind === 'ConfigMap');
    for (const map of maps)
      for (const [name, value] of Object.entries(map.data)) {
        expect({ name, secret: secretKeys.has(name) }).toEqual({ name, secret: false });
        expect(value).not.toMatch(/-----BEGIN|^[A-Za-z0-9+/]{43}=$/);
        expect(value).not.toMatch(/\/\/[^/@\s]+:[^/@\s]+@/);
      }
  });

  test('nothing runs in local mode (BANK_MODE=local would take public development secrets)', () => {
    const text = JSON.stringify(objects);
    expect(text).toContain('"BANK_MODE":"production"');
    expect(text).not.toMatch(/BANK_MODE[^,]*local/);
  });
});
