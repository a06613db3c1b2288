import type { Exchange } from '../../simulator/ground-truth';
import { SIMULATED_TERMINAL_PREFIX } from '../../simulator/scheme-messages';
import { keyOf, type InvariantContext } from './invariant-result';

// Invariant 2, cards: every authorisation the network heard approved is in primary's card
// authorisations exactly once, approved, with the decision the network heard and its money in
// the ledger once (a hold for a purchase, one journal for cash, one clearing journal once cleared),
// for the right amounts: a hold still open equals the approved amount less what acknowledged
// reversals released; a clearing heard settled posted exactly the cleared amount.

interface AuthorisationRow {
  outstanding_minor: string;
  stan: string;
  rrn: string;
  terminal_id: string;
  approved: boolean;
  state: string;
  mti: string;
  amount_minor: string;
  hold_id: string | null;
  correlation_id: string;
  decided_by: string | null;
}

export interface CardApprovalFindings {
  readonly heardApproved: number;
  readonly approvedInPrimary: number;
  readonly missingInPrimary: { key: string; heardFrom?: string; amountMinor: number; primaryState?: string }[];
  readonly decidedByTheOtherPlatform: { key: string; heardFrom?: string; primaryRecordsDecisionBy: string | null }[];
  readonly amountDiffers: { key: string; heardMinor: number; primaryMinor: number }[];
  readonly declinedToNetworkButApprovedInPrimary: { key: string; heardResponseCode?: string; heardFrom?: string; primaryDecidedBy: string | null }[];
  readonly ledgerEffectMissing: { key: string; mti: string; state: string; what: string }[];
  readonly ledgerEffectDoubled: { correlationId: string; kind: string; journals: number }[];
  readonly clearedButStillHeld: { key: string; clearingId: string; primaryState: string }[];
  readonly holdAmountDiffers: { key: string; expectedHeldMinor: number; primaryHeldMinor: number }[];
  readonly clearingAmountDiffers: { key: string; clearingId: string; clearedMinor: number; postedMinor: number }[];
  readonly approvedWithoutAnyRequest: { key: string; decidedBy: string | null }[];
  /** Approved in primary for a message whose answer the network never heard in time: allowed (an unknown outcome), listed. */
  readonly approvedWithUnknownOutcome: { key: string; heard: string }[];
  /**
   * Allowed, listed: approved by stand-in after primary had already told the network 91, then
   * reversed in full by primary's timeout reversal, so no money stays taken.
   */
  readonly declinedToNetworkThenReversed: { key: string; heardResponseCode?: string; primaryDecidedBy: string | null }[];
  /**
   * Observed, not counted against the invariant (which is about approvals): reversals the network
   * heard accepted while primary still holds the whole authorised amount, e.g. a reversal stand-in
   * answered for an authorisation only primary held.
   */
  readonly reversalsNotReflectedInPrimary: {
    original: string;
    reversalAnsweredBy?: string;
    reason?: string;
    primaryState: string;
    primaryOutstandingMinor: number;
  }[];
}

const isAuthorisation = (exchange: Exchange) => exchange.kind === 'purchase' || exchange.kind === 'atm-withdrawal';

