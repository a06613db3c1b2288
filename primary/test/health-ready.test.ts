import { createInfra } from '@bank/infra';
import { startPrimary, type TestPrimary } from './harness';

// Issue 18: a load balancer asks /health/ready whether to send this replica traffic, and an
// orchestrator asks /health/live whether to restart it. With primary's real PostgreSQL paused
// (SIGSTOP), the replica says unready within its budget and stays live; resumed, ready again.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

test('when its database answers, then primary is live and ready', async () => {
  expect(await primary.call('GET', '/health/live')).toMatchObject({ status: 200, body: { status: 'live' } });
  expect(await primary.call('GET', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ready', checks: { database: 'ok' } } });
});

test("when primary's PostgreSQL is paused, then /health/ready answers 503 unready within its budget while /health/live stays 200, and ready again once resumed", async () => {
  const infra = createInfra();
  infra.pause('pg-primary');
  let ready: Awaited<ReturnType<TestPrimary['call']>>;
  let live: Awaited<ReturnType<TestPrimary['call']>>;
  let elapsedMs: number;
  try {
    const started = performance.now();
    ready = await primary.call('GET', '/health/ready');
    elapsedMs = performance.now() - started;
    live = await primary.call('GET', '/health/live');
  } finally {
    infra.resume('pg-primary');
  }
  expect(ready).toMatchObject({ status: 503, body: { status: 'unready', checks: { database: 'unreachable' } } });
  // The budget is 1 s: well inside HAProxy's check timeout.
  expect(elapsedMs).toBeLessThan(2_000);
  expect(live).toMatchObject({ status: 200, body: { status: 'live' } });
  expect(await primary.call('GET', '/health/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
});
