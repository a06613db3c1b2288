import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { counterTotal, createAppServer, createConsoleReader, readAppEnvironment, type AppServerConfig } from '../src';

// The app server as the browser and the engineer meet it: where the platforms are, demo
// customers only in local mode, the console's snapshot only with a token, and a console that
// still answers (saying what is missing) when nothing behind it does.

const logger = pino({ level: 'silent' });

/** A port nothing listens on: every call to it is refused at once, as to a platform that is down. */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Over a real socket, as the browser calls it (fastify's inject needs an ES module jest cannot load). */
async function call(app: FastifyInstance, url: string, headers: Record<string, string> = {}) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as net.AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}${url}`, { headers });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read answers of many shapes
  return { statusCode: response.status, headers: Object.fromEntries(response.headers), json: () => JSON.parse(text) as Record<string, any> };
}
const servers: FastifyInstance[] = [];
afterAll(() => Promise.all(servers.map((server) => server.close())));

const local = (env: NodeJS.ProcessEnv = {}) => readAppEnvironment({ BANK_MODE: 'local', ...env }).values;
const OPERATORS = { OPERATOR_TOKENS: 'night-shift:night-token' };

describe('configuration', () => {
  test('local mode: the local stack, demo customers and the public operator token; the browser uses the same URLs', () => {
    const config = local();
    expect(config.publicUrls).toEqual({ primary: 'http://127.0.0.1:8100', standin: 'http://127.0.0.1:8200' });
    expect(config.demo?.operatorToken).toBe('local-operator-token');
  });

  test('outside local mode: the public URLs are required, over https, and no demo or token is offered', () => {
    expect(() => readAppEnvironment({})).toThrow(
      /PRIMARY_PUBLIC_URL is required[\s\S]*STANDIN_PUBLIC_URL is required[\s\S]*OPERATOR_TOKENS is a required secret/,
    );
    expect(() =>
      readAppEnvironment({ ...OPERATORS, PRIMARY_PUBLIC_URL: 'http://primary.bank.example', STANDIN_PUBLIC_URL: 'https://standin.bank.example' }),
    ).toThrow(/PRIMARY_PUBLIC_URL must be an https:\/\/ URL/);
    const config = readAppEnvironment({
      ...OPERATORS,
      PRIMARY_PUBLIC_URL: 'https://primary.bank.example',
      STANDIN_PUBLIC_URL: 'https://standin.bank.example',
    }).values;
    expect(config.demo).toBeUndefined();
    expect(config.local).toBe(false);
  });
});

describe('the server', () => {
  const unreachableReader = async () => {
    const port = await deadPort();
    const dead = `http://127.0.0.1:${port}`;
    return createConsoleReader({
      primaryUrl: dead,
      standinUrl: dead,
      gatewayUrl: dead,
      adviceConsumerUrl: dead,
      appetiteMs: 5_000,
      timeoutMs: 1_000,
      now: () => new Date('2026-12-07T10:00:00Z'),
    });
  };
  const server = async (config: AppServerConfig) => {
    const app = createAppServer({ config, logger, console: await unreachableReader() });
    servers.push(app);
    return app;
  };

  test('/config.json tells the page where the platforms are; the local token only in local mode', async () => {
    const app = await server(local({ PRIMARY_PUBLIC_URL: 'http://127.0.0.1:9100' }));
    const answer = await call(app, '/config.json');
    expect(answer.json()).toMatchObject({
      primaryUrl: 'http://127.0.0.1:9100',
      standinUrl: 'http://127.0.0.1:8200',
      local: true,
      localOperatorToken: 'local-operator-token',
    });
    const production = await server(
      readAppEnvironment({ ...OPERATORS, PRIMARY_PUBLIC_URL: 'https://p.bank.example', STANDIN_PUBLIC_URL: 'https://s.bank.example' }).values,
    );
    expect((await call(production, '/config.json')).json()).not.toHaveProperty('localOperatorToken');
    expect((await call(production, '/demo-customers')).json()).toEqual({
      error: { code: 'APP_NOT_LOCAL_MODE', message: expect.any(String) },
    });
  });

  test('the pages may call only the two platforms (Content-Security-Policy), and are never cached', async () => {
    const app = await server(local());
    const page = await call(app, '/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:8100 http://127.0.0.1:8200");
    expect(page.headers['cache-control']).toBe('no-store');
    expect((await call(app, '/console')).statusCode).toBe(200);
    expect((await call(app, '/nowhere')).json()).toEqual({ error: { code: 'APP_NOT_FOUND', message: 'no such page' } });
  });

  test("the console's snapshot needs an operator's token, and with every source down it still answers, naming what is missing", async () => {
    const app = await server(local());
    expect((await call(app, '/console/snapshot')).json()).toMatchObject({ error: { code: 'APP_OPERATOR_TOKEN_REQUIRED' } });
    // A made-up token reads nothing, even with both platforms down (they cannot refuse it then).
    const madeUp = await call(app, '/console/snapshot', { authorization: 'Bearer made-up' });
    expect([madeUp.statusCode, madeUp.json().error.code]).toEqual([401, 'APP_OPERATOR_TOKEN_REFUSED']);
    const answer = await call(app, '/console/snapshot', { authorization: 'Bearer local-operator-token' });
    expect(answer.statusCode).toBe(200);
    const snapshot = answer.json();
    expect(snapshot.status.platforms.primary).toMatchObject({ reachable: false, reason: expect.stringContaining('connection refused') });
    expect(snapshot.status.platforms.standin).toMatchObject({ reachable: false });
    expect(snapshot.statusText).toContain('NEITHER PLATFORM ANSWERED');
    for (const part of ['gateway', 'shadow', 'cohort', 'audit', 'quarantined', 'incident'])
      expect(snapshot[part]).toMatchObject({ ok: false, why: expect.any(String) });
    expect(snapshot.advices).toEqual({ drainPerSecond: null, consumer: { ok: false, why: expect.stringContaining('connection refused') } });
    expect(snapshot.syncLag).toBeNull();
  });
});

test("the advice consumer's counter of advices taken off the queue, read from its metrics", () => {
  const exposition = [
    '# HELP advice_consumer_outcomes_total Advices by outcome',
    '# TYPE advice_consumer_outcomes_total counter',
    'advice_consumer_outcomes_total{outcome="applied"} 40',
    'advice_consumer_outcomes_total{outcome="duplicate"} 2',
    'advice_consumer_outcomes_total{outcome="retry"} 9',
    'advice_consumer_outcomes_total{outcome="quarantined"} 1',
    'advice_consumer_outcomes_totals{outcome="applied"} 1000',
  ].join('\n');
  expect(counterTotal(exposition, 'advice_consumer_outcomes_total', 'outcome', ['applied', 'duplicate', 'quarantined'])).toBe(43);
  expect(counterTotal('', 'advice_consumer_outcomes_total', 'outcome', ['applied'])).toBeUndefined();
});