export async function checkCardApprovals(context: Pick<InvariantContext, 'primaryDb' | 'exchanges'>): Promise<CardApprovalFindings> {
  const rows = (
    await context.primaryDb.query<AuthorisationRow>(
      `select stan, rrn, terminal_id, approved, state, mti, amount_minor, outstanding_minor, hold_id, correlation_id, response->>'decidedBy' as decided_by
       from card_authorisations where terminal_id like $1`,
      [`${SIMULATED_TERMINAL_PREFIX}%`],
    )
  ).rows;
  const byKey = new Map(rows.map((row) => [keyOf({ stan: row.stan, rrn: row.rrn, terminalId: row.terminal_id }), row]));
  const approvedRows = rows.filter((row) => row.approved);

  const correlations = approvedRows.map((row) => row.correlation_id);
  const journals = (
    await context.primaryDb.query<{ correlation_id: string; kind: string; count: string }>(
      `select correlation_id, kind, count(*) as count from journals where correlation_id = any($1::uuid[]) group by correlation_id, kind`,
      [correlations],
    )
  ).rows;
  const journalCount = (correlationId: string, kinds: readonly string[]) =>
    journals.filter((j) => j.correlation_id === correlationId && kinds.includes(j.kind)).reduce((sum, j) => sum + Number(j.count), 0);
  const holdIds = approvedRows.map((row) => row.hold_id).filter((id): id is string => id !== null);
  const holdRows = (
    await context.primaryDb.query<{ id: string; status: string; amount_minor: string }>(
      'select id, status, amount_minor from holds where id = any($1::uuid[])',
      [holdIds],
    )
  ).rows;
  const holds = new Map(holdRows.map((hold) => [hold.id, hold.status]));
  const heldAmount = new Map(holdRows.map((hold) => [hold.id, Number(hold.amount_minor)]));
  // What each clearing journal took from the customer's account (the posting on the customer side).
  const clearingPosted = new Map(
    (
      await context.primaryDb.query<{ correlation_id: string; posted: string }>(
        `select j.correlation_id, sum(p.amount_minor) as posted from journals j join postings p on p.journal_id = j.id join ledger_accounts a on a.id = p.ledger_account_id
         where j.kind = 'card.clearing' and a.kind = 'customer' and j.correlation_id = any($1::uuid[]) group by j.correlation_id`,
        [correlations],
      )
    ).rows.map((row) => [row.correlation_id, -Number(row.posted)]),
  );

  const authorisations = context.exchanges.filter(isAuthorisation);
  const heard = new Map(authorisations.map((exchange) => [keyOf(exchange.key!), exchange]));
  const heardApproved = authorisations.filter((exchange) => exchange.verdict === 'approved' && exchange.timing === 'on-time');

  const findings: CardApprovalFindings = {
    heardApproved: heardApproved.length,
    approvedInPrimary: approvedRows.length,
    missingInPrimary: [],
    decidedByTheOtherPlatform: [],
    amountDiffers: [],
    declinedToNetworkButApprovedInPrimary: [],
    ledgerEffectMissing: [],
    ledgerEffectDoubled: [],
    clearedButStillHeld: [],
    holdAmountDiffers: [],
    clearingAmountDiffers: [],
    approvedWithoutAnyRequest: [],
    approvedWithUnknownOutcome: [],
    declinedToNetworkThenReversed: [],
    reversalsNotReflectedInPrimary: [],
  };

  for (const exchange of heardApproved) {
    const key = keyOf(exchange.key!);
    const row = byKey.get(key);
    if (!row?.approved) {
      findings.missingInPrimary.push({
        key,
        ...(exchange.decidedBy ? { heardFrom: exchange.decidedBy } : {}),
        amountMinor: exchange.amountMinor,
        ...(row ? { primaryState: row.state } : {}),
      });
      continue;
    }
    // A message the network repeated (same key) may have reached the other platform the second time,
    // after the routing changed: allowed when primary's record matches one of the answers it heard.
    const answeredBy = authorisations.filter((e) => keyOf(e.key!) === key && e.decidedBy).map((e) => e.decidedBy);
    if (row.decided_by !== exchange.decidedBy && !answeredBy.includes(row.decided_by as typeof exchange.decidedBy))
      findings.decidedByTheOtherPlatform.push({
        key,
        ...(exchange.decidedBy ? { heardFrom: exchange.decidedBy } : {}),
        primaryRecordsDecisionBy: row.decided_by,
      });
    if (Number(row.amount_minor) !== exchange.amountMinor)
      findings.amountDiffers.push({ key, heardMinor: exchange.amountMinor, primaryMinor: Number(row.amount_minor) });
  }

  for (const row of approvedRows) {
    const key = keyOf({ stan: row.stan, rrn: row.rrn, terminalId: row.terminal_id });
    const exchange = heard.get(key);
    if (!exchange) findings.approvedWithoutAnyRequest.push({ key, decidedBy: row.decided_by });
    else if (exchange.verdict === 'declined' && row.state === 'reversed')
      findings.declinedToNetworkThenReversed.push({
        key,
        ...(exchange.responseCode ? { heardResponseCode: exchange.responseCode } : {}),
        primaryDecidedBy: row.decided_by,
      });
    else if (exchange.verdict === 'declined')
      findings.declinedToNetworkButApprovedInPrimary.push({
        key,
        ...(exchange.responseCode ? { heardResponseCode: exchange.responseCode } : {}),
        ...(exchange.decidedBy ? { heardFrom: exchange.decidedBy } : {}),
        primaryDecidedBy: row.decided_by,
      });
    else if (!(exchange.verdict === 'approved' && exchange.timing === 'on-time'))
      findings.approvedWithUnknownOutcome.push({ key, heard: `${exchange.verdict} (${exchange.timing})` });

    // The money, once: a hold for a purchase (0100), one posting journal for cash (0200), one clearing journal once cleared.
    if (row.mti === '0100' && (!row.hold_id || !holds.has(row.hold_id)))
      findings.ledgerEffectMissing.push({ key, mti: row.mti, state: row.state, what: 'no hold for the approved purchase' });
    if (row.mti === '0200' && journalCount(row.correlation_id, ['card.cash_withdrawal', 'card.financial']) !== 1) {
      findings.ledgerEffectMissing.push({
        key,
        mti: row.mti,
        state: row.state,
        what: `${journalCount(row.correlation_id, ['card.cash_withdrawal', 'card.financial'])} cash journals, expected 1`,
      });
    }
    if (row.state === 'cleared' && journalCount(row.correlation_id, ['card.clearing']) === 0)
      findings.ledgerEffectMissing.push({ key, mti: row.mti, state: row.state, what: 'cleared, but no clearing journal' });
  }

  for (const journal of journals) {
    if (['card.clearing', 'card.cash_withdrawal', 'card.financial'].includes(journal.kind) && Number(journal.count) > 1) {
      findings.ledgerEffectDoubled.push({ correlationId: journal.correlation_id, kind: journal.kind, journals: Number(journal.count) });
    }
  }
  const sharedCorrelations = new Map<string, number>();
  for (const row of approvedRows) sharedCorrelations.set(row.correlation_id, (sharedCorrelations.get(row.correlation_id) ?? 0) + 1);
  for (const [correlationId, count] of sharedCorrelations)
    if (count > 1) findings.ledgerEffectDoubled.push({ correlationId, kind: 'card authorisation', journals: count });

  // A clearing the network saw settled must have settled its authorisation's hold: a hold still open
  // beside the clearing's posting takes the money twice.
  for (const clearing of context.exchanges.filter((exchange) => exchange.kind === 'clearing' && exchange.verdict === 'settled' && exchange.original)) {
    const row = byKey.get(keyOf(clearing.original!));
    if (row?.approved && row.state === 'held' && row.hold_id && holds.get(row.hold_id) === 'open') {
      findings.clearedButStillHeld.push({ key: keyOf(clearing.original!), clearingId: clearing.clearingId!, primaryState: row.state });
    }
  }
  // The amounts. A purchase heard approved and not cleared holds its amount less what the reversals
  // the network heard acknowledged released; a clearing heard settled posted the cleared amount.
  // Per original authorisation: what each reversal message (by its own key, so a repeat counts once)
  // released, split by whether the network heard it acknowledged (one it never heard may or may not
  // have been applied).
  const releases = new Map<string, { acknowledged: Map<string, number>; unacknowledged: Map<string, number> }>();
  const reversals = context.exchanges.filter((exchange) => exchange.kind === 'reversal' && exchange.original && exchange.key);
  for (const reversal of reversals) {
    const original = keyOf(reversal.original!);
    const entry = releases.get(original) ?? { acknowledged: new Map<string, number>(), unacknowledged: new Map<string, number>() };
    releases.set(original, entry);
    if (reversal.timing === 'on-time' && reversal.verdict === 'approved') entry.acknowledged.set(keyOf(reversal.key!), reversal.amountMinor);
  }
  for (const reversal of reversals) {
    const entry = releases.get(keyOf(reversal.original!))!;
    if (!entry.acknowledged.has(keyOf(reversal.key!))) entry.unacknowledged.set(keyOf(reversal.key!), reversal.amountMinor);
  }
  const sum = (amounts: Map<string, number> | undefined) => [...(amounts?.values() ?? [])].reduce((total, amount) => total + amount, 0);
  const releasedFor = (original: string) => sum(releases.get(original)?.acknowledged);
  const mayHaveReleased = (original: string) => sum(releases.get(original)?.unacknowledged);
  const settledClearings = new Map(
    context.exchanges
      .filter((exchange) => exchange.kind === 'clearing' && exchange.verdict === 'settled' && exchange.original)
      .map((exchange) => [keyOf(exchange.original!), exchange]),
  );
  for (const exchange of heardApproved.filter((e) => e.kind === 'purchase' && e.attempt === 1)) {
    const key = keyOf(exchange.key!);
    const row = byKey.get(key);
    if (!row?.approved || !row.hold_id) continue;
    const clearing = settledClearings.get(key);
    if (clearing) {
      const posted = clearingPosted.get(row.correlation_id) ?? 0;
      if (posted !== clearing.amountMinor)
        findings.clearingAmountDiffers.push({ key, clearingId: clearing.clearingId!, clearedMinor: clearing.amountMinor, postedMinor: posted });
      continue;
    }
    const expected = Math.max(0, exchange.amountMinor - releasedFor(key));
    const orIfUnacknowledgedApplied = Math.max(0, expected - mayHaveReleased(key));
    const actual = holds.get(row.hold_id) === 'open' ? (heldAmount.get(row.hold_id) ?? 0) : 0;
    if (actual !== expected && actual !== orIfUnacknowledgedApplied && row.state !== 'cleared')
      findings.holdAmountDiffers.push({ key, expectedHeldMinor: expected, primaryHeldMinor: actual });
  }

  // A reversal the network heard accepted, of an approval it heard, should have left primary holding
  // less than the full amount (or nothing): unless a clearing settled it since.
  for (const reversal of context.exchanges.filter((exchange) => exchange.kind === 'reversal' && exchange.verdict === 'approved' && exchange.original)) {
    const original = heard.get(keyOf(reversal.original!));
    const row = byKey.get(keyOf(reversal.original!));
    if (!original || original.verdict !== 'approved' || !row?.approved || row.state === 'cleared' || row.state === 'reversed') continue;
    if (Number(row.outstanding_minor) >= Number(row.amount_minor)) {
      findings.reversalsNotReflectedInPrimary.push({
        original: keyOf(reversal.original!),
        ...(reversal.decidedBy ? { reversalAnsweredBy: reversal.decidedBy } : {}),
        ...(reversal.detail ? { reason: reversal.detail } : {}),
        primaryState: row.state,
        primaryOutstandingMinor: Number(row.outstanding_minor),
      });
    }
  }
  return findings;
}

export function cardProblems(findings: CardApprovalFindings): number {
  return (
    findings.missingInPrimary.length +
    findings.decidedByTheOtherPlatform.length +
    findings.amountDiffers.length +
    findings.declinedToNetworkButApprovedInPrimary.length +
    findings.ledgerEffectMissing.length +
    findings.ledgerEffectDoubled.length +
    findings.clearedButStillHeld.length +
    findings.holdAmountDiffers.length +
    findings.clearingAmountDiffers.length +
    findings.approvedWithoutAnyRequest.length
  );
}
