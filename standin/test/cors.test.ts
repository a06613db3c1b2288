import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { infraEndpoints } from '@bank/infra';
import { readStandinEnvironment } from '../src/config';
import { readAppOrigins, STANDIN_LOCAL_APP_ORIGINS } from '../src/app/cors';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { SyncedAccount } from './synced-state';
import { testStandinServer } from './test-server';

// The browser app reads stand-in's app API and /status from its own origin (APP_ORIGINS): preflights
// answered before the call guard and the customer limit, CORS headers on every answer to an allowed
// origin (refusals included, so the app can read the envelope), none for any other origin.

const APP = 'https://app.bank.example';
const OTHER = 'https://evil.example';

describe('APP_ORIGINS', () => {
  const key = () => randomBytes(32).toString('base64');
  const token = () => randomBytes(24).toString('hex');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const local: NodeJS.ProcessEnv = {
    BANK_MODE: 'local',
    STANDIN_DATABASE_URL: 'postgres://standin@db.invalid/standin',
    STANDIN_PAN_PRIVATE_KEY_B: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  /** Everything stand-in needs outside local mode, made up. */
  const production: NodeJS.ProcessEnv = {
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

  test('when it is not set, then local mode allows the local app server, and outside local mode no origin at all', () => {
    expect(readStandinEnvironment(local).values.appOrigins).toEqual(['http://127.0.0.1:8700', 'http://localhost:8700']);
    expect(STANDIN_LOCAL_APP_ORIGINS).toEqual(['http://127.0.0.1:8700', 'http://localhost:8700']);
    expect(readStandinEnvironment(production).values.appOrigins).toEqual([]);
  });

  test('when it names origins, then exactly those are allowed', () => {
    expect(readStandinEnvironment({ ...production, APP_ORIGINS: `${APP}, https://console.bank.example:8443,${APP}` }).values.appOrigins).toEqual([
      APP,
      'https://console.bank.example:8443',
    ]);
    expect(readStandinEnvironment({ ...local, APP_ORIGINS: APP }).values.appOrigins).toEqual([APP]);
  });

  test.each([
    'https://app.bank.example/',
    'https://app.bank.example/path',
    '*',
    'https://*.bank.example',
    'app.bank.example',
    'ws://app.bank.example',
    'http://app.bank.example:80',
  ])('when an entry is %s, then stand-in refuses to start and names it', (bad) => {
    expect(() => readStandinEnvironment({ ...production, APP_ORIGINS: `${APP},${bad}` })).toThrow(`APP_ORIGINS is not usable: ${bad} is not an origin`);
    expect(() => readAppOrigins(bad)).toThrow(bad);
  });
});

describe('CORS on a running stand-in', () => {
  const database = openDatabase(infraEndpoints().postgres.standin);
  const server = testStandinServer(database, { appOrigins: [APP], rateLimits: { customerPerWindow: 3, windowMs: 60_000 } });
  let address = '';
  let customer: SyncedAccount;

  beforeAll(async () => {
    await upgradeSchema(database);
    address = await server.listen({ port: 0, host: '127.0.0.1' });
    customer = await new SyncedAccount(database).open({ settledMinor: 1_000 });
  });
  afterAll(async () => {
    await server.close();
    await database.end();
  });

  const request = (method: string, path: string, headers: Record<string, string>) => fetch(`${address}${path}`, { method, headers });

  test('when the app preflights a call from an allowed origin, then it gets 204 with what it may send, before any credential is asked for', async () => {
    const answer = await request('OPTIONS', `/accounts/${customer.accountId}/transfers`, {
      origin: APP,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    });
    expect(answer.status).toBe(204);
    expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE');
    expect(answer.headers.get('access-control-allow-headers')).toBe('authorization, content-type, idempotency-key, last-event-id');
    expect(answer.headers.get('access-control-max-age')).toBe('600');
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('when another origin preflights or calls, then no CORS header is given', async () => {
    const preflight = await request('OPTIONS', '/accounts', { origin: OTHER, 'access-control-request-method': 'GET' });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
    const status = await request('GET', '/status', { origin: OTHER });
    expect(status.status).toBe(200);
    expect(status.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('when the app calls from an allowed origin, then answers and refusals (401, 404, 429) carry its origin and expose Retry-After', async () => {
    const status = await request('GET', `/status?user=${customer.customerId}`, { origin: APP });
    expect(status.status).toBe(200);
    expect(status.headers.get('access-control-allow-origin')).toBe(APP);
    expect(status.headers.get('access-control-expose-headers')).toBe('retry-after');

    const unauthenticated = await request('GET', `/accounts/${customer.accountId}`, { origin: APP, authorization: `Bearer nobody-${randomUUID()}` });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(APP);
    expect(((await unauthenticated.json()) as { error: { code: string } }).error.code).toBe('STANDIN_UNAUTHENTICATED');

    const headers = { origin: APP, authorization: `Bearer ${customer.token}` };
    const notMine = await request('GET', `/accounts/${randomUUID()}`, headers);
    expect(notMine.status).toBe(404);
    expect(notMine.headers.get('access-control-allow-origin')).toBe(APP);

    // The limit is 3 a minute here: 1 call so far (the 404), then 2 more, then refused.
    for (let call = 0; call < 2; call += 1) expect((await request('GET', `/accounts/${customer.accountId}`, headers)).status).toBe(200);
    const limited = await request('GET', `/accounts/${customer.accountId}`, headers);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(APP);
    expect(limited.headers.get('retry-after')).not.toBeNull();
    // A preflight is not counted against the customer (it carries no token), and is still answered.
    expect((await request('OPTIONS', '/accounts', { origin: APP, 'access-control-request-method': 'GET' })).status).toBe(204);
  });
});
