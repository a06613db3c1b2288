import { CARD_SCHEME_SHARDS, cardSchemeAccount, INTERNAL_ACCOUNTS } from '../src/ledger/ledger';
import { authorisation, messageKey, startPrimary, type TestPrimary } from './harness';

// Issue 15: the card scheme's side of the ledger is CARD_SCHEME_SHARDS rows, not one row every cash
// withdrawal, card reversal and clearing in the bank locks. Each customer account's card postings
// meet its own shard, by the SQL path (card_authorise, card_release_authorised) and the TypeScript
// one (clearings) alike, and every journal still balances. Real primary on the real PostgreSQL.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

/** Every posting of every journal that touched the account. */
const postingsOf = async (accountId: string) =>
  (
    await primary.db.query<{ journal_id: string; kind: string; ledger_account_id: string; amount_minor: string }>(
      `select p.journal_id, j.kind, p.ledger_account_id, p.amount_minor from postings p join journals j on j.id = p.journal_id
        where p.journal_id in (select journal_id from postings where ledger_account_id = $1) order by p.id`,
      [accountId],
    )
  ).rows;

test('the shards exist, one per hex digit, as the SQL and TypeScript choose them', async () => {
  const { rows } = await primary.db.query<{ id: string; shard: string }>(
    "select id, card_scheme_account('00000000-0000-4000-8000-00000000000' || right(id, 1)) as shard from ledger_accounts where id like 'internal:card-scheme:%' order by id",
  );
  expect(rows).toHaveLength(CARD_SCHEME_SHARDS);
  for (const row of rows) expect(row.shard).toBe(row.id);
  expect(cardSchemeAccount('00000000-0000-4000-8000-00000000000A')).toBe(`${INTERNAL_ACCOUNTS.cardScheme}:a`);
});

test("when a customer withdraws cash, has it reversed and pays by card, then every card posting meets the account's own scheme shard, never the old single row, and each journal balances", async () => {
  const account = await primary.openAccount();
  await primary.fund(account, 10_000);
  const card = await primary.issueCard(account.id);
  const shard = cardSchemeAccount(account.id);
  const root = async () => (await primary.balance(INTERNAL_ACCOUNTS.cardScheme))?.settledMinor;
  const rootBefore = await root();

  // ATM cash (0200): posted at once, in SQL.
  const cash = authorisation(card, 2_000, { mti: '0200', processingCode: '010000' });
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: cash })).body).toMatchObject({ responseCode: '00' });
  // Reversed in part: the TypeScript reversal path.
  const reversal = {
    mti: '0400',
    pan: card.pan,
    original: { stan: cash.stan, rrn: cash.rrn, terminalId: cash.terminalId },
    amountMinor: 2_000,
    replacementAmountMinor: 1_500,
    currency: 'GBP',
    transmittedAt: '2026-11-21T12:01:00Z',
    ...messageKey(),
  };
  expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({ responseCode: '00' });
  // A purchase, then its clearing: the TypeScript clearing path.
  const purchase = authorisation(card, 700);
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: purchase })).body).toMatchObject({ responseCode: '00' });
  const clearing = {
    clearingId: `CLR-${purchase.rrn}`,
    pan: card.pan,
    original: { stan: purchase.stan, rrn: purchase.rrn, terminalId: purchase.terminalId },
    processingCode: '000000',
    amountMinor: 700,
    currency: 'GBP',
    merchant: purchase.merchant,
    clearedAt: '2026-11-22T02:00:00Z',
  };
  expect((await primary.call('POST', '/scheme/card/clearings', { body: clearing })).body).toMatchObject({ status: 'settled' });

  const cardPostings = (await postingsOf(account.id)).filter((posting) => posting.kind.startsWith('card.'));
  expect(cardPostings.map((posting) => [posting.kind, posting.ledger_account_id, Number(posting.amount_minor)])).toEqual([
    ['card.cash_withdrawal', account.id, -2_000],
    ['card.cash_withdrawal', shard, 2_000],
    ['card.reversal', account.id, 500],
    ['card.reversal', shard, -500],
    ['card.clearing', account.id, -700],
    ['card.clearing', shard, 700],
  ]);
  expect(await root()).toBe(rootBefore);
  expect(await primary.balance(account.id)).toMatchObject({ settledMinor: 10_000 - 1_500 - 700, heldMinor: 0 });
  const { rows } = await primary.db.query<{ unbalanced: string }>(
    'select count(*) as unbalanced from (select journal_id from postings group by journal_id having sum(amount_minor) <> 0) j',
  );
  expect(rows[0]!.unbalanced).toBe('0');
});
