import { infraEndpoints } from '@bank/infra';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { SyncedAccount } from './synced-state';
import { testStandinServer } from './test-server';

// Stand-in's limit on its app API per customer: 429 with Retry-After once met, for that customer
// only; the scheme routes and the platforms' own calls are never limited.

const LIMIT = 4;
const database = openDatabase(infraEndpoints().postgres.standin);
const server = testStandinServer(database, {
  operatorTokens: 'limits-operator:limits-operator-token',
  rateLimits: { customerPerWindow: LIMIT, windowMs: 60_000 },
});
let address = '';

beforeAll(async () => {
  await upgradeSchema(database);
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  await database.end();
});

const get = async (path: string, token: string) => {
  const response = await fetch(`${address}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as { error?: { code: string } }, retryAfter: response.headers.get('retry-after') };
};

test('when a customer exceeds the limit, then 429 with Retry-After; another customer and the operators are not held back', async () => {
  const alice = new SyncedAccount(database);
  await alice.open({ settledMinor: 1_000 });
  const bob = new SyncedAccount(database);
  await bob.open({ settledMinor: 1_000 });
  for (let call = 0; call < LIMIT; call++) expect((await get(`/accounts/${alice.accountId}`, alice.token)).status).toBe(200);
  const limited = await get(`/accounts/${alice.accountId}/transactions`, alice.token);
  expect([limited.status, limited.body.error?.code]).toEqual([429, 'STANDIN_RATE_LIMITED']);
  expect(Number(limited.retryAfter)).toBeGreaterThan(0);
  expect((await get(`/accounts/${bob.accountId}`, bob.token)).status).toBe(200);
  for (let call = 0; call < LIMIT * 2; call++) expect((await get('/configuration', 'limits-operator-token')).status).toBe(200);
});
