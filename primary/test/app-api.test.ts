import { CREDENTIALS, authorisation, startPrimary, type TestPrimary } from './harness';

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const outboxCount = async () => Number((await primary.db.query<{ count: string }>('select count(*) from outbox_events')).rows[0]!.count);

describe('app API: a customer sees and moves only their own money', () => {
  test('when a customer opens an account, then they get a token, a sort code and an account number with a valid check digit', async () => {
    const account = await primary.openAccount(5_000);
    expect(account.sortCode).toBe('608371');
    expect(account.accountNumber).toMatch(/^\d{8}$/);
    const mine = await primary.call('GET', `/accounts/${account.id}`, { token: account.token });
    expect(mine.status).toBe(200);
    expect(mine.body.balance).toEqual({ settledMinor: 0, heldMinor: 0, overdraftLimitMinor: 5_000, availableMinor: 5_000, unapprovedOverdraft: false });
  });

  test("when customer A asks for B's account, cards or transactions, or freezes B's card, then it is 404, exactly as if it did not exist", async () => {
    const alice = await primary.openAccount();
    const bob = await primary.openAccount();
    const bobsCard = await primary.issueCard(bob.id);
    for (const url of [`/accounts/${bob.id}`, `/accounts/${bob.id}/cards`, `/accounts/${bob.id}/transactions`]) {
      const response = await primary.call('GET', url, { token: alice.token });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('PRIMARY_NOT_FOUND');
    }
    const freeze = await primary.call('POST', `/cards/${bobsCard.id}/freeze`, { token: alice.token });
    expect(freeze.status).toBe(404);
    const bobsCards = await primary.call('GET', `/accounts/${bob.id}/cards`, { token: bob.token });
    expect(bobsCards.body.cards[0]).toMatchObject({ id: bobsCard.id, status: 'active', last4: bobsCard.pan.slice(-4) });
    expect(JSON.stringify(bobsCards.body)).not.toContain(bobsCard.pan);
  });

  test('when the token is missing or unknown, then it is 401; a customer token does not open the internal API (403)', async () => {
    const alice = await primary.openAccount();
    expect((await primary.call('GET', `/accounts/${alice.id}`)).status).toBe(401);
    expect((await primary.call('GET', `/accounts/${alice.id}`, { token: 'not-a-token' })).status).toBe(401);
    const internal = await primary.call('POST', `/internal/accounts/${alice.id}/cards`, { token: alice.token, body: {} });
    expect(internal.status).toBe(403);
    expect((await primary.call('POST', `/internal/accounts/${alice.id}/cards`, { token: CREDENTIALS['card-manufacturer'], body: {} })).status).toBe(201);
  });

  test('unknown routes are 404 with a JSON body', async () => {
    const response = await primary.call('GET', '/no/such/route');
    expect({ status: response.status, body: response.body }).toEqual({
      status: 404,
      body: { error: { code: 'PRIMARY_ROUTE_NOT_FOUND', message: 'no route GET /no/such/route' } },
    });
  });
});

