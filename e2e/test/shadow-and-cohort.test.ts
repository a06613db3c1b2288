import { Pool } from 'pg';
import { cohortDay, dailyCohortBucket, type DailyCohortMembers, type ShadowReport } from '@bank/shared-contracts';
import { openCustomers, waitUntilKnownToStandin } from '../src/simulator/customer-onboarding';
import { mulberry32 } from '../src/simulator/prng';
import { createSchemeMessages } from '../src/simulator/scheme-messages';
import type { SimulatedCustomer } from '../src/simulator/simulated-customer';
import { OPERATOR } from '../src/stack/services';
import { CREDENTIALS } from '../src/stack/credentials';
import { standinCli } from './support/standin-cli';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 8 against the real platforms: the engineer turns on shadow decisioning and the daily
// cohort with the `standin` CLI; primary's answers stay primary's, stand-in decides the copies
// without any effect, the report explains every disagreement, and the cohort is exactly the
// customers the day's hash picks.

let stack: Stack;
let standinDb: Pool;
let customers: SimulatedCustomer[];
const messages = createSchemeMessages(mulberry32(8));

beforeAll(async () => {
  stack = await startStack();
  standinDb = new Pool({ connectionString: stack.databases.standin, max: 2 });
  customers = await openCustomers({
    primaryUrl: stack.primary.url,
    credentials: { onboarding: CREDENTIALS.onboarding, cardManufacturer: CREDENTIALS['card-manufacturer'], gateway: CREDENTIALS.gateway },
    count: 100,
    fundedMinor: 100_000,
  });
  await waitUntilKnownToStandin(stack.databases.standin, customers, 60_000);
}, 240_000);
afterAll(async () => {
  await standinDb?.end();
  await stack?.stop();
});

const standin = (...args: string[]) => standinCli({ primary: stack.primary.url, standin: stack.standin.url }, ...args);

/** Stand-in's own state for these accounts: what a shadow decision must not touch. */
async function standinEffects(accounts: readonly string[]) {
  const count = async (sql: string) => Number((await standinDb.query<{ count: string }>(sql, [accounts])).rows[0]?.count);
  return {
    advices: await count('select count(*) from advices where account_id = any($1::uuid[])'),
    ownTransactions: await count('select count(*) from own_transactions where account_id = any($1::uuid[])'),
    cardMessages: await count('select count(*) from card_messages where account_id = any($1::uuid[])'),
  };
}

test('when shadow decisioning is on at 100%, then primary still decides and answers, stand-in decides every copy without effect, and the report explains every disagreement', async () => {
  // This attempt's decisions only: a retry must not count the first attempt's.
  const since = new Date().toISOString();
  expect((await standin('shadow', '--percent', '100', '--reason', 'ISSUE-8 shadow test')).code).toBe(0);
  const accounts = customers.map((customer) => customer.accountId);
  const before = await standinEffects(accounts);
  const sent = customers.slice(0, 20).flatMap((customer, index) => [messages.purchase(customer, 1_000 + index), messages.atmWithdrawal(customer, 2_000)]);
  // One over stand-in's per-payment limit (50 000): primary approves it, stand-in would not.
  sent.push(messages.purchase(customers[0]!, 60_000));
  for (const message of sent) {
    const answer = await http<{ responseCode: string; decidedBy: string }>('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: message });
    expect(answer.body).toMatchObject({ decidedBy: 'primary' });
  }

  const report = await eventually(
    'every copy decided in the shadow',
    async () => JSON.parse((await standin('shadow', 'report', '--json', '--since', since)).stdout) as ShadowReport,
    (current) => current.decisions >= sent.length,
  );
  expect(report.decisions).toBe(sent.length);
  expect(report.defects).toBe(0);
  expect(report.disagreements.every((group) => group.explained)).toBe(true);
  expect(report.disagreements.find((group) => group.reason === 'standin_risk_limit')?.count).toBeGreaterThanOrEqual(1);
  // The cost of each stand-in rule, visible before any incident: the per-payment limit declined primary's £600 approval.
  expect(report.costByRule).toContainEqual(
    expect.objectContaining({ rule: 'per-payment', label: 'stand-in risk limit: per payment', primaryApprovalsDeclined: 1, amountMinor: 60_000 }),
  );
  expect(report.byMessageType.map((type) => type.messageType).sort()).toEqual(['cash', 'purchase']);
  expect(await standinEffects(accounts)).toEqual(before);

  const human = await standin('shadow', 'report', '--since', since);
  expect(human.stdout).toMatch(/messages decided in the shadow/);
  expect(human.stdout).toMatch(/OK: every disagreement is explained/);
  expect(human.stdout).toMatch(/the cost of stand-in's rules[\s\S]*1 +£600\.00 +stand-in risk limit: per payment \[per-payment\]/);
  expect((await standin('shadow', 'off', '--reason', 'ISSUE-8 shadow test over')).code).toBe(0);
}, 120_000);

test("when a 5% daily cohort is on, then exactly today's hashed customers are on stand-in for card spending and the app, and standin status lists them", async () => {
  const cohort = await standin('cohort', '--percent', '5', '--reason', 'ISSUE-8 always-on cohort', '--yes');
  expect(cohort.code).toBe(0);
  const today = cohortDay(new Date());
  const expected = customers
    .filter((customer) => dailyCohortBucket(customer.customerId, today) < 5)
    .map((customer) => customer.customerId)
    .sort();

  const listed = JSON.parse((await standin('status', '--cohort', '--json')).stdout) as { cohort: DailyCohortMembers };
  expect(listed.cohort).toMatchObject({ day: today, percent: 5 });
  expect(listed.cohort.members.filter((member) => customers.some((customer) => customer.customerId === member))).toEqual(expected);

  await eventually(
    'primary routing by the cohort',
    async () =>
      (await http<{ dailyCohort: { percent: number } }>('GET', `${stack.primary.url}/configuration`, { token: OPERATOR.token })).body.dailyCohort.percent,
    (percent) => percent === 5,
  );
  for (const customer of customers) {
    const inCohort = expected.includes(customer.customerId);
    const status = await http<{ talkTo: string }>('GET', `${stack.primary.url}/status?user=${customer.customerId}`);
    expect([customer.customerId, status.body.talkTo]).toEqual([customer.customerId, inCohort ? 'standin' : 'primary']);
    const answer = await http<{ decidedBy: string }>('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: messages.purchase(customer, 500) });
    expect([customer.customerId, answer.body.decidedBy]).toEqual([customer.customerId, inCohort ? 'standin' : 'primary']);
  }
  // The cohort's stand-in payments go back to primary as advices: moving its members back before
  // primary has applied them is refused without --yes, so the engineer waits for them first.
  await eventually(
    "primary to apply the cohort's stand-in payments",
    async () =>
      (JSON.parse((await standin('status', '--json')).stdout) as { advicesInFlight: { notPublished: number; publishedNotApplied: number } | null })
        .advicesInFlight,
    (inFlight) => inFlight !== null && inFlight.notPublished + inFlight.publishedNotApplied === 0,
    60_000,
  );
  expect((await standin('cohort', 'off', '--reason', 'ISSUE-8 cohort test over')).code).toBe(0);
}, 180_000);
