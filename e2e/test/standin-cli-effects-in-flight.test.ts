import type { ConfigurationDocument } from '@bank/shared-contracts';
import { OPERATOR } from '../src/stack/services';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { standinCli } from './support/standin-cli';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 12, part 5: going back to primary with effects still in flight. A customer on stand-in
// freezes their card there while primary cannot apply the advice (the advice consumer is down).
// The freeze is published, so stand-in's old "advice backlog" said 0; moving the customer's
// payments back to primary then let primary approve a payment on the frozen card.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

const standin = (...args: string[]) => standinCli({ primary: stack.primary.url, standin: stack.standin.url }, ...args);
const configurationOf = async (url: string) => (await http<ConfigurationDocument>('GET', `${url}/configuration`, { token: OPERATOR.token })).body;
const both = async () => ({ primary: await configurationOf(stack.primary.url), standin: await configurationOf(stack.standin.url) });

interface InFlight {
  notPublished: number;
  publishedNotApplied: number;
  users: number;
  oldestAgeMs?: number;
}
const inFlightNow = async () => {
  const run = await standin('status', '--json');
  return JSON.parse(run.stdout) as { advicesInFlight: InFlight | null; platforms: { standin: { status?: { advicesInFlight?: InFlight } } } };
};

async function customerOnStandin(): Promise<Customer> {
  const customer = await openCustomer(stack, 10_000);
  await eventually(
    `stand-in to see ${customer.id}'s card`,
    async () =>
      (await http<{ cards: { cardId: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body.cards,
    (cards) => cards.some((card) => card.cardId === customer.card.id),
    120_000,
  );
  await eventually(
    `stand-in to see ${customer.id}'s money`,
    async () =>
      (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
        .spendableMinor,
    (value) => value === 10_000,
    120_000,
  );
  for (const args of [
    ['route-payments', '--users', customer.customerId],
    ['redirect-apps', '--users', customer.customerId],
  ]) {
    const run = await standin(...args, '--reason', 'INC-12 card processor degraded');
    expect(run).toMatchObject({ code: 0 });
  }
  return customer;
}

test('when a freeze made in stand-in is published but not applied by primary, then status shows it, moving the customer back is refused without --yes, and once applied it proceeds and primary declines the frozen card', async () => {
  const customer = await customerOnStandin();

  // Primary cannot apply advices; stand-in still publishes them.
  await stack.adviceConsumer.kill();
  const frozen = await http<{ status: string }>('POST', `${stack.standin.url}/cards/${customer.card.id}/freeze`, { token: customer.token });
  expect(frozen).toMatchObject({ status: 200, body: { status: 'frozen' } });

  const published = await eventually(
    'the freeze published, not applied, in standin status',
    inFlightNow,
    (status) => status.advicesInFlight?.publishedNotApplied === 1 && status.advicesInFlight.notPublished === 0,
    30_000,
  );
  expect(published.advicesInFlight).toMatchObject({ publishedNotApplied: 1, notPublished: 0, users: 1 });
  expect(published.platforms.standin.status?.advicesInFlight).toMatchObject({ publishedNotApplied: 1 });
  const human = await standin('status');
  expect(human.stdout).toMatch(/published, not applied\s+1 \(NOT YET APPLIED BY PRIMARY\)/);
  expect(human.stdout).toContain('IN FLIGHT: 1 user has effects from stand-in primary has not applied yet');

  // Moving the customer's payments back now would let primary pay on the frozen card: refused, and says why.
  const before = await both();
  const refused = await standin('disable', 'payments', '--reason', 'INC-12 resolved');
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('EFFECTS IN FLIGHT: 1 user this change moves back to primary');
  expect(refused.stderr).toContain('1 advice published but not yet applied by primary');
  expect(refused.stderr).toContain(customer.customerId);
  expect(refused.stderr).toContain('--yes');
  expect(await both()).toEqual(before);

  // With --yes a command goes ahead and still warns (the app only, so primary's payments stay safe).
  const apps = await standin('redirect-apps', '--none', '--reason', 'INC-12 app back on primary', '--yes', '--json');
  expect(apps.code).toBe(0);
  expect(apps.stderr).toContain('EFFECTS IN FLIGHT: 1 user');
  expect(JSON.parse(apps.stdout)).toMatchObject({ changed: true, inFlight: { state: 'in_flight', users: 1, publishedNotApplied: 1, components: ['app'] } });

  // The advice consumer is back: primary applies the freeze, its event syncs back, nothing is in flight.
  await stack.adviceConsumer.restart();
  await eventually(
    'nothing in flight',
    inFlightNow,
    (status) => status.advicesInFlight?.publishedNotApplied === 0 && status.advicesInFlight.notPublished === 0,
    120_000,
  );
  expect((await standin('status')).stdout).toContain('no advices in flight');

  const disabled = await standin('disable', 'payments', '--reason', 'INC-12 resolved', '--json');
  expect(disabled.code).toBe(0);
  expect(disabled.stderr).toBe('');
  expect(JSON.parse(disabled.stdout)).toMatchObject({
    changed: true,
    inFlight: { state: 'clear' },
    after: { components: { cardPaymentsOutbound: { mode: 'nobody' } } },
  });
  expect(await configurationOf(stack.primary.url)).toMatchObject({ components: { cardPaymentsOutbound: { mode: 'nobody' } } });

  // Primary decides the customer's card payments again, and the card is frozen there too.
  const payment = await http<{ responseCode: string; decidedBy: string }>('POST', `${stack.primary.url}/scheme/card/authorisations`, {
    body: cardPayment(customer, 500),
  });
  expect(payment.body).toMatchObject({ responseCode: '62', decidedBy: 'primary' });
}, 300_000);
