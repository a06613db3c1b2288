import { randomUUID } from 'node:crypto';
import { openCustomer, type Customer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';
import { OPERATOR } from '../src/stack/services';

// Issue 12, defect 1: the Faster Payments scheme re-presents a payment it got no answer for, with
// the same fpsId, wherever the customer's inbound payments go by then. A payment id is credited
// once by the bank, whichever platform saw it first and in whatever order the two platforms and
// stand-in's advice see it. (Reproduced before the fix: a 2,500 credit left 5,000 on both platforms.)

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

const FUNDED = 10_000;
const CREDIT = 2_500;

const inbound = (customer: Customer, fpsId: string) => ({
  fpsId,
  amountMinor: CREDIT,
  currency: 'GBP',
  debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
  creditor: { sortCode: customer.sortCode, accountNumber: customer.accountNumber, name: 'Outage Customer' },
  reference: 'BONUS',
  sentAt: new Date().toISOString(),
});
const present = async (platformUrl: string, customer: Customer, fpsId: string) =>
  (await http<{ status: string; decidedBy: string }>('POST', `${platformUrl}/scheme/faster-payments/inbound`, { body: inbound(customer, fpsId) })).body;

const primaryBalance = async (customer: Customer) =>
  (await http<{ balance: { settledMinor: number } }>('GET', `${stack.primary.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .settledMinor;
const standinSpendable = async (customer: Customer) =>
  (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .spendableMinor;

interface Report {
  clean: boolean;
  standinAdvices: number;
  primaryApplied: number;
  appliedWithoutEffect: { sequence: number; type: string; note: string }[];
}
const reconciled = (customer: Customer, advices: number) =>
  eventually(
    'reconciliation to come back clean',
    async () => (await http<Report>('GET', `${stack.adviceConsumer.url}/internal/reconciliation?accounts=${customer.id}`, { token: OPERATOR.token })).body,
    (report) => report.clean && report.primaryApplied === advices,
    90_000,
  );

async function syncedCustomer(): Promise<Customer> {
  const customer = await openCustomer(stack, FUNDED);
  await eventually(
    `stand-in to see ${customer.id}'s money`,
    () => standinSpendable(customer),
    (value) => value === FUNDED,
    120_000,
  );
  return customer;
}

/** Both platforms settle on the funding plus one credit, and stay there. */
async function creditedOnce(customer: Customer) {
  expect(await primaryBalance(customer)).toBe(FUNDED + CREDIT);
  await eventually(
    'stand-in to agree with primary',
    () => standinSpendable(customer),
    (value) => value === FUNDED + CREDIT,
    60_000,
  );
}

test('primary accepted it, its answer was lost, the scheme re-presents it to stand-in before the credit is synced: credited once', async () => {
  const customer = await syncedCustomer();
  const fpsId = `FPS-${randomUUID()}`;
  // Stand-in cannot know of primary's credit yet: the syncer is behind.
  await stack.syncer.stop();
  try {
    expect(await present(stack.primary.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'primary' });
    // The customer is routed to stand-in before the re-presentation; stand-in accepts what it has not seen.
    expect(await present(stack.standin.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'standin' });
  } finally {
    await stack.syncer.restart();
  }
  const report = await reconciled(customer, 1);
  expect(report.appliedWithoutEffect).toEqual([expect.objectContaining({ type: 'transfer.received', note: expect.stringContaining(fpsId) })]);
  await creditedOnce(customer);
}, 300_000);

test('stand-in accepted it first, primary got the re-presentation before the advice: credited once', async () => {
  const customer = await syncedCustomer();
  const fpsId = `FPS-${randomUUID()}`;
  await stack.adviceConsumer.stop();
  try {
    expect(await present(stack.standin.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'standin' });
    expect(await present(stack.primary.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'primary' });
  } finally {
    await stack.adviceConsumer.restart();
  }
  await reconciled(customer, 1);
  await creditedOnce(customer);
}, 300_000);

test("stand-in's advice applied first, then primary's own re-presentation: credited once, and the scheme hears accepted", async () => {
  const customer = await syncedCustomer();
  const fpsId = `FPS-${randomUUID()}`;
  expect(await present(stack.standin.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'standin' });
  await reconciled(customer, 1);
  expect(await present(stack.primary.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'standin' });
  await creditedOnce(customer);
}, 300_000);

test("primary's credit has reached stand-in, then the scheme re-presents it there: stand-in recognises it and credits nothing", async () => {
  const customer = await syncedCustomer();
  const fpsId = `FPS-${randomUUID()}`;
  expect(await present(stack.primary.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'primary' });
  await eventually(
    "stand-in to see primary's credit",
    () => standinSpendable(customer),
    (value) => value === FUNDED + CREDIT,
    60_000,
  );
  expect(await present(stack.standin.url, customer, fpsId)).toMatchObject({ status: 'accepted', decidedBy: 'primary' });
  expect(await standinSpendable(customer)).toBe(FUNDED + CREDIT);
  const report = (await http<Report>('GET', `${stack.adviceConsumer.url}/internal/reconciliation?accounts=${customer.id}`, { token: OPERATOR.token })).body;
  expect(report).toMatchObject({ clean: true, standinAdvices: 0 });
  await creditedOnce(customer);
}, 300_000);
