import { randomUUID } from 'node:crypto';
import { startPrimary, type TestPrimary } from './harness';

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const outside = (name: string) => ({ sortCode: '200000', accountNumber: '12345678', name });

async function fundedCustomer(amountMinor: number, overdraftLimitMinor = 0) {
  const account = await primary.openAccount(overdraftLimitMinor);
  if (amountMinor > 0) await primary.fund(account, amountMinor);
  return account;
}

const transfer = (account: { id: string; token: string }, body: object, idempotencyKey: string = randomUUID()) =>
  primary.call('POST', `/accounts/${account.id}/transfers`, { token: account.token, idempotencyKey, body });

describe('transfers', () => {
  test('when a Faster Payment is accepted by the scheme, then the debit stands and the feed shows it settled', async () => {
    const alice = await fundedCustomer(10_000);
    const response = await transfer(alice, { amountMinor: 2_500, creditor: outside('Landlord'), reference: 'RENT' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ kind: 'faster_payment', status: 'accepted' });
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 7_500 });
    const feed = await primary.call('GET', `/accounts/${alice.id}/transactions`, { token: alice.token });
    expect(feed.body.transactions[0]).toMatchObject({ kind: 'faster_payment_out', status: 'settled', amountMinor: -2_500, counterparty: outside('Landlord') });
  });

  test('when the scheme rejects a Faster Payment, then the debit is reversed', async () => {
    const alice = await fundedCustomer(10_000);
    const response = await transfer(alice, { amountMinor: 4_000, creditor: outside('Closed Account') });
    expect(response.body).toMatchObject({ status: 'rejected', rejectReason: 'account_closed' });
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 10_000 });
    const feed = await primary.call('GET', `/accounts/${alice.id}/transactions`, { token: alice.token });
    expect(feed.body.transactions[0]).toMatchObject({ kind: 'faster_payment_out', status: 'reversed' });
  });

  test('when the scheme does not answer in time, then the payment stays submitted (unknown outcome) and a later retry settles it once', async () => {
    const alice = await fundedCustomer(10_000);
    const key = randomUUID();
    const first = await transfer(alice, { amountMinor: 1_000, creditor: outside('Slow Bank') }, key);
    expect(first.status).toBe(202);
    expect(first.body.status).toBe('submitted');
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 9_000 });
    primary.scheme.heal();
    await primary.services.transfers.retryUnanswered();
    const retried = await transfer(alice, { amountMinor: 1_000, creditor: outside('Slow Bank') }, key);
    expect(retried.body).toMatchObject({ fpsId: first.body.fpsId, status: 'accepted' });
    expect(primary.scheme.received.filter((id) => id === first.body.fpsId).length).toBeGreaterThanOrEqual(2);
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 9_000 });
  });

  test('when the same request is retried with its Idempotency-Key, then money moves once; a different request under that key is refused', async () => {
    const alice = await fundedCustomer(10_000);
    const key = randomUUID();
    const body = { amountMinor: 1_500, creditor: outside('Plumber'), reference: 'INV 42' };
    const answers = await Promise.all([transfer(alice, body, key), transfer(alice, body, key), transfer(alice, body, key)]);
    expect(new Set(answers.map((answer) => answer.body.fpsId)).size).toBe(1);
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 8_500 });
    const reused = await transfer(alice, { ...body, amountMinor: 9_999 }, key);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('PRIMARY_IDEMPOTENCY_KEY_REUSED');
    const missing = await primary.call('POST', `/accounts/${alice.id}/transfers`, { token: alice.token, body });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('PRIMARY_IDEMPOTENCY_KEY_REQUIRED');
  });

  test('when paying another account of this bank, then both sides move in one journal, sharing a correlation id', async () => {
    const alice = await fundedCustomer(10_000);
    const bob = await fundedCustomer(0);
    const response = await transfer(alice, {
      amountMinor: 3_000,
      creditor: { sortCode: bob.sortCode, accountNumber: bob.accountNumber, name: 'Bob' },
      reference: 'DINNER',
    });
    expect(response.body).toMatchObject({ kind: 'internal', status: 'completed' });
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 7_000 });
    expect(await primary.balance(bob.id)).toMatchObject({ settledMinor: 3_000 });
    const bobsFeed = await primary.call('GET', `/accounts/${bob.id}/transactions`, { token: bob.token });
    expect(bobsFeed.body.transactions[0]).toMatchObject({ kind: 'internal_transfer', amountMinor: 3_000, correlationId: response.body.correlationId });
  });

  test('when the balance is short, then the transfer is refused with 422 and nothing moves', async () => {
    const alice = await fundedCustomer(1_000, 500);
    const response = await transfer(alice, { amountMinor: 1_501, creditor: outside('Shop') });
    expect(response.status).toBe(422);
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 1_000 });
  });

  test('when paying to one of our sort codes with a bad check digit, then it is a 400 naming the account number', async () => {
    const alice = await fundedCustomer(1_000);
    const digits = alice.accountNumber.split('');
    digits[7] = String((Number(digits[7]) + 1) % 10);
    const response = await transfer(alice, { amountMinor: 100, creditor: { sortCode: alice.sortCode, accountNumber: digits.join(''), name: 'Typo' } });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'PRIMARY_INVALID_ACCOUNT_NUMBER',
      issues: [{ path: 'accountNumber', message: 'check digit does not match' }],
    });
  });
});

describe('pots and payees', () => {
  test('when money moves into and out of a pot, then account and pot balances follow and the pot cannot go below zero', async () => {
    const alice = await fundedCustomer(10_000);
    const pot = (await primary.call('POST', `/accounts/${alice.id}/pots`, { token: alice.token, body: { name: 'Holiday' } })).body;
    const move = (direction: string, amountMinor: number) =>
      primary.call('POST', `/accounts/${alice.id}/pots/${pot.id}/${direction}`, { token: alice.token, idempotencyKey: randomUUID(), body: { amountMinor } });
    expect((await move('deposit', 4_000)).body).toMatchObject({ balanceMinor: 4_000 });
    expect((await move('withdraw', 1_000)).body).toMatchObject({ balanceMinor: 3_000 });
    expect((await move('withdraw', 3_001)).status).toBe(422);
    expect(await primary.balance(alice.id)).toMatchObject({ settledMinor: 7_000 });
    const bob = await fundedCustomer(0);
    expect(
      (
        await primary.call('POST', `/accounts/${alice.id}/pots/${pot.id}/withdraw`, {
          token: bob.token,
          idempotencyKey: randomUUID(),
          body: { amountMinor: 1 },
        })
      ).status,
    ).toBe(404);
  });

  test('when payees are added and removed, then the list follows', async () => {
    const alice = await fundedCustomer(0);
    const added = await primary.call('POST', `/accounts/${alice.id}/payees`, { token: alice.token, body: outside('Mum') });
    expect(added.status).toBe(201);
    expect((await primary.call('GET', `/accounts/${alice.id}/payees`, { token: alice.token })).body.payees).toEqual([{ id: added.body.id, ...outside('Mum') }]);
    expect((await primary.call('DELETE', `/accounts/${alice.id}/payees/${added.body.id}`, { token: alice.token })).status).toBe(204);
    expect((await primary.call('GET', `/accounts/${alice.id}/payees`, { token: alice.token })).body.payees).toEqual([]);
    expect((await primary.call('POST', `/accounts/${alice.id}/payees`, { token: alice.token, body: { ...outside('Bad'), sortCode: '20-00-00' } })).status).toBe(
      400,
    );
  });
});