describe('bad input gets a clear 400 and changes nothing', () => {
  test('when opening an account with a bad field, then the field is named and nothing is written', async () => {
    const before = await outboxCount();
    const response = await primary.call('POST', '/accounts', { body: { holderName: '', overdraftLimitMinor: 12.5 } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('PRIMARY_INVALID_REQUEST');
    expect(response.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['holderName', 'overdraftLimitMinor']);
    expect(await outboxCount()).toBe(before);
  });

  test('when a scheme message is malformed, then the reply names the field and no money moves', async () => {
    const account = await primary.openAccount();
    await primary.fund(account, 1_000);
    const card = await primary.issueCard(account.id);
    const bad = { ...authorisation(card, 100), merchant: { name: 'X', categoryCode: 'ABCD', city: 'London', country: 'GB' } };
    const response = await primary.call('POST', '/scheme/card/authorisations', { body: bad });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('merchant.categoryCode: expected a 4-digit merchant category code');
    expect(response.body.error.message).not.toContain(card.pan);
    expect(await primary.balance(account.id)).toMatchObject({ heldMinor: 0, settledMinor: 1_000 });
  });

  test('when the body is not JSON at all, then it is a 400 with a JSON error, not a stack trace', async () => {
    const response = await primary.call('POST', '/accounts', { rawBody: '{"holderName": ' });
    expect(response.status).toBe(400);
    expect(response.body.error.message).not.toMatch(/at .*\.js/);
  });

  test('when an inbound Faster Payment names one of our sort codes with a bad check digit or an unknown account, then it is rejected with a reason', async () => {
    const account = await primary.openAccount();
    const lastDigit = Number(account.accountNumber[7]);
    const wrong = `${account.accountNumber.slice(0, 7)}${(lastDigit + 1) % 10}`;
    const credit = (accountNumber: string) => ({
      fpsId: `FPS-${Math.random().toString(36).slice(2, 12)}`,
      amountMinor: 500,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Someone' },
      creditor: { sortCode: account.sortCode, accountNumber, name: 'Test' },
      reference: 'HELLO',
      sentAt: '2026-11-21T12:00:00Z',
    });
    expect((await primary.call('POST', '/scheme/faster-payments/inbound', { body: credit(wrong) })).body).toMatchObject({
      status: 'rejected',
      rejectReason: 'account_unknown',
    });
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 0 });
    const accepted = credit(account.accountNumber);
    expect((await primary.call('POST', '/scheme/faster-payments/inbound', { body: accepted })).body).toMatchObject({ status: 'accepted' });
    expect((await primary.call('POST', '/scheme/faster-payments/inbound', { body: accepted })).body).toMatchObject({ status: 'accepted' });
    expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 500 });
  });
});

describe('feed', () => {
  test('when there are more transactions than a page, then pages come newest first and the cursor walks them all once', async () => {
    const account = await primary.openAccount();
    for (let index = 1; index <= 5; index++) await primary.fund(account, index * 100);
    const first = await primary.call('GET', `/accounts/${account.id}/transactions?limit=2`, { token: account.token });
    expect(first.body.transactions.map((t: { amountMinor: number }) => t.amountMinor)).toEqual([500, 400]);
    const second = await primary.call('GET', `/accounts/${account.id}/transactions?limit=2&before=${first.body.nextCursor}`, { token: account.token });
    const third = await primary.call('GET', `/accounts/${account.id}/transactions?limit=2&before=${second.body.nextCursor}`, { token: account.token });
    expect([...second.body.transactions, ...third.body.transactions].map((t: { amountMinor: number }) => t.amountMinor)).toEqual([300, 200, 100]);
    expect(third.body.nextCursor).toBeUndefined();
  });
});

describe('operations endpoints', () => {
  test('health, metrics and status answer', async () => {
    expect((await primary.call('GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await primary.call('GET', '/status')).body).toMatchObject({ platform: 'primary', experience: 'full', talkTo: 'primary' });
    const metrics = await fetch(`${primary.address}/metrics`);
    expect(await metrics.text()).toContain('primary_http_request_duration_seconds');
  });
});

describe('Redis is only a cache', () => {
  test('when Redis hangs (SIGSTOP), then customers are still recognised and strangers still refused, from PostgreSQL', async () => {
    const { createInfra } = await import('@bank/infra');
    const infra = createInfra();
    const alice = await primary.openAccount();
    expect((await primary.call('GET', `/accounts/${alice.id}`, { token: alice.token })).status).toBe(200);
    infra.pause('redis-primary');
    try {
      const bob = await primary.openAccount();
      for (let attempt = 0; attempt < 8; attempt++) {
        expect((await primary.call('GET', `/accounts/${alice.id}`, { token: alice.token })).status).toBe(200);
        expect((await primary.call('GET', `/accounts/${bob.id}`, { token: bob.token })).status).toBe(200);
        expect((await primary.call('GET', `/accounts/${alice.id}`, { token: bob.token })).status).toBe(404);
        expect((await primary.call('GET', `/accounts/${alice.id}`, { token: 'stranger' })).status).toBe(401);
      }
    } finally {
      infra.resume('redis-primary');
    }
  });
});
