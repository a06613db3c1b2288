import { explain, modelAccounts, type Effect } from './account-model';
import { listed, type InvariantContext, type InvariantResult } from './invariant-result';

// Invariant 8: an independent model of every account, built only from what the outside world was
// told (account-model.ts), equals primary's ledger computed from its postings and open holds (not
// from a balance column), to the penny, after quiescence. An unknown outcome may go either way;
// the evidence says which way each went. The first ten accounts that differ are shown with the
// model's history beside the ledger's.

const SHOWN = 10;

export async function checkAccountsMatchModel(context: Pick<InvariantContext, 'primaryDb' | 'customers' | 'exchanges'>): Promise<InvariantResult> {
  const models = modelAccounts(context.customers, context.exchanges);
  const ids = [...models.keys()];
  const ledger = new Map<string, Effect>();
  const { rows } = await context.primaryDb.query<{ id: string; settled: string; held: string }>(
    `select a.id,
            coalesce((select sum(p.amount_minor) from postings p where p.ledger_account_id = a.id), 0) as settled,
            coalesce((select sum(h.amount_minor) from holds h where h.ledger_account_id = a.id and h.status = 'open'), 0) as held
     from ledger_accounts a where a.id = any($1::text[])`,
    [ids],
  );
  for (const row of rows) ledger.set(row.id, { settledMinor: Number(row.settled), heldMinor: Number(row.held) });

  const differing: { accountId: string; model: Effect; ledger: Effect; unknownOutcomes: number; undecidable?: true; modelHistory: string[] }[] = [];
  let unknownOutcomes = 0;
  let happened = 0;
  const wentEachWay: { accountId: string; happened: string[] }[] = [];
  for (const model of models.values()) {
    unknownOutcomes += model.unknowns.length;
    const actual = ledger.get(model.accountId) ?? { settledMinor: 0, heldMinor: 0 };
    const verdict = explain(model, actual);
    if (verdict.matches) {
      happened += verdict.happened.length;
      if (verdict.happened.length > 0) wentEachWay.push({ accountId: model.accountId, happened: verdict.happened });
      continue;
    }
    differing.push({
      accountId: model.accountId,
      model: { settledMinor: model.settledMinor, heldMinor: model.heldMinor },
      ledger: actual,
      unknownOutcomes: model.unknowns.length,
      ...(verdict.undecidable ? { undecidable: true as const } : {}),
      modelHistory: model.history,
    });
  }

  // The ledger's side of the first accounts that differ: every journal line and every hold.
  const shown = differing.slice(0, SHOWN);
  const ledgerHistory = new Map<string, string[]>();
  for (const account of shown) {
    const postings = await context.primaryDb.query<{ kind: string; amount_minor: string; correlation_id: string | null; forced: boolean; created_at: Date }>(
      `select j.kind, p.amount_minor, j.correlation_id, j.forced, j.created_at from postings p join journals j on j.id = p.journal_id where p.ledger_account_id = $1 order by p.id`,
      [account.accountId],
    );
    const holds = await context.primaryDb.query<{ amount_minor: string; status: string; created_at: Date }>(
      'select amount_minor, status, created_at from holds where ledger_account_id = $1 order by created_at',
      [account.accountId],
    );
    ledgerHistory.set(account.accountId, [
      ...postings.rows.map((row) =>
        `${row.created_at.toISOString()} ${row.kind} ${Number(row.amount_minor) >= 0 ? '+' : ''}${row.amount_minor}${row.forced ? ' (forced)' : ''} ${row.correlation_id ?? ''}`.trim(),
      ),
      ...holds.rows.map((row) => `${row.created_at.toISOString()} hold ${row.amount_minor} ${row.status}`),
    ]);
  }

  const passed = differing.length === 0;
  return {
    id: 8,
    name: "an independent model of every account, from what the outside world was told, equals primary's ledger",
    passed,
    summary: passed
      ? `${models.size} accounts match the model to the penny (settled from postings, held from open holds); ${unknownOutcomes} unknown outcomes, ${happened} of them happened`
      : `${differing.length} of ${models.size} accounts differ from the model; first: ${shown
          .slice(0, 3)
          .map((a) => `${a.accountId} model ${a.model.settledMinor}/${a.model.heldMinor} ledger ${a.ledger.settledMinor}/${a.ledger.heldMinor}`)
          .join('; ')}`,
    evidence: {
      accountsChecked: models.size,
      unknownOutcomes,
      unknownOutcomesThatHappened: happened,
      unknownOutcomesThatDidNot: unknownOutcomes - happened,
      whichWayTheyWent: listed(wentEachWay),
      differing: { count: differing.length, first: shown.map((account) => ({ ...account, ledgerHistory: ledgerHistory.get(account.accountId) ?? [] })) },
    },
  };
}
