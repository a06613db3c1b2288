import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Advice } from '@bank/shared-contracts';
import { operatorsFromTokens } from '@bank/shared-contracts';
import { buildAdviceConsumerServer } from '../src/server';

const OPERATOR_TOKEN = 'server-test-operator-token';

// The advice consumer's HTTP API (issue 12, part 6): repeated `accounts` narrow the report, and
// every refusal, fastify's and Node's own included, uses the envelope {"error":{"code","message"}}.
// The report's two sources are plain functions here: what is tested is the HTTP surface.

const freeze = (accountId: string, sequence: number): Advice => ({
  adviceId: randomUUID(),
  type: 'card.frozen',
  accountId,
  sequence,
  correlationId: randomUUID(),
  createdAt: '2026-11-21T12:00:00Z',
  schemaVersion: 1,
  payload: { cardId: randomUUID(), requestedBy: 'customer' },
});
const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
const log = [freeze(a, 1), freeze(b, 1), freeze(c, 1)];
let standinFails = false;
/** The accounts each read of the two sources was narrowed to (undefined: the whole log). */
const asked: { standin: (readonly string[] | undefined)[]; primary: (readonly string[] | undefined)[] } = { standin: [], primary: [] };

let server: FastifyInstance;
let port: number;
beforeAll(async () => {
  server = buildAdviceConsumerServer({
    health: () => ({ status: 'ok' }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    standinLog: async (accounts) => {
      asked.standin.push(accounts);
      if (standinFails) throw new Error('connect ECONNREFUSED 127.0.0.1:8200 (internal detail)');
      // As stand-in answers: only the accounts asked for.
      return accounts ? log.filter((advice) => accounts.includes(advice.accountId)) : log;
    },
    primaryApplied: async (accounts) => {
      asked.primary.push(accounts);
      return [];
    },
    redrive: async () => ({ applied: 0, failed: [] }),
    operatorOf: operatorsFromTokens(`server-test-operator:${OPERATOR_TOKEN}`),
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  port = (server.server.address() as net.AddressInfo).port;
});
afterAll(() => server.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field in each test
async function get(path: string, token: string | undefined = OPERATOR_TOKEN, method = 'GET'): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.json() };
}

/** Sends `request` as it is (fetch would refuse or re-encode it) and reads the whole answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field in each test
function raw(request: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
}

const envelope = (code: string) => ({ error: { code, message: expect.any(String) } });

test('when accounts are repeated in the query, then the report covers exactly those accounts', async () => {
  const repeated = await get(`/internal/reconciliation?accounts=${a}&accounts=${b}`);
  expect(repeated.status).toBe(200);
  expect(repeated.body).toMatchObject({ standinAdvices: 2, clean: false });
  expect(repeated.body.accounts.map((row: { accountId: string }) => row.accountId).sort()).toEqual([a, b].sort());
  const mixed = await get(`/internal/reconciliation?accounts=${a},${b}&accounts=${c}`);
  expect(mixed.body.standinAdvices).toBe(3);
  expect((await get(`/internal/reconciliation?accounts=${c}`)).body.standinAdvices).toBe(1);
});

test("when the report is for some accounts, then both platforms are asked for theirs only (not the whole log); a malformed account id is the caller's 400", async () => {
  asked.standin.length = 0;
  asked.primary.length = 0;
  await get(`/internal/reconciliation?accounts=${a},${b}`);
  await get('/internal/reconciliation');
  expect(asked.standin.map((accounts) => accounts && [...accounts].sort())).toEqual([[a, b].sort(), undefined]);
  expect(asked.primary.map((accounts) => accounts && [...accounts].sort())).toEqual([[a, b].sort(), undefined]);
  const malformed = await get(`/internal/reconciliation?accounts=${a},not-an-account`);
  expect(malformed).toEqual({ status: 400, body: envelope('ADVICE_CONSUMER_INVALID_QUERY') });
  expect(malformed.body.error.message).toContain('not-an-account');
});

test('when the query is not a list of accounts, then 400 with the envelope and nothing else', async () => {
  for (const query of ['accounts=', 'accounts=,,', 'acounts=x', `accounts=${'x'.repeat(201)}`]) {
    const answer = await get(`/internal/reconciliation?${query}`);
    expect({ query, status: answer.status, body: answer.body }).toEqual({ query, status: 400, body: envelope('ADVICE_CONSUMER_INVALID_QUERY') });
  }
});

test('when a source of the report cannot be read, then 502 with the envelope, naming it without its internals', async () => {
  standinFails = true;
  try {
    const answer = await get('/internal/reconciliation');
    expect(answer).toEqual({ status: 502, body: envelope('ADVICE_CONSUMER_UPSTREAM_UNAVAILABLE') });
    expect(answer.body.error.message).toContain('stand-in');
    expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|8200|internal detail/);
  } finally {
    standinFails = false;
  }
});

test('when the route does not exist, then 404 with the envelope', async () => {
  expect(await get('/no/such/route')).toEqual({ status: 404, body: envelope('ADVICE_CONSUMER_ROUTE_NOT_FOUND') });
  expect(await get(`/internal/reconciliation/${'x'.repeat(5_000)}`)).toEqual({ status: 404, body: envelope('ADVICE_CONSUMER_ROUTE_NOT_FOUND') });
});

test('when the URL is not valid percent-encoding, then 400 with the envelope', async () => {
  expect(await raw('GET /%E0%A4%A HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')).toEqual({
    status: 400,
    body: envelope('ADVICE_CONSUMER_BAD_URL'),
  });
});

test('when the headers are too large, then 431 with the envelope', async () => {
  expect(await raw(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`)).toEqual({
    status: 431,
    body: envelope('ADVICE_CONSUMER_HEADERS_TOO_LARGE'),
  });
});

test('when the request is not HTTP at all, then 400 with the envelope', async () => {
  expect(await raw('NONSENSE\r\n\r\n')).toEqual({ status: 400, body: envelope('ADVICE_CONSUMER_MALFORMED_REQUEST') });
});

test('when the report or the re-drive is asked for without an operator token, then 401 and nothing is read or re-driven; /health needs none', async () => {
  for (const token of ['', 'not-an-operator']) {
    expect(await get(`/internal/reconciliation?accounts=${a}`, token)).toEqual({ status: 401, body: envelope('ADVICE_CONSUMER_UNAUTHENTICATED') });
    expect(await get(`/internal/reconciliation/redrive?accounts=${a}`, token, 'POST')).toEqual({
      status: 401,
      body: envelope('ADVICE_CONSUMER_UNAUTHENTICATED'),
    });
  }
  expect((await get('/health', '')).status).toBe(200);
});
