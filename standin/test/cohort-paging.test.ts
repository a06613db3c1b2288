import pino from 'pino';
import { inDailyCohort, type ConfigurationDocument, type DailyCohortMembers } from '@bank/shared-contracts';
import { createStandinServer } from '../src/app/server';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import type { Database } from '../src/store/database';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { platformClient } from '../src/cli/platform-client';
import { testKeys } from './synced-state';
import { temporaryStandinDatabase } from './temporary-database';
import { TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// Issue 17: no answer is unbounded. The cohort list (GET /configuration/cohort) comes in pages of
// at most `limit` members (1,000 at most), in customer id order, `next` leading to the following
// page; each page looks through a bounded number of customers, so a small cohort among many
// customers is several pages, some short, and walking them all gives each member once.

let temporary: Awaited<ReturnType<typeof temporaryStandinDatabase>>;
let database: Database;
let address = '';
let server: ReturnType<typeof createStandinServer>;
const OPERATOR = 'cohort-desk-token';
const now = () => new Date();

beforeAll(async () => {
  temporary = await temporaryStandinDatabase('cohort_paging');
  database = temporary.database;
  server = createStandinServer({
    database,
    logger: pino({ level: 'silent' }),
    now,
    keys: testKeys,
    services: TEST_SERVICES,
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: `cohort-desk:${OPERATOR}` }),
    cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
  });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await temporary?.drop();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${address}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as any };
}

/** Customers synced from primary, one account each (with a second version of some, as account.updated makes). */
async function customers(count: number): Promise<string[]> {
  const { rows } = await database.query<{ customer_id: string }>(
    `insert into synced_accounts (account_id, sequence, customer_id, holder_name, sort_code, account_number, status, overdraft_limit_minor, unapproved_overdraft)
     select gen_random_uuid(), 1, gen_random_uuid(), 'Cohort Customer', '608371', lpad(n::text, 8, '0'), 'open', 0, false from generate_series(1, $1) n
     returning customer_id`,
    [count],
  );
  await database.query(
    `insert into synced_accounts (account_id, sequence, customer_id, holder_name, sort_code, account_number, status, overdraft_limit_minor, unapproved_overdraft)
     select account_id, 2, customer_id, holder_name, sort_code, account_number, 'restricted', 0, false from synced_accounts
     where customer_id = any($1::uuid[]) and sequence = 1 limit 10`,
    [rows.map((row) => row.customer_id)],
  );
  return rows.map((row) => row.customer_id);
}

async function setCohort(percent: number) {
  const current = (await call('GET', '/configuration')).body as ConfigurationDocument;
  expect(
    (await call('POST', '/configuration/changes', { basedOnVersion: current.version, reason: 'cohort paging test', dailyCohort: { percent } })).status,
  ).toBe(200);
  return (await call('GET', '/configuration')).body as ConfigurationDocument;
}

/** Every page, following `next`; bounded. */
async function walk(limit?: number): Promise<{ pages: DailyCohortMembers[]; members: string[] }> {
  const pages: DailyCohortMembers[] = [];
  let next: string | undefined;
  do {
    const query = new URLSearchParams({ ...(limit === undefined ? {} : { limit: String(limit) }), ...(next ? { after: next } : {}) });
    const page = await call('GET', `/configuration/cohort?${query.toString()}`);
    expect(page.status).toBe(200);
    pages.push(page.body);
    next = page.body.next;
  } while (next !== undefined && pages.length < 500);
  return { pages, members: pages.flatMap((page) => page.members) };
}

test('when the whole cohort is asked for in small pages, then each page holds at most the limit and the pages together are every member once, in order', async () => {
  const all = (await customers(25)).sort();
  await setCohort(100);
  const { pages, members } = await walk(7);
  expect(pages.map((page) => page.members.length)).toEqual([7, 7, 7, 4]);
  expect(pages.every((page) => page.customersKnown === 25 && page.percent === 100)).toBe(true);
  expect(members).toEqual(all);
});

test('when a small cohort is among many customers, then a page looks through a bounded number of them (short pages with a next) and the walk still finds every member once', async () => {
  const all = [
    ...(await database.query<{ customer_id: string }>('select distinct customer_id from synced_accounts')).rows.map((row) => row.customer_id),
    ...(await customers(60_000)),
  ];
  const configuration = await setCohort(1);
  const expected = all.filter((customer) => inDailyCohort(configuration, customer, now())).sort();
  const { pages, members } = await walk();
  expect(pages.length).toBeGreaterThan(1);
  expect(pages[0]!.members.length).toBeLessThan(1_000);
  expect(members).toEqual(expected);
  // `standin status --cohort` reads every page the same way.
  const listed = await platformClient('standin', address, OPERATOR, 20_000).cohort();
  expect(listed.members).toEqual(expected);
  expect(listed.next).toBeUndefined();
}, 60_000);

test('when the limit or the cursor is not valid, then 400; with the cohort off, no members and no next', async () => {
  expect((await call('GET', '/configuration/cohort?limit=1001')).status).toBe(400);
  expect((await call('GET', '/configuration/cohort?limit=0')).status).toBe(400);
  expect((await call('GET', '/configuration/cohort?after=not-a-customer')).status).toBe(400);
  await setCohort(0);
  const off = await call('GET', '/configuration/cohort');
  expect(off.body.members).toEqual([]);
  expect(off.body.next).toBeUndefined();
});
