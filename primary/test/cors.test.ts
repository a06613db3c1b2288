import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { IDENTITY_TOKEN_VARIABLES, SERVICE_IDENTITIES } from '@bank/shared-contracts';
import { readPrimaryEnvironment } from '../src/config';
import { LOCAL_APP_ORIGINS, parseAppOrigins } from '../src/platform/cors';
import { startPrimary, type TestPrimary } from './harness';

// The browser app calls primary's app API from its own origin (APP_ORIGINS): preflights answered
// before the call guard and the limits, CORS headers on every answer to an allowed origin (refusals
// and the notification stream included), none for any other origin.

const APP = 'https://app.bank.example';
const OTHER = 'https://evil.example';

describe('APP_ORIGINS', () => {
  const publicKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const required = { PRIMARY_DATABASE_URL: 'postgres://x@db.invalid/p', PRIMARY_REDIS_URL: 'redis://redis.invalid', KAFKA_BROKERS: 'kafka.invalid:9092' };
  const local = { ...required, BANK_MODE: 'local', STANDIN_PAN_PUBLIC_KEY_B: publicKey };
  /** Every secret primary needs outside local mode, made up. */
  const production = {
    ...required,
    STANDIN_PAN_PUBLIC_KEY_B: publicKey,
    PRIMARY_PAN_KEY_A: randomBytes(32).toString('base64'),
    PRIMARY_PAN_INDEX_KEY: randomBytes(32).toString('base64'),
    OPERATOR_TOKENS: `alice:${randomUUID()}`,
    ...Object.fromEntries(SERVICE_IDENTITIES.map((identity) => [IDENTITY_TOKEN_VARIABLES[identity], randomUUID()])),
  };

  test('when it is not set, then local mode allows the local app server and production no origin at all', () => {
    expect(readPrimaryEnvironment(local).values.appOrigins).toEqual(LOCAL_APP_ORIGINS);
    expect(LOCAL_APP_ORIGINS).toEqual(['http://127.0.0.1:8700', 'http://localhost:8700']);
    expect(readPrimaryEnvironment(production).values.appOrigins).toEqual([]);
  });

  test('when it names origins, then exactly those are allowed (spaces and repeats aside), in either mode', () => {
    const given = ` ${APP}, https://console.bank.example:8443 ,${APP}`;
    expect(readPrimaryEnvironment({ ...production, APP_ORIGINS: given }).values.appOrigins).toEqual([APP, 'https://console.bank.example:8443']);
    expect(readPrimaryEnvironment({ ...local, APP_ORIGINS: APP }).values.appOrigins).toEqual([APP]);
  });

  test.each([
    ['https://app.bank.example/', 'no path'],
    ['https://app.bank.example/app', 'no path'],
    ['*', 'not an origin'],
    ['https://*.bank.example', 'no wildcard'],
    ['app.bank.example', 'not an origin'],
    ['ftp://app.bank.example', 'http or https'],
    ['https://app.bank.example:443', 'no default port'],
    ['https://APP.bank.example', 'expected exactly https://app.bank.example'],
  ])('when an entry is %s, then primary refuses to start and names it', (bad, why) => {
    expect(() => readPrimaryEnvironment({ ...production, APP_ORIGINS: `${APP},${bad}` })).toThrow(
      expect.objectContaining({ message: expect.stringContaining(`APP_ORIGINS is not usable: "${bad}"`) }),
    );
    const parsed = parseAppOrigins(`${APP},${bad}`);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(why);
  });
});

