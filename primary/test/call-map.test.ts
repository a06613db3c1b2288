import { randomUUID } from 'node:crypto';
import { CALLERS, PRIMARY_CALL_MAP, type Caller } from '../src/platform/call-map';
import { CREDENTIALS, startPrimary, type TestPrimary } from './harness';

// The call map on every route of primary, from the route table itself (fastify's onRoute): each
// route has an entry, and each caller is let through or refused as the entry says: 401 for a
// credential primary does not know, 403 for one it knows that the map does not allow.

const OPERATOR = { name: 'call-map-operator', token: 'call-map-operator-token' };

let primary: TestPrimary;
const routes: { method: string; url: string }[] = [];
let customerToken: string;

beforeAll(async () => {
  primary = await startPrimary({ operators: [OPERATOR] });
  customerToken = (await primary.openAccount()).token;
  routes.push(...primary.routes.filter((route) => route.method !== 'HEAD' && !route.url.startsWith('/docs')));
});
afterAll(() => primary?.close());

/** Each caller's credential (null: none). */
const credential = (caller: Caller | 'stranger'): string | null => {
  if (caller === 'anyone') return null;
  if (caller === 'customer') return customerToken;
  if (caller === 'operator') return OPERATOR.token;
  if (caller === 'stranger') return `unknown-${randomUUID()}`;
  return CREDENTIALS[caller];
};

/** A path for the route: every parameter a fresh UUID (or a direction), so nothing found changes anything. */
const pathOf = (url: string) => url.replace(/:direction/, 'deposit').replace(/:[A-Za-z]+/g, () => randomUUID());

test('every route primary serves has an entry in the call map, and every entry is a route (no stale ones)', () => {
  const served = new Set(routes.map((route) => `${route.method} ${route.url}`));
  expect(served.size).toBeGreaterThan(30);
  for (const key of served) expect(PRIMARY_CALL_MAP).toHaveProperty([key]);
  // The advice batch route is being added beside this change: declared ahead of it.
  for (const key of Object.keys(PRIMARY_CALL_MAP).filter((key) => key !== 'POST /internal/advices/batch')) expect(served).toContain(key);
});

test('when each caller calls each route, then it is let through exactly where the map allows it (403 known, 401 unknown)', async () => {
  const refusals: string[] = [];
  for (const route of routes) {
    const allowed = PRIMARY_CALL_MAP[`${route.method} ${route.url}`]!;
    if (route.url.endsWith('/notifications/stream')) continue; // an open stream; its guard is the same hook, checked below
    if (route.method === 'OPTIONS') continue; // CORS preflights (`OPTIONS *`, anyone): cors.test.ts
    for (const caller of [...CALLERS, 'stranger'] as const) {
      const token = credential(caller);
      const answer = await primary.call(route.method as 'GET' | 'POST' | 'DELETE', pathOf(route.url), {
        token,
        ...(route.method === 'GET' ? {} : { rawBody: '{}' }),
        idempotencyKey: randomUUID(),
      });
      const letThrough = allowed.includes('anyone') || (caller !== 'stranger' && caller !== 'anyone' && allowed.includes(caller));
      const expected = letThrough ? 'through' : caller === 'anyone' || caller === 'stranger' ? 401 : 403;
      const got = answer.status === 401 || answer.status === 403 ? answer.status : 'through';
      if (got !== expected) refusals.push(`${route.method} ${route.url} as ${caller}: expected ${expected}, got ${answer.status}`);
    }
  }
  expect(refusals).toEqual([]);
}, 120_000);

test('the notification stream refuses an operator (403) and an unknown token (401) before it opens', async () => {
  const url = `/accounts/${randomUUID()}/notifications/stream`;
  expect((await primary.call('GET', url, { token: OPERATOR.token })).status).toBe(403);
  expect((await primary.call('GET', url, { token: 'nobody' })).status).toBe(401);
});
