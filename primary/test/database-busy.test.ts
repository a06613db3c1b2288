import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startPrimary, type TestPrimary } from './harness';

// Under load (chaos scenarios k and l at a load average above 100) a customer's ledger row stayed
// locked longer than a statement may wait, and primary answered 500 PRIMARY_INTERNAL, "unhandled
// error": a defect's answer for a sound request, which callers then treat as one. A statement past
// its timeout or a lock not had in time is the database too busy: 503 with Retry-After, and the same
// request with the same Idempotency-Key succeeds once the row is free.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
}, 60_000);
afterAll(() => primary?.close());

test("when the customer's ledger row stays locked past the statement timeout, then a pot deposit is answered 503 with Retry-After, and succeeds when retried once the row is free", async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const pot = (await primary.call('POST', `/accounts/${account.id}/pots`, { token: account.token, body: { name: 'Rainy day' } })).body as { id: string };
  const idempotencyKey = randomUUID();
  const deposit = () =>
    fetch(`${primary.address}/accounts/${account.id}/pots/${pot.id}/deposit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.token}`, 'idempotency-key': idempotencyKey, 'content-type': 'application/json' },
      body: JSON.stringify({ amountMinor: 2_500 }),
      signal: AbortSignal.timeout(20_000),
    });

  // Someone else holds the customer's ledger row (a long transaction, a stuck batch).
  const holder = new Client({ connectionString: primary.databaseUrl });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('select 1 from ledger_accounts where id = $1 for update', [account.id]);
    const busy = await deposit();
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toEqual({ error: { code: 'PRIMARY_DEPENDENCY_UNAVAILABLE', message: expect.stringContaining('retry later') } });
  } finally {
    await holder.query('rollback').catch(() => undefined);
    await holder.end();
  }

  const retried = await deposit();
  expect(retried.status).toBeLessThan(300);
  expect((await primary.balance(account.id)).settledMinor).toBe(7_500);
}, 30_000);
