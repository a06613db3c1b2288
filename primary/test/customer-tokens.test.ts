import { createHash } from 'node:crypto';
import { CREDENTIALS, startPrimary, type TestPrimary } from './harness';

// Issue 17: an app token ends. It expires PRIMARY_CUSTOMER_TOKEN_TTL_DAYS after it is issued (a
// fresh one can be had before then), and an operator can revoke every token a customer holds,
// audited, announced to stand-in on each of the customer's accounts.

const SECURITY_OPERATOR = { name: 'security-desk', token: 'security-desk-token' };
const START = '2026-11-21T12:00:00.000Z';
const DAY_MS = 86_400_000;

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary({ operators: [SECURITY_OPERATOR], customerTokenTtlDays: 2, now: START });
});
afterAll(() => primary?.close());
// Each test starts at the same time on primary's clock (the fixed test clock; tests move it).
beforeEach(() => primary.clock.set(START));
const setTime = (at: Date) => primary.clock.set(at);

const revoke = (customerId: string, body: object, token: string | null = SECURITY_OPERATOR.token) =>
  primary.call('POST', `/internal/customers/${customerId}/tokens/revoke`, { token, body });

test('when a token is within its lifetime, then it works, and the account opening said when it expires', async () => {
  const account = await primary.openAccount();
  expect(account.tokenExpiresAt).toBe(new Date(Date.parse(START) + 2 * DAY_MS).toISOString());
  expect((await primary.call('GET', `/accounts/${account.id}`, { token: account.token })).status).toBe(200);
  // The event stand-in learns the token from carries its hash, issue time and expiry, never the token.
  const { rows } = await primary.db.query<{ event: { payload: Record<string, unknown> } }>(
    `select event from outbox_events where account_id = $1 and event->>'type' = 'customer.credential_issued'`,
    [account.id],
  );
  expect(rows.map((row) => row.event.payload)).toEqual([
    {
      customerId: account.customerId,
      tokenSha256Base64: createHash('sha256').update(account.token).digest('base64'),
      issuedAt: START,
      expiresAt: account.tokenExpiresAt,
    },
  ]);
});

