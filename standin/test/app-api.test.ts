import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import { transferRoutes } from '../src/app/app-routes';
import { createStandinServer } from '../src/app/server';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import { httpFasterPaymentsScheme } from '../src/payments/faster-payments-scheme';
import { createOutboundTransfers } from '../src/payments/outbound-transfers';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { startSchemeSimulator, type SchemeSimulator } from './faster-payments-scheme-simulator';
import { SyncedAccount, testKeys } from './synced-state';
import { CREDENTIALS, TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

const database = openDatabase(infraEndpoints().postgres.standin);
const now = () => new Date();
const server = createStandinServer({
  database,
  logger: pino({ level: 'silent' }),
  now,
  keys: testKeys,
  services: TEST_SERVICES,
  operators: operatorsFromEnvironment({ OPERATOR_TOKENS: 'app-test-operator:app-test-operator-token' }),
  cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
  fasterPayments: createFasterPaymentsDesk({ database, now }),
});
let address = '';
let scheme: SchemeSimulator;
let schemeClient: ReturnType<typeof httpFasterPaymentsScheme>;

beforeAll(async () => {
  await upgradeSchema(database);
  scheme = await startSchemeSimulator();
  schemeClient = httpFasterPaymentsScheme({ logger: pino({ level: 'silent' }) }, { url: scheme.url });
  transferRoutes(server, {
    database,
    transfers: createOutboundTransfers({ database, scheme: schemeClient, logger: pino({ level: 'silent' }), now, retryAfterMs: 5_000 }),
  });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  schemeClient.breaker.shutdown();
  await scheme.close();
  await database.end();
});

async function call(method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}) {
  const headers: Record<string, string> = {};
  // Scheme messages come from the gateway (or primary): the test stands where the gateway does.
  const token = options.token ?? (path.startsWith('/scheme/') ? CREDENTIALS.gateway : undefined);
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.key) headers['idempotency-key'] = options.key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${address}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  // Response bodies are whatever JSON the server sent; the assertions check their shape.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const authorisation = (account: SyncedAccount, amountMinor: number) => ({
  mti: '0100',
  pan: account.pan,
  expiry: '3011',
  processingCode: '000000',
  amountMinor,
  currency: 'GBP',
  transmittedAt: now().toISOString(),
  stan: String(Math.floor(Math.random() * 1e6)).padStart(6, '0'),
  rrn: randomBytes(6).toString('hex').toUpperCase(),
  terminalId: 'SHOP0002',
  acquirerId: '12345678',
  merchant: { name: 'BAKERY', categoryCode: '5462', city: 'Leeds', country: 'GB' },
  posEntryMode: 'contactless',
});

