import { cohortDay, dailyCohortBucket } from '@bank/shared-contracts';
import { authorisation } from './harness';
import { credit, startRoutingPrimary, type Customer, type RoutingPrimary } from './routing-harness';

// The daily cohort over HTTP: primary's own clock decides the day, the shared hash decides who is
// in it, and card payments (both ways) and the app follow it while Faster Payments do not.

const COHORT_PERCENT = 5;
const BEFORE_MIDNIGHT = '2026-11-21T23:59:59.000Z';
const AFTER_MIDNIGHT = '2026-11-22T00:00:00.000Z';

let primary: RoutingPrimary;
let customers: Customer[];
const inCohort = (customer: Customer, at: string) => dailyCohortBucket(customer.customerId, cohortDay(new Date(at))) < COHORT_PERCENT;

beforeAll(async () => {
  primary = await startRoutingPrimary({ now: '2026-11-21T12:00:00Z' });
  // Enough customers that both days have a member and the cohort visibly changes at midnight
  // (at 5 % each customer is a member about one day in twenty).
  customers = [];
  const enough = () =>
    customers.some((c) => inCohort(c, BEFORE_MIDNIGHT)) &&
    customers.some((c) => !inCohort(c, BEFORE_MIDNIGHT)) &&
    customers.some((c) => inCohort(c, AFTER_MIDNIGHT)) &&
    customers.some((c) => inCohort(c, BEFORE_MIDNIGHT) !== inCohort(c, AFTER_MIDNIGHT));
  while (!enough() && customers.length < 400) customers.push(await primary.customer(100_000));
  if (!enough()) throw new Error('could not find cohort members for both days among 400 customers');
}, 120_000);
afterAll(() => primary?.close());
beforeEach(() => {
  primary.standin.received.length = 0;
  primary.standin.state.reply = (seen) => ({ status: 200, body: { ...(seen.body as object), routedTo: 'standin' } });
});

/** Where each customer's spending, refund and incoming credit went, and what /status told their app, at the primary clock's time now. */
async function observe(customer: Customer) {
  const spend = (await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(customer.card, 100) })).body;
  const refund = (await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(customer.card, 100, { processingCode: '200000' }) })).body;
  const fps = (await primary.call('POST', '/scheme/faster-payments/inbound', { body: credit(customer, 100) })).body;
  const status = (await primary.call('GET', `/status?user=${customer.customerId}`)).body;
  const where = (answer: { routedTo?: string; decidedBy?: string }) => (answer.routedTo === 'standin' ? 'standin' : answer.decidedBy);
  return { spend: where(spend), refund: where(refund), fps: where(fps), app: status.talkTo as string, experience: status.experience as string };
}

const expected = (member: boolean) => ({
  spend: member ? 'standin' : 'primary',
  refund: 'primary',
  fps: 'primary',
  app: member ? 'standin' : 'primary',
  experience: member ? 'standin' : 'full',
});

describe('daily cohort routing in primary', () => {
  test('when a 5 % daily cohort is on, then exactly the users whose bucket of the day is below 5 have card spending and the app on stand-in; refunds (stand-in declines them) and Faster Payments stay on primary', async () => {
    primary.clock.set(BEFORE_MIDNIGHT);
    await primary.route({}, { dailyCohort: COHORT_PERCENT });
    for (const customer of customers)
      expect({ customer: customer.customerId, ...(await observe(customer)) }).toEqual({
        customer: customer.customerId,
        ...expected(inCohort(customer, BEFORE_MIDNIGHT)),
      });
    const members = customers.filter((c) => inCohort(c, BEFORE_MIDNIGHT));
    // One card message per member (the spending, not the refund) reached stand-in, nothing else did.
    expect(primary.standin.received.map((seen) => seen.url)).toEqual(members.map(() => '/scheme/card/authorisations'));
  });

  test("when the clock passes midnight in London, then the cohort is the one the next day's hash names", async () => {
    await primary.route({}, { dailyCohort: COHORT_PERCENT });
    primary.clock.set(AFTER_MIDNIGHT);
    for (const customer of customers)
      expect({ customer: customer.customerId, ...(await observe(customer)) }).toEqual({
        customer: customer.customerId,
        ...expected(inCohort(customer, AFTER_MIDNIGHT)),
      });
    // Someone moved: the rotation is real, not a coincidence of two equal days.
    expect(customers.some((c) => inCohort(c, BEFORE_MIDNIGHT) !== inCohort(c, AFTER_MIDNIGHT))).toBe(true);
  });

  test('when the cohort is 0 %, then everyone is back on primary', async () => {
    primary.clock.set(AFTER_MIDNIGHT);
    await primary.route({}, { dailyCohort: 0 });
    for (const customer of customers.slice(0, 10)) expect(await observe(customer)).toEqual(expected(false));
    expect(primary.standin.received).toEqual([]);
  });
});