test('when a token has expired, then it is refused 401 PRIMARY_CUSTOMER_TOKEN_EXPIRED, on every app route, even if it was cached', async () => {
  const account = await primary.openAccount();
  // Used once while good: the token is now in the Redis cache too.
  expect((await primary.call('GET', '/accounts', { token: account.token })).status).toBe(200);
  setTime(new Date(Date.parse(account.tokenExpiresAt) - 1_000));
  expect((await primary.call('GET', '/accounts', { token: account.token })).status).toBe(200);
  setTime(new Date(account.tokenExpiresAt));
  for (const url of ['/accounts', `/accounts/${account.id}`, `/accounts/${account.id}/transactions`]) {
    const response = await primary.call('GET', url, { token: account.token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('PRIMARY_CUSTOMER_TOKEN_EXPIRED');
  }
});

test('when a customer asks for a fresh token before theirs expires, then the new one works past the old expiry', async () => {
  const account = await primary.openAccount();
  setTime(new Date(Date.parse(START) + DAY_MS));
  const fresh = await primary.call('POST', '/customer/token', { token: account.token });
  expect(fresh.status).toBe(201);
  expect(fresh.body.expiresAt).toBe(new Date(Date.parse(START) + 3 * DAY_MS).toISOString());
  expect(fresh.body.token).not.toBe(account.token);
  // The one presented still works until its own expiry (an app that lost the answer is not locked out).
  expect((await primary.call('GET', '/accounts', { token: account.token })).status).toBe(200);
  setTime(new Date(Date.parse(START) + 2 * DAY_MS + 1_000));
  expect((await primary.call('GET', '/accounts', { token: account.token })).body.error.code).toBe('PRIMARY_CUSTOMER_TOKEN_EXPIRED');
  expect((await primary.call('GET', '/accounts', { token: fresh.body.token })).status).toBe(200);
  // An expired token cannot buy a fresh one.
  expect((await primary.call('POST', '/customer/token', { token: account.token })).status).toBe(401);
});

test("when an operator revokes a customer's tokens, then every one is refused (cached ones too), the revocation is audited and announced, and other customers are untouched", async () => {
  const account = await primary.openAccount();
  const bystander = await primary.openAccount();
  const second = await primary.call('POST', '/customer/token', { token: account.token });
  // Both in the cache.
  expect((await primary.call('GET', '/accounts', { token: account.token })).status).toBe(200);
  expect((await primary.call('GET', '/accounts', { token: second.body.token })).status).toBe(200);

  const revoked = await revoke(account.customerId, { reason: 'INC-7: phone reported stolen' });
  expect(revoked.status).toBe(200);
  expect(revoked.body).toEqual({
    customerId: account.customerId,
    tokensRevoked: 2,
    revokedBy: SECURITY_OPERATOR.name,
    reason: 'INC-7: phone reported stolen',
    revokedAt: expect.any(String),
  });
  for (const token of [account.token, second.body.token]) {
    const response = await primary.call('GET', `/accounts/${account.id}`, { token });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('PRIMARY_CUSTOMER_TOKEN_REVOKED');
    expect((await primary.call('POST', '/customer/token', { token })).status).toBe(401);
  }
  expect((await primary.call('GET', '/accounts', { token: bystander.token })).status).toBe(200);

  const audit = await primary.db.query('select revoked_by, reason, tokens_revoked from customer_token_revocations where customer_id = $1', [
    account.customerId,
  ]);
  expect(audit.rows).toEqual([{ revoked_by: SECURITY_OPERATOR.name, reason: 'INC-7: phone reported stolen', tokens_revoked: 2 }]);
  const { rows } = await primary.db.query<{ event: { payload: unknown } }>(
    `select event from outbox_events where account_id = $1 and event->>'type' = 'customer.credentials_revoked'`,
    [account.id],
  );
  expect(rows.map((row) => row.event.payload)).toEqual([{ customerId: account.customerId, revokedAt: revoked.body.revokedAt }]);
});

test('when a token is issued after a revocation at the same clock reading, then it is issued later than the revocation (stand-in compares the times) and works', async () => {
  const account = await primary.openAccount();
  const revoked = await revoke(account.customerId, { reason: 'INC-8: reset' });
  // The customer signs in again (here: a new token as the onboarding flow would issue one, through the service).
  const issued = await primary.services.accounts.refreshToken(account.customerId);
  expect((await primary.call('GET', '/accounts', { token: issued.token })).status).toBe(200);
  const { rows } = await primary.db.query<{ event: { payload: { issuedAt: string } } }>(
    `select event from outbox_events where account_id = $1 and event->>'type' = 'customer.credential_issued' order by sequence desc limit 1`,
    [account.id],
  );
  expect(Date.parse(rows[0]!.event.payload.issuedAt)).toBeGreaterThan(Date.parse(revoked.body.revokedAt));
});

test('when anyone but an operator revokes, or without a reason, or for an unknown customer, then it is refused and nothing changes', async () => {
  const account = await primary.openAccount();
  for (const token of [account.token, CREDENTIALS.onboarding, CREDENTIALS.standin, CREDENTIALS['advice-consumer']])
    expect((await revoke(account.customerId, { reason: 'self-service' }, token)).status).toBe(403);
  expect((await revoke(account.customerId, { reason: 'nobody' }, null)).status).toBe(401);
  expect((await revoke(account.customerId, { reason: '  ' })).status).toBe(400);
  expect((await revoke(account.customerId, { reason: 'x', revokedBy: 'someone-else' })).status).toBe(400);
  expect((await revoke('7d8a3f0e-0000-4000-8000-000000000001', { reason: 'ghost' })).status).toBe(404);
  expect((await primary.call('GET', '/accounts', { token: account.token })).status).toBe(200);
});
