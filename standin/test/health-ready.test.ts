import Fastify from 'fastify';
import { createInfra, infraEndpoints } from '@bank/infra';
import { healthRoutes } from '../src/app/health-routes';
import { openDatabase } from '../src/store/database';

// Issue 18: a load balancer asks /health/ready whether to send this replica traffic, and an
// orchestrator asks /health/live whether to restart it. With stand-in's real PostgreSQL paused
// (SIGSTOP), the replica says unready within its budget and stays live; resumed, ready again.

const database = openDatabase(infraEndpoints().postgres.standin);
const server = Fastify();
// As stand-in's server does: the zod schemas document the routes; replies are plain JSON.
server.setSerializerCompiler(() => (data) => JSON.stringify(data));
healthRoutes(server, { database });
let address = '';
beforeAll(async () => {
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  await database.end();
});

async function get(path: string) {
  const response = await fetch(`${address}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as unknown };
}

test('when its database answers, then stand-in is live and ready', async () => {
  expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'live' } });
  expect(await get('/health/ready')).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok' } } });
});

test("when stand-in's PostgreSQL is paused, then /health/ready answers 503 unready within its budget while /health/live stays 200, and ready again once resumed", async () => {
  const infra = createInfra();
  infra.pause('pg-standin');
  let ready: Awaited<ReturnType<typeof get>>;
  let live: Awaited<ReturnType<typeof get>>;
  let elapsedMs: number;
  try {
    const started = performance.now();
    ready = await get('/health/ready');
    elapsedMs = performance.now() - started;
    live = await get('/health/live');
  } finally {
    infra.resume('pg-standin');
  }
  expect(ready).toEqual({ status: 503, body: { status: 'unready', checks: { database: 'unreachable' } } });
  expect(elapsedMs).toBeLessThan(2_000);
  expect(live).toEqual({ status: 200, body: { status: 'live' } });
  expect(await get('/health/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
});
