import { HARNESS_OPERATOR, startPrimary, type TestPrimary } from './harness';

// Issue 17: a notifications stream holds a connection and polls the database for as long as it is
// open, so a customer may hold only a few at once (PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER); the
// next is answered 429 PRIMARY_TOO_MANY_STREAMS with Retry-After, and a closed one frees its place.

const MAX_STREAMS = 2;

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary({ notificationStreamsPerCustomer: MAX_STREAMS });
});
afterAll(() => primary?.close());

const opened: AbortController[] = [];
afterEach(() => {
  for (const controller of opened.splice(0)) controller.abort();
});

/** Opens a stream and waits (bounded) for its status line; the stream stays open until aborted. */
async function openStream(account: { id: string; token: string }) {
  const controller = new AbortController();
  opened.push(controller);
  const timeout = setTimeout(() => controller.abort(), 5_000);
  const response = await fetch(`${primary.address}/accounts/${account.id}/notifications/stream`, {
    headers: { authorization: `Bearer ${account.token}` },
    signal: controller.signal,
  });
  clearTimeout(timeout);
  return { response, close: () => controller.abort() };
}

test('when a customer opens one stream more than allowed, then it is answered 429 with Retry-After; other customers are not counted against them', async () => {
  const account = await primary.openAccount();
  const other = await primary.openAccount();
  for (let i = 0; i < MAX_STREAMS; i++) expect((await openStream(account)).response.status).toBe(200);
  const refused = await openStream(account);
  expect(refused.response.status).toBe(429);
  expect(Number(refused.response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await refused.response.json()) as { error: { code: string } }).error.code).toBe('PRIMARY_TOO_MANY_STREAMS');
  expect((await openStream(other)).response.status).toBe(200);
});

test('when a stream is closed, then its place is free again', async () => {
  const account = await primary.openAccount();
  const streams = [];
  for (let i = 0; i < MAX_STREAMS; i++) streams.push(await openStream(account));
  expect((await openStream(account)).response.status).toBe(429);
  streams[0]!.close();
  // The server sees the connection close shortly after; bounded wait.
  const deadline = Date.now() + 5_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await openStream(account)).response.status;
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe(200);
});

test("when the customer's tokens are revoked, then their open stream ends (within the 15 s recheck)", async () => {
  const account = await primary.openAccount();
  const stream = await openStream(account);
  expect(stream.response.status).toBe(200);
  const revoked = await primary.call('POST', `/internal/customers/${account.customerId}/tokens/revoke`, {
    token: HARNESS_OPERATOR.token,
    body: { reason: 'stream test' },
  });
  expect(revoked.status).toBe(200);
  // Read until the server ends the stream; bounded.
  const reader = stream.response.body!.getReader();
  const ended = await Promise.race([
    (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })(),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 25_000)),
  ]);
  expect(ended).toBe(true);
}, 30_000);
