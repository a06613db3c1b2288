import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import { createStandinServer } from '../src/app/server';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { SyncedAccount, testKeys } from './synced-state';
import { TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// Issue 17: primary's app tokens expire and can be revoked, and stand-in, which recognises
// customers by the credentials primary synced, refuses them the same way once the expiry passes
// (by stand-in's clock) or a revocation has synced: 401 with a code of its own, on every app route.

const database = openDatabase(infraEndpoints().postgres.standin);
let current = new Date('2026-11-21T12:00:00.000Z');
const now = () => new Date(current);
const server = createStandinServer({
  database,
  logger: pino({ level: 'silent' }),
  now,
  keys: testKeys,
  services: TEST_SERVICES,
  operators: operatorsFromEnvironment({ OPERATOR_TOKENS: 'token-test-operator:token-test-operator-token' }),
  cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
  fasterPayments: createFasterPaymentsDesk({ database, now }),
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
beforeEach(() => (current = new Date('2026-11-21T12:00:00.000Z')));

async function balanceAs(account: SyncedAccount, token: string) {
  const response = await fetch(`${address}/accounts/${account.accountId}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
}

const at = (iso: string) => new Date(iso);

test("when a synced token is within its expiry, then it works; once stand-in's clock passes it, 401 STANDIN_CUSTOMER_TOKEN_EXPIRED", async () => {
  const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
  const token = randomBytes(24).toString('base64url');
  await account.credential(token, { issuedAt: at('2026-11-21T11:00:00Z'), expiresAt: at('2026-11-23T11:00:00Z') });
  expect((await balanceAs(account, token)).status).toBe(200);
  current = at('2026-11-23T11:00:00Z');
  const refused = await balanceAs(account, token);
  expect(refused.status).toBe(401);
  expect(refused.body.error?.code).toBe('STANDIN_CUSTOMER_TOKEN_EXPIRED');
});

test('when a revocation has synced, then every token issued at or before it is refused 401 STANDIN_CUSTOMER_TOKEN_REVOKED, and one issued after works', async () => {
  const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
  const bystander = await new SyncedAccount(database).open({ settledMinor: 1_000 });
  const second = randomBytes(24).toString('base64url');
  await account.credential(second, { issuedAt: at('2026-11-21T11:00:00Z'), expiresAt: at('2026-12-21T11:00:00Z') });
  expect((await balanceAs(account, account.token)).status).toBe(200);
  expect((await balanceAs(account, second)).status).toBe(200);

  await account.revokeCredentials(at('2026-11-21T11:30:00Z'));
  for (const token of [account.token, second]) {
    const refused = await balanceAs(account, token);
    expect(refused.status).toBe(401);
    expect(refused.body.error?.code).toBe('STANDIN_CUSTOMER_TOKEN_REVOKED');
  }
  // The customer signed in again after the revocation: that token works.
  const afterwards = randomBytes(24).toString('base64url');
  await account.credential(afterwards, { issuedAt: at('2026-11-21T11:30:00.001Z'), expiresAt: at('2026-12-21T11:30:00Z') });
  expect((await balanceAs(account, afterwards)).status).toBe(200);
  // Another customer is untouched.
  expect((await balanceAs(bystander, bystander.token)).status).toBe(200);
});

test('when a revoked token calls a route customers may not call, then it is 401 (not a customer any more), not 403', async () => {
  const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
  await account.revokeCredentials(at('2026-11-21T11:30:00Z'));
  const response = await fetch(`${address}/advices/in-flight`, { headers: { authorization: `Bearer ${account.token}` }, signal: AbortSignal.timeout(5_000) });
  expect(response.status).toBe(401);
});