describe("stand-in's app API", () => {
  test('when a customer asks for their balance and transactions, then they see the merged view, each payment once', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    await account.transaction(-700);
    const paid = await call('POST', '/scheme/card/authorisations', { body: authorisation(account, 1_200) });
    expect(paid.body.responseCode).toBe('00');
    const me = await call('GET', `/accounts/${account.accountId}`, { token: account.token });
    expect(me.status).toBe(200);
    expect(me.body.balance).toMatchObject({ syncedMinor: 10_000, unreflectedMinor: -1_200, spendableMinor: 8_800 });
    const before = await call('GET', `/accounts/${account.accountId}/transactions`, { token: account.token });
    expect(before.body.transactions.map((t: { amountMinor: number; source: string }) => [t.amountMinor, t.source])).toEqual([
      [-1_200, 'standin'],
      [-700, 'primary'],
    ]);
    // Primary applies the advice and its transaction syncs back: still one line for the payment.
    const correlationId = before.body.transactions[0].correlationId;
    await account.balance(10_000, 1_200, 0, correlationId);
    await account.transaction(-1_200, correlationId);
    const after = await call('GET', `/accounts/${account.accountId}/transactions`, { token: account.token });
    expect(after.body.transactions.filter((t: { correlationId?: string }) => t.correlationId === correlationId)).toHaveLength(1);
    expect((await call('GET', `/accounts/${account.accountId}`, { token: account.token })).body.balance.spendableMinor).toBe(8_800);
  });

  test('when another customer or no token is used, then it is 404 or 401', async () => {
    const alice = await new SyncedAccount(database).open({ settledMinor: 100 });
    const bob = await new SyncedAccount(database).open({ settledMinor: 100 });
    expect((await call('GET', `/accounts/${alice.accountId}`, { token: bob.token })).status).toBe(404);
    expect((await call('GET', `/accounts/${alice.accountId}`)).status).toBe(401);
    expect((await call('POST', `/cards/${alice.cardId}/freeze`, { token: bob.token })).status).toBe(404);
  });

  test('when a customer freezes their card in stand-in, then their card list shows it, stand-in declines it 62 and advises primary', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    expect((await call('POST', `/cards/${account.cardId}/freeze`, { token: account.token })).body).toEqual({ cardId: account.cardId, status: 'frozen' });
    expect((await call('GET', `/accounts/${account.accountId}/cards`, { token: account.token })).body.cards).toEqual([
      { cardId: account.cardId, last4: account.pan.slice(-4), expiry: '3011', status: 'frozen' },
    ]);
    expect((await call('POST', '/scheme/card/authorisations', { body: authorisation(account, 100) })).body.responseCode).toBe('62');
    await call('POST', `/cards/${account.cardId}/unfreeze`, { token: account.token });
    const advices = await database.query<{ type: string }>('select type from advices where account_id = $1 order by sequence', [account.accountId]);
    expect(advices.rows.map((row) => row.type)).toEqual(['card.frozen', 'card_payment.declined', 'card.unfrozen']);
  });

  test('when a customer sends a transfer, then it is checked against the merged balance, submitted to the scheme and advised once per idempotency key', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    const order = { amountMinor: 3_000, creditor: { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' }, reference: 'RENT' };
    const key = randomUUID();
    const first = await call('POST', `/accounts/${account.accountId}/transfers`, { token: account.token, key, body: order });
    const again = await call('POST', `/accounts/${account.accountId}/transfers`, { token: account.token, key, body: order });
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await call('POST', `/accounts/${account.accountId}/transfers`, { token: account.token, key: randomUUID(), body: order })).status).toBe(422);
    expect((await call('GET', `/accounts/${account.accountId}`, { token: account.token })).body.balance.spendableMinor).toBe(2_000);
    expect((await call('POST', `/accounts/${account.accountId}/transfers`, { token: account.token, body: order })).status).toBe(400);
  });

  test('when a scheme message is malformed, then the 400 names the field and stand-in records nothing', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const bad = { ...authorisation(account, 100), stan: '12' };
    const response = await call('POST', '/scheme/card/authorisations', { body: bad });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('stan: expected a 6-digit STAN');
    expect(response.body.error.message).not.toContain(account.pan);
    expect((await database.query('select 1 from card_messages where rrn = $1', [bad.rrn])).rowCount).toBe(0);
  });

  test('when an inbound Faster Payment names a synced account, then it is credited and advised; an unknown one is rejected', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 0 });
    const credit = (accountNumber: string) => ({
      fpsId: `FPS-${randomUUID()}`,
      amountMinor: 2_500,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
      creditor: { sortCode: '608371', accountNumber, name: 'Test' },
      reference: 'PAY',
      sentAt: now().toISOString(),
    });
    expect((await call('POST', '/scheme/faster-payments/inbound', { body: credit(account.accountNumber) })).body).toMatchObject({
      status: 'accepted',
      decidedBy: 'standin',
    });
    expect((await call('POST', '/scheme/faster-payments/inbound', { body: credit('00000000') })).body).toMatchObject({
      status: 'rejected',
      rejectReason: 'account_unknown',
    });
    expect((await call('GET', `/accounts/${account.accountId}`, { token: account.token })).body.balance.spendableMinor).toBe(2_500);
  });

  test('status, health and metrics answer', async () => {
    expect((await call('GET', '/status')).body).toMatchObject({ platform: 'standin' });
    expect((await call('GET', '/health')).body).toEqual({ status: 'ok' });
    expect(await (await fetch(`${address}/metrics`)).text()).toContain('standin_card_decisions_total');
  });
});
