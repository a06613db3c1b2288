import { OPERATOR } from '../src/stack/services';
import { openCustomer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 17, through the real stack: an operator revokes a customer's app tokens in primary, the
// revocation travels primary's outbox, Kafka and the syncer like every event, and stand-in, which
// knows customers only by what was synced, refuses the token too.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

test("when an operator revokes a customer's tokens in primary, then both platforms refuse the token once it has synced, and another customer is untouched", async () => {
  const customer = await openCustomer(stack, 5_000, 'Revoked Customer');
  const bystander = await openCustomer(stack, 5_000, 'Bystander Customer');
  // Stand-in knows both customers (their funding has synced, and their credentials before it).
  for (const who of [customer, bystander])
    await eventually(
      "stand-in to know the customer's token",
      async () => (await http('GET', `${stack.standin.url}/accounts/${who.id}`, { token: who.token })).status,
      (status) => status === 200,
      60_000,
    );

  const revoked = await http<{ tokensRevoked: number }>('POST', `${stack.primary.url}/internal/customers/${customer.customerId}/tokens/revoke`, {
    token: OPERATOR.token,
    body: { reason: 'e2e: phone reported stolen' },
  });
  expect(revoked).toMatchObject({ status: 200, body: { tokensRevoked: 1 } });

  const atPrimary = await http<{ error: { code: string } }>('GET', `${stack.primary.url}/accounts/${customer.id}`, { token: customer.token });
  expect(atPrimary).toMatchObject({ status: 401, body: { error: { code: 'PRIMARY_CUSTOMER_TOKEN_REVOKED' } } });
  const atStandin = await eventually(
    'stand-in to refuse the revoked token',
    async () => http<{ error?: { code: string } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token }),
    (response) => response.status === 401,
    60_000,
  );
  expect(atStandin.body.error?.code).toBe('STANDIN_CUSTOMER_TOKEN_REVOKED');
  expect((await http('GET', `${stack.standin.url}/accounts/${bystander.id}`, { token: bystander.token })).status).toBe(200);
  expect((await http('GET', `${stack.primary.url}/accounts/${bystander.id}`, { token: bystander.token })).status).toBe(200);
});
