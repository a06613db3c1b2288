import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import { transferRoutes } from '../src/app/app-routes';
import { STANDIN_CALL_MAP, STANDIN_CALLERS, type StandinCaller } from '../src/app/call-map';
import { createStandinServer } from '../src/app/server';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import type { OutboundTransfers } from '../src/payments/outbound-transfers';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { SyncedAccount, testKeys } from './synced-state';
import { CREDENTIALS, TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// Stand-in's call map on every route it serves, read from its route table (onRoute): each route has
// an entry, and each caller gets through exactly where its entry says (401 unknown, 403 known but
// not allowed).

const OPERATOR = 'call-map-operator-token';
const database = openDatabase(infraEndpoints().postgres.standin);
const now = () => new Date();
const server = createStandinServer({
  database,
  logger: pino({ level: 'silent' }),
  now,
  keys: testKeys,
  services: TEST_SERVICES,
  operators: operatorsFromEnvironment({ OPERATOR_TOKENS: `call-map-operator:${OPERATOR}` }),
  cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
  fasterPayments: createFasterPaymentsDesk({ database, now }),
});
const routes: { method: string; url: string }[] = [];
server.addHook('onRoute', (route) => {
  for (const method of [route.method].flat()) if (method !== 'HEAD' && !route.url.startsWith('/docs')) routes.push({ method, url: route.url });
});
let address = '';
let customer: SyncedAccount;

beforeAll(async () => {
  await upgradeSchema(database);
  // The transfer route as main.ts adds it; no transfer gets as far as the scheme here.
  transferRoutes(server, { database, transfers: {} as OutboundTransfers });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
  customer = new SyncedAccount(database);
  await customer.open({ settledMinor: 0 });
});
afterAll(async () => {
  await server.close();
  await database.end();
});

const credential = (caller: StandinCaller | 'stranger'): string | undefined => {
  if (caller === 'anyone') return undefined;
  if (caller === 'customer') return customer.token;
  if (caller === 'operator') return OPERATOR;
  if (caller === 'stranger') return `unknown-${randomUUID()}`;
  return CREDENTIALS[caller];
};

const pathOf = (url: string) => url.replace(':action', 'freeze').replace(/:[A-Za-z]+/g, () => randomUUID());

test('every route stand-in serves is in the call map, and every entry is a route', () => {
  const served = new Set(routes.map((route) => `${route.method} ${route.url}`));
  expect(served.size).toBeGreaterThan(15);
  for (const key of served) expect(STANDIN_CALL_MAP).toHaveProperty([key]);
  for (const key of Object.keys(STANDIN_CALL_MAP)) expect(served).toContain(key);
});

test('when each caller calls each route, then it is let through exactly where the map allows it (403 known, 401 unknown)', async () => {
  const wrong: string[] = [];
  for (const route of routes) {
    const allowed = STANDIN_CALL_MAP[`${route.method} ${route.url}`]!;
    if (route.method === 'OPTIONS') continue; // CORS preflights (`OPTIONS *`, anyone): cors.test.ts
    for (const caller of [...STANDIN_CALLERS, 'stranger'] as const) {
      const token = credential(caller);
      const headers: Record<string, string> = { 'idempotency-key': randomUUID() };
      if (token) headers.authorization = `Bearer ${token}`;
      if (route.method !== 'GET') headers['content-type'] = 'application/json';
      const response = await fetch(`${address}${pathOf(route.url)}`, { method: route.method, headers, ...(route.method === 'GET' ? {} : { body: '{}' }) });
      await response.arrayBuffer();
      const through = allowed.includes('anyone') || (caller !== 'stranger' && caller !== 'anyone' && allowed.includes(caller));
      const expected = through ? 'through' : caller === 'anyone' || caller === 'stranger' ? 401 : 403;
      const got = response.status === 401 || response.status === 403 ? response.status : 'through';
      if (got !== expected) wrong.push(`${route.method} ${route.url} as ${caller}: expected ${expected}, got ${response.status}`);
    }
  }
  expect(wrong).toEqual([]);
}, 120_000);
