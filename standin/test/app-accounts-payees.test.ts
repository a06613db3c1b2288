import { randomUUID } from 'node:crypto';
import type { Database } from '../src/store/database';
import { SyncedAccount } from './synced-state';
import { temporaryStandinDatabase } from './temporary-database';
import { testStandinServer } from './test-server';

// Stand-in's app API for the browser app: the customer's accounts, an account's payees as synced
// from primary, and how current the balance is (asOf, syncLagMs, alerting, lastSyncedChangeAt). A
// database of the file's own: sync_lag is one row for the whole platform.

let database: Database;
let drop: () => Promise<void>;
let clock = new Date('2026-12-01T10:00:00.000Z');
let server: ReturnType<typeof testStandinServer>;
let address = '';

beforeAll(async () => {
  ({ database, drop } = await temporaryStandinDatabase('app_accounts'));
  server = testStandinServer(database, { now: () => clock });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await drop?.();
});

async function get(path: string, token: string) {
  const response = await fetch(`${address}${path}`, { headers: { authorization: `Bearer ${token}` } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('GET /accounts', () => {
  test("when a customer asks for their accounts, then they get each of theirs (newest version, with its balance) and nobody else's", async () => {
    const alice = await new SyncedAccount(database).open({ settledMinor: 12_345, overdraftLimitMinor: 5_000 });
    const aliceSavings = await new SyncedAccount(database, alice.customerId).open({ settledMinor: 100 });
    const bob = await new SyncedAccount(database).open({ settledMinor: 7 });

    const mine = await get('/accounts', alice.token);
    expect(mine.status).toBe(200);
    expect(mine.body.accounts.map((account: { id: string }) => account.id)).toEqual([alice.accountId, aliceSavings.accountId]);
    expect(mine.body.accounts[0]).toEqual({
      id: alice.accountId,
      // What the app polls /status?user= with, when it signs in while primary is down.
      customerId: alice.customerId,
      holderName: 'Test Customer',
      sortCode: '608371',
      accountNumber: alice.accountNumber,
      status: 'open',
      balance: expect.objectContaining({ syncedMinor: 12_345, overdraftLimitMinor: 5_000, spendableMinor: 17_345, alerting: false }),
    });
    // The same account answered the same way on its own route.
    expect((await get(`/accounts/${alice.accountId}`, alice.token)).body).toEqual(mine.body.accounts[0]);
    // Either of the customer's tokens: the customer, not the token, holds the accounts.
    expect((await get('/accounts', aliceSavings.token)).body.accounts).toHaveLength(2);

    const bobs = await get('/accounts', bob.token);
    expect(bobs.body.accounts.map((account: { id: string }) => account.id)).toEqual([bob.accountId]);
    expect((await get('/accounts', `unknown-${randomUUID()}`)).status).toBe(401);
  });

  test("when primary moved an account to another customer, then only the newest version's customer sees it", async () => {
    const carol = await new SyncedAccount(database).open({ settledMinor: 0 });
    const dave = await new SyncedAccount(database).open({ settledMinor: 0 });
    await database.query(
      `insert into synced_accounts (account_id, sequence, customer_id, holder_name, sort_code, account_number, status, overdraft_limit_minor, unapproved_overdraft)
       values ($1, 100, $2, 'Dave', '608371', $3, 'open', 0, false)`,
      [carol.accountId, dave.customerId, carol.accountNumber],
    );
    expect((await get('/accounts', carol.token)).body.accounts).toEqual([]);
    expect((await get('/accounts', dave.token)).body.accounts.map((account: { id: string }) => account.id).sort()).toEqual(
      [carol.accountId, dave.accountId].sort(),
    );
  });
});

describe('GET /accounts/:accountId/payees', () => {
  test("when a customer asks for an account's payees, then they get those primary has and has not removed, with primary's fields", async () => {
    const alice = await new SyncedAccount(database).open({ settledMinor: 0 });
    const landlord = await alice.payee({ name: 'Landlord Ltd', sortCode: '200000', accountNumber: '55779911' });
    const gym = await alice.payee({ name: 'Gym', sortCode: '400100', accountNumber: '12345678' });
    const mum = await alice.payee({ name: 'Mum', sortCode: '309950', accountNumber: '87654321' });
    await alice.removePayee(gym);

    const payees = await get(`/accounts/${alice.accountId}/payees`, alice.token);
    expect(payees.status).toBe(200);
    expect(payees.body).toEqual({
      payees: [
        { id: landlord, name: 'Landlord Ltd', sortCode: '200000', accountNumber: '55779911' },
        { id: mum, name: 'Mum', sortCode: '309950', accountNumber: '87654321' },
      ],
    });

    const bob = await new SyncedAccount(database).open({ settledMinor: 0 });
    expect((await get(`/accounts/${bob.accountId}/payees`, bob.token)).body).toEqual({ payees: [] });
    const notHers = await get(`/accounts/${alice.accountId}/payees`, bob.token);
    expect(notHers.status).toBe(404);
    expect(notHers.body.error.code).toBe('STANDIN_NOT_FOUND');
  });
});

describe('how current the balance is', () => {
  test('when the syncer has written no lag yet, then asOf is when stand-in last received anything for the account; then it follows sync_lag and the clock', async () => {
    const alice = await new SyncedAccount(database).open({ settledMinor: 500 });
    // The account's newest event, received (synced_at) after everything else of it.
    const occurredAt = new Date(Date.now() + 3_600_000 - 800);
    const syncedAt = new Date(Date.now() + 3_600_000);
    await alice.lastEvent(occurredAt, syncedAt);
    clock = new Date(syncedAt.getTime() + 2_500);

    const before = (await get(`/accounts/${alice.accountId}`, alice.token)).body.balance;
    expect(before).toEqual(
      expect.objectContaining({
        spendableMinor: 500,
        asOf: syncedAt.toISOString(),
        syncLagMs: 2_500,
        alerting: false,
        lastSyncedChangeAt: occurredAt.toISOString(),
      }),
    );

    await database.query(
      `insert into sync_lag (singleton, last_event_at, last_applied_at, lag_ms, alerting) values (true, $1, $1, 1500, true)
       on conflict (singleton) do update set lag_ms = 1500, alerting = true`,
      [clock],
    );
    const lagging = (await get(`/accounts/${alice.accountId}`, alice.token)).body.balance;
    expect(lagging).toEqual(
      expect.objectContaining({
        asOf: new Date(clock.getTime() - 1_500).toISOString(),
        syncLagMs: 1_500,
        alerting: true,
        lastSyncedChangeAt: occurredAt.toISOString(),
      }),
    );

    // The injected clock moves on; the lag is the syncer's, so asOf moves with the clock.
    clock = new Date(clock.getTime() + 60_000);
    await database.query('update sync_lag set lag_ms = 40, alerting = false');
    const listed = (await get('/accounts', alice.token)).body.accounts[0].balance;
    expect(listed).toEqual(expect.objectContaining({ asOf: new Date(clock.getTime() - 40).toISOString(), syncLagMs: 40, alerting: false }));
  });

  test('when the syncer stops saying it hears Kafka (it died, or lost Kafka), then its last small lag no longer passes for current data: the silence is the lag', async () => {
    const bob = await new SyncedAccount(database).open({ settledMinor: 900 });
    // The syncer's heartbeat: it heard Kafka a moment ago, with 40 ms of lag and a 5 s appetite.
    await database.query('update sync_lag set lag_ms = 40, alerting = false, heard_at = $1, appetite_ms = 5000', [new Date(clock.getTime() - 1_000)]);
    const fresh = (await get(`/accounts/${bob.accountId}`, bob.token)).body.balance;
    expect(fresh).toEqual(expect.objectContaining({ asOf: new Date(clock.getTime() - 40).toISOString(), syncLagMs: 40, alerting: false }));

    // Then nothing for a minute: the syncer is gone, its row still says 40 ms.
    clock = new Date(clock.getTime() + 60_000);
    const stale = (await get(`/accounts/${bob.accountId}`, bob.token)).body.balance;
    expect(stale).toEqual(expect.objectContaining({ asOf: new Date(clock.getTime() - 61_000).toISOString(), syncLagMs: 61_000, alerting: true }));
    // What apps and the CLI read says the same.
    const status = await fetch(`${address}/status`).then((response) => response.json() as Promise<{ sync?: { lagMs: number; alerting: boolean } }>);
    expect(status.sync).toEqual({ lagMs: 61_000, alerting: true });
  });
});
