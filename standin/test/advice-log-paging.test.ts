import { randomUUID } from 'node:crypto';
import type { Database } from '../src/store/database';
import { temporaryStandinDatabase } from './temporary-database';
import { CREDENTIALS } from './test-credentials';
import { testStandinServer } from './test-server';

// Stand-in's advice log for reconciliation comes in pages (keyset on account and sequence): no
// answer grows with the log, and the pages together are the whole log, in order, once each.

let database: Database;
let drop: () => Promise<void>;
let server: ReturnType<typeof testStandinServer>;
let address = '';
const accounts = [randomUUID(), randomUUID()].sort();

beforeAll(async () => {
  ({ database, drop } = await temporaryStandinDatabase('advice_log_paging'));
  for (const [index, accountId] of accounts.entries())
    for (let sequence = 1; sequence <= 3 - index; sequence++)
      await database.query(
        `insert into advices (advice_id, account_id, sequence, correlation_id, type, advice, created_at)
         values ($1, $2, $3, $4, 'card_payment.approved', $5, now())`,
        [randomUUID(), accountId, sequence, randomUUID(), JSON.stringify({ accountId, sequence })],
      );
  server = testStandinServer(database);
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await drop?.();
});

const page = async (query: string) => {
  const response = await fetch(`${address}/internal/advices${query}`, { headers: { authorization: `Bearer ${CREDENTIALS['advice-consumer']}` } });
  return { status: response.status, body: (await response.json()) as { advices: { accountId: string; sequence: number }[]; next?: string } };
};

test('when the log is read a page at a time, then the pages are the whole log in order, and the last one has no next', async () => {
  const seen: { accountId: string; sequence: number }[] = [];
  const pages: number[] = [];
  let after = '';
  for (let read = 0; read < 10; read++) {
    const { status, body } = await page(`?limit=2${after}`);
    expect(status).toBe(200);
    seen.push(...body.advices);
    pages.push(body.advices.length);
    if (!body.next) break;
    after = `&after=${encodeURIComponent(body.next)}`;
  }
  expect(pages).toEqual([2, 2, 1]);
  expect(seen).toEqual([
    { accountId: accounts[0], sequence: 1 },
    { accountId: accounts[0], sequence: 2 },
    { accountId: accounts[0], sequence: 3 },
    { accountId: accounts[1], sequence: 1 },
    { accountId: accounts[1], sequence: 2 },
  ]);
});

test('when a page holds the rest of the log, then it has no next; a cursor that is not one is 400', async () => {
  expect((await page('')).body).toEqual({ advices: expect.any(Array) });
  expect((await page('')).body.advices).toHaveLength(5);
  expect((await page('?after=not-a-cursor')).status).toBe(400);
  expect((await page('?limit=10001')).status).toBe(400);
});

test('when the log is read for some accounts, then only theirs come, a page at a time; an account list that is not one is 400', async () => {
  const [first, second] = await Promise.all([page(`?limit=2&accounts=${accounts[1]}`), page(`?accounts=${accounts[0]},${accounts[1]}`)]);
  expect(first.body).toEqual({
    advices: [
      { accountId: accounts[1], sequence: 1 },
      { accountId: accounts[1], sequence: 2 },
    ],
    next: `${accounts[1]}:2`,
  });
  expect((await page(`?limit=2&accounts=${accounts[1]}&after=${encodeURIComponent(first.body.next!)}`)).body).toEqual({ advices: [] });
  expect(second.body.advices).toHaveLength(5);
  expect((await page(`?accounts=${randomUUID()}`)).body).toEqual({ advices: [] });
  expect((await page('?accounts=not-an-account')).status).toBe(400);
});