describe('CORS on a running primary', () => {
  let primary: TestPrimary;
  let account: Awaited<ReturnType<TestPrimary['openAccount']>>;

  beforeAll(async () => {
    primary = await startPrimary({ appOrigins: [APP, 'https://console.bank.example'], notificationStreamsPerCustomer: 1 });
    account = await primary.openAccount();
  });
  afterAll(() => primary?.close());

  const request = (method: string, path: string, headers: Record<string, string>) =>
    fetch(`${primary.address}${path}`, { method, headers, signal: AbortSignal.timeout(10_000) });

  test('when the app preflights a call from an allowed origin, then it gets 204 with what it may send, before any credential is asked for', async () => {
    const answer = await request('OPTIONS', `/accounts/${account.id}/transfers`, {
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
    expect(answer.headers.get('vary')).toMatch(/origin/i);
  });

  test('when another origin preflights or calls, then no CORS header is given (the preflight is a 404 envelope)', async () => {
    const preflight = await request('OPTIONS', '/accounts', { origin: OTHER, 'access-control-request-method': 'GET' });
    expect(preflight.status).toBe(404);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
    const call = await request('GET', '/accounts', { origin: OTHER, authorization: `Bearer ${account.token}` });
    expect(call.status).toBe(200);
    expect(call.headers.get('access-control-allow-origin')).toBeNull();
    // Without an Origin (another service, curl): nothing either.
    expect((await request('GET', '/status', {})).headers.get('access-control-allow-origin')).toBeNull();
  });

  test('when the app calls from an allowed origin, then answers and refusals alike carry its origin and expose Retry-After', async () => {
    const mine = await request('GET', `/accounts/${account.id}`, { origin: APP, authorization: `Bearer ${account.token}` });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('access-control-allow-origin')).toBe(APP);
    expect(mine.headers.get('access-control-expose-headers')).toBe('retry-after');

    const unauthenticated = await request('GET', `/accounts/${account.id}`, { origin: APP, authorization: 'Bearer nobody' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(APP);
    expect(((await unauthenticated.json()) as { error: { code: string } }).error.code).toMatch(/^PRIMARY_/);

    const notMine = await request('GET', `/accounts/${randomUUID()}`, { origin: APP, authorization: `Bearer ${account.token}` });
    expect(notMine.status).toBe(404);
    expect(notMine.headers.get('access-control-allow-origin')).toBe(APP);

    const noRoute = await request('GET', '/no-such-route', { origin: 'https://console.bank.example' });
    expect(noRoute.status).toBe(404);
    expect(noRoute.headers.get('access-control-allow-origin')).toBe('https://console.bank.example');

    const status = await request('GET', `/status?user=${account.customerId}`, { origin: APP });
    expect(status.status).toBe(200);
    expect(status.headers.get('access-control-allow-origin')).toBe(APP);
  });

  test('when the app reads the notification stream (hijacked, written raw), then the stream and its 429 carry the CORS headers', async () => {
    const stop = new AbortController();
    const headers = { origin: APP, authorization: `Bearer ${account.token}`, 'last-event-id': '0' };
    const stream = await fetch(`${primary.address}/accounts/${account.id}/notifications/stream`, { headers, signal: stop.signal });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toBe('text/event-stream');
      expect(stream.headers.get('access-control-allow-origin')).toBe(APP);
      expect(stream.headers.get('access-control-expose-headers')).toBe('retry-after');
      // One stream per customer here: the second is refused, readably.
      const refused = await request('GET', `/accounts/${account.id}/notifications/stream`, headers);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('access-control-allow-origin')).toBe(APP);
      expect(refused.headers.get('retry-after')).not.toBeNull();
    } finally {
      stop.abort();
      await stream.body?.cancel().catch(() => undefined);
    }
  });
});

test('when a rate limit refuses a customer from an allowed origin, then the 429 carries the CORS headers too', async () => {
  const primary = await startPrimary({ appOrigins: [APP], rateLimits: { customerPerWindow: 1, accountOpeningsPerWindow: 100, windowMs: 60_000 } });
  try {
    const account = await primary.openAccount();
    const headers = { origin: APP, authorization: `Bearer ${account.token}` };
    await (await fetch(`${primary.address}/accounts`, { headers })).arrayBuffer();
    const limited = await fetch(`${primary.address}/accounts`, { headers });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(APP);
    // A preflight is never counted: the browser sends it without the token.
    const preflight = await fetch(`${primary.address}/accounts`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(204);
  } finally {
    await primary.close();
  }
});
