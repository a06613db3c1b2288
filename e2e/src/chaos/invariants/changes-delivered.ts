import { timedRequest } from '../../simulator/timed-request';
import { listed, type InvariantContext, type InvariantResult } from './invariant-result';
import { OPERATOR } from '../../stack/services';

// Invariant 4: every committed primary change reaches stand-in (each outbox event of the run's
// accounts is published and recorded in stand-in's synced events, with no sequence gap), and
// every stand-in advice is applied in primary (stand-in's advice log against primary's applied
// set, directly and through the advice consumer's reconciliation report).

interface ReconciliationReport {
  clean: boolean;
  standinAdvices: number;
  primaryApplied: number;
  accounts: { accountId: string; missing: number[]; duplicated: string[]; diverging: unknown[] }[];
}

export async function checkChangesDelivered(
  context: Pick<InvariantContext, 'primaryDb' | 'standinDb' | 'adviceConsumerUrl' | 'customers'>,
): Promise<InvariantResult> {
  const accounts = context.customers.map((customer) => customer.accountId);
  const unpublished = (
    await context.primaryDb.query<{ account_id: string; sequence: number; type: string }>(
      "select account_id, sequence, event->>'type' as type from outbox_events where published_at is null and account_id = any($1::uuid[]) order by id",
      [accounts],
    )
  ).rows.map((row) => ({ accountId: row.account_id, sequence: row.sequence, type: row.type }));
  const committed = (
    await context.primaryDb.query<{ event_id: string; account_id: string; sequence: number; type: string }>(
      "select event_id, account_id, sequence, event->>'type' as type from outbox_events where account_id = any($1::uuid[])",
      [accounts],
    )
  ).rows;
  const syncedRows = (
    await context.standinDb.query<{ event_id: string; account_id: string; sequence: number }>(
      'select event_id, account_id, sequence from synced_events where account_id = any($1::uuid[])',
      [accounts],
    )
  ).rows;
  const synced = new Set(syncedRows.map((row) => row.event_id));
  const syncedSequences = new Set(syncedRows.map((row) => `${row.account_id}/${row.sequence}`));
  const notInStandin = committed
    .filter((event) => !synced.has(event.event_id))
    .map((event) => ({ accountId: event.account_id, sequence: event.sequence, type: event.type, eventId: event.event_id }));
  const gaps = (
    await context.standinDb.query<{ account_id: string; expected_sequence: number; received_sequence: number }>(
      'select account_id, expected_sequence, received_sequence from sync_gaps where account_id = any($1::uuid[])',
      [accounts],
    )
  ).rows.map((row) => ({ accountId: row.account_id, expected: row.expected_sequence, received: row.received_sequence }));
  // A gap the syncer saw (a later sequence before an earlier one) is only a problem while a
  // sequence in it is still missing: reordered delivery fills it moments later.
  const unfilledGaps = gaps.filter((gap) => {
    for (let sequence = gap.expected; sequence < gap.received; sequence++) if (!syncedSequences.has(`${gap.accountId}/${sequence}`)) return true;
    return false;
  });

  const advices = (
    await context.standinDb.query<{ advice_id: string; account_id: string; sequence: number; type: string }>(
      'select advice_id, account_id, sequence, type from advices where account_id = any($1::uuid[])',
      [accounts],
    )
  ).rows;
  const applied = new Set(
    (await context.primaryDb.query<{ advice_id: string }>('select advice_id from applied_advices where account_id = any($1::uuid[])', [accounts])).rows.map(
      (row) => row.advice_id,
    ),
  );
  const notApplied = advices
    .filter((advice) => !applied.has(advice.advice_id))
    .map((advice) => ({ accountId: advice.account_id, sequence: advice.sequence, type: advice.type, adviceId: advice.advice_id }));

  const answer = await timedRequest({
    method: 'GET',
    url: `${context.adviceConsumerUrl}/internal/reconciliation?accounts=${accounts.join(',')}`,
    token: OPERATOR.token,
    giveUpMs: 30_000,
  });
  const reconciliation = answer.kind === 'answer' && answer.status === 200 ? (answer.body as ReconciliationReport) : undefined;
  const reconciliationProblem = reconciliation ? undefined : answer.kind === 'answer' ? `HTTP ${answer.status}` : answer.reason;

  const passed =
    unpublished.length === 0 && notInStandin.length === 0 && unfilledGaps.length === 0 && notApplied.length === 0 && reconciliation?.clean === true;
  return {
    id: 4,
    name: 'every primary change reaches stand-in; every stand-in advice is applied',
    passed,
    summary: passed
      ? `${committed.length} primary events of the run's accounts all in stand-in, no gaps${gaps.length > 0 ? ` (${gaps.length} seen out of order, all filled)` : ''}; ${advices.length} stand-in advices all applied in primary; reconciliation clean`
      : `events unpublished ${unpublished.length}, not in stand-in ${notInStandin.length}, sync gaps unfilled ${unfilledGaps.length} (of ${gaps.length} seen); advices not applied ${notApplied.length}; reconciliation ${reconciliation ? (reconciliation.clean ? 'clean' : 'NOT clean') : `unavailable (${reconciliationProblem})`}`,
    evidence: {
      primaryEvents: committed.length,
      standinAdvices: advices.length,
      eventsUnpublished: listed(unpublished),
      eventsNotInStandin: listed(notInStandin),
      syncGapsUnfilled: listed(unfilledGaps),
      syncGapsSeen: gaps.length,
      advicesNotApplied: listed(notApplied),
      reconciliation: reconciliation
        ? {
            clean: reconciliation.clean,
            standinAdvices: reconciliation.standinAdvices,
            primaryApplied: reconciliation.primaryApplied,
            accounts: listed(reconciliation.accounts),
          }
        : { unavailable: reconciliationProblem },
    },
  };
}
