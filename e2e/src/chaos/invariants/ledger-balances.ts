import { listed, type InvariantContext, type InvariantResult } from './invariant-result';

// Invariant 1: the primary ledger balances. Every journal's postings sum to zero (and it has at
// least two), all postings together sum to zero, and every ledger account's stored balance is
// what its postings and open holds say it is: balances move only with postings.

export async function checkLedgerBalances(context: Pick<InvariantContext, 'primaryDb'>): Promise<InvariantResult> {
  const db = context.primaryDb;
  const unbalanced = (
    await db.query<{ journal_id: string; kind: string; total: string; postings: string }>(
      `select p.journal_id, j.kind, sum(p.amount_minor) as total, count(*) as postings
       from postings p join journals j on j.id = p.journal_id
       group by p.journal_id, j.kind having sum(p.amount_minor) <> 0 or count(*) < 2`,
    )
  ).rows.map((row) => ({ journalId: row.journal_id, kind: row.kind, sumMinor: Number(row.total), postings: Number(row.postings) }));
  const empty = (
    await db.query<{ id: string; kind: string }>('select id, kind from journals j where not exists (select 1 from postings p where p.journal_id = j.id)')
  ).rows.map((row) => ({ journalId: row.id, kind: row.kind }));
  const totals = (
    await db.query<{ total: string; postings: string; journals: string }>(
      'select coalesce(sum(amount_minor), 0) as total, count(*) as postings, count(distinct journal_id) as journals from postings',
    )
  ).rows[0]!;
  const settledDrift = (
    await db.query<{ id: string; settled_minor: string; from_postings: string }>(
      `select a.id, a.settled_minor, coalesce(sum(p.amount_minor), 0) as from_postings
       from ledger_accounts a left join postings p on p.ledger_account_id = a.id
       group by a.id, a.settled_minor having a.settled_minor <> coalesce(sum(p.amount_minor), 0)`,
    )
  ).rows.map((row) => ({ ledgerAccountId: row.id, storedSettledMinor: Number(row.settled_minor), postingsSumMinor: Number(row.from_postings) }));
  const heldDrift = (
    await db.query<{ id: string; held_minor: string; open_holds: string }>(
      `select a.id, a.held_minor, coalesce(sum(h.amount_minor) filter (where h.status = 'open'), 0) as open_holds
       from ledger_accounts a left join holds h on h.ledger_account_id = a.id
       group by a.id, a.held_minor having a.held_minor <> coalesce(sum(h.amount_minor) filter (where h.status = 'open'), 0)`,
    )
  ).rows.map((row) => ({ ledgerAccountId: row.id, storedHeldMinor: Number(row.held_minor), openHoldsMinor: Number(row.open_holds) }));

  const totalMinor = Number(totals.total);
  const passed = unbalanced.length === 0 && empty.length === 0 && totalMinor === 0 && settledDrift.length === 0 && heldDrift.length === 0;
  return {
    id: 1,
    name: 'the primary ledger balances',
    passed,
    summary: passed
      ? `${totals.journals} journals, ${totals.postings} postings: each journal and the whole ledger sum to 0; every account's balance equals its postings and open holds`
      : `unbalanced journals ${unbalanced.length}, journals without postings ${empty.length}, all postings sum to ${totalMinor}, balances not equal to their postings ${settledDrift.length}, held amounts not equal to open holds ${heldDrift.length}`,
    evidence: {
      journals: Number(totals.journals),
      postings: Number(totals.postings),
      allPostingsSumMinor: totalMinor,
      unbalancedJournals: listed(unbalanced),
      journalsWithoutPostings: listed(empty),
      balancesNotFromPostings: listed(settledDrift),
      heldNotFromOpenHolds: listed(heldDrift),
    },
  };
}
