import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { gatewayWithoutPlatforms } from '../src/api-reference';
import { GATEWAY_CALL_MAP, GATEWAY_CALLERS, type GatewayCaller } from '../src/call-map';
import { gatewayConfigFromEnvironment } from '../src/config';

// The gateway's call map on every route, from the route table itself: each route has an entry,
// each entry is a route, and each caller gets through exactly where its entry says (401 for no
// credential or an unknown one). Nothing is forwarded here: a message let through fails after.

const NETWORK = 'call-map-network-token';
const NETWORK_NEXT = 'call-map-network-token-next';
const STANDIN = 'call-map-standin-token';

let server: FastifyInstance;
let address = '';
const routes: { method: string; url: string }[] = [];

beforeAll(async () => {
  server = gatewayWithoutPlatforms({ serveApiDocs: false, networkCredentials: [NETWORK, NETWORK_NEXT], standinCredentials: [STANDIN] });
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD' && !route.url.startsWith('/docs')) routes.push({ method, url: route.url });
  });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => server?.close());

const credential = (caller: GatewayCaller | 'stranger'): string | undefined =>
  caller === 'network' ? NETWORK : caller === 'standin' ? STANDIN : caller === 'stranger' ? `unknown-${randomUUID()}` : undefined;

test('every route the gateway serves is in the call map, and every entry is a route', () => {
  const served = new Set(routes.map((route) => `${route.method} ${route.url}`));
  expect(served.size).toBeGreaterThanOrEqual(9);
  for (const key of served) expect(GATEWAY_CALL_MAP).toHaveProperty([key]);
  for (const key of Object.keys(GATEWAY_CALL_MAP)) expect(served).toContain(key);
});

test('when each caller calls each route, then it is let through exactly where the map allows it', async () => {
  const wrong: string[] = [];
  for (const route of routes) {
    const allowed = GATEWAY_CALL_MAP[`${route.method} ${route.url}`]!;
    for (const caller of [...GATEWAY_CALLERS, 'stranger'] as const) {
      const token = credential(caller);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
      const response = await fetch(`${address}${route.url}`, { method: route.method, headers, ...(route.method === 'GET' ? {} : { body: '{}' }) });
      const body = (await response.text()) || '{}';
      const through = allowed.includes('anyone') || (caller !== 'anyone' && caller !== 'stranger' && allowed.includes(caller));
      // A credential the gateway knows, on a route not for it: 403; none, or one it does not know: 401.
      const known = caller === 'network' || caller === 'standin';
      const got = response.status === 401 || response.status === 403 ? response.status : 'through';
      if (got !== (through ? 'through' : known ? 403 : 401))
        wrong.push(`${route.method} ${route.url} as ${caller}: got ${response.status} ${body.slice(0, 120)}`);
      if (got === 401) expect(JSON.parse(body)).toMatchObject({ error: { code: 'GATEWAY_UNAUTHENTICATED' } });
    }
  }
  expect(wrong).toEqual([]);
});

test("when the network's credential is being rotated, then both are accepted; a customer's or an operator's bearer is not the network", async () => {
  for (const token of [NETWORK, NETWORK_NEXT, 'local-operator-token']) {
    const response = await fetch(`${address}/scheme/card/authorisations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    await response.arrayBuffer();
    expect(response.status === 401).toBe(token === 'local-operator-token');
  }
});

test('outside local mode the gateway does not start without the network credential; NETWORK_TOKEN_NEXT adds a second', () => {
  const production = {
    GATEWAY_TOKEN: 'g',
    STANDIN_TOKEN: 's',
    GATEWAY_DATA_DIR: '/var/lib/gateway',
    GATEWAY_PAN_SEAL_KEY: Buffer.alloc(32, 7).toString('base64'),
  };
  expect(() => gatewayConfigFromEnvironment(production)).toThrow('NETWORK_TOKEN');
  expect(gatewayConfigFromEnvironment({ ...production, NETWORK_TOKEN: 'a', NETWORK_TOKEN_NEXT: 'b' }).networkCredentials).toEqual(['a', 'b']);
});
