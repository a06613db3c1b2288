import type { InvariantContext } from './invariant-result';

// Invariant 2, Faster Payments: a credit the scheme heard accepted is credited in primary once
// (by primary itself, or from stand-in's advice, never both), counted from the credits in primary's
// feed by the scheme's payment id, not from who claims to have decided it; a transfer out the app
// was told was sent is debited once; and every payment that reached the scheme left with exactly
// one debit.

export interface FasterPaymentFindings {
  readonly creditsHeardAccepted: number;
  readonly transfersHeardSent: number;
  readonly schemeReceived: number;
  readonly creditNotInPrimary: { fpsId: string; heardFrom?: string; amountMinor: number }[];
  readonly creditedTwice: { fpsId: string; credits: number; byPrimary: boolean; fromStandinAdvice: boolean }[];
  readonly rejectedButCredited: { fpsId: string; heardFrom?: string }[];
  readonly transferNotDebited: { fpsId: string; via: string; amountMinor: number }[];
  readonly transferDebitedTwice: { fpsId: string }[];
  readonly leftWithoutDebit: { fpsId: string; amountMinor: number }[];
  readonly acceptedInPrimaryButSchemeNeverSaw: { fpsId: string }[];
  /** A transfer out the scheme rejected must have moved nothing: its debit returned in full. */
  readonly rejectedButMovedMoney: { fpsId: string; netMinor: number }[];
}

export async function checkFasterPayments(
  context: Pick<InvariantContext, 'primaryDb' | 'standinDb' | 'exchanges' | 'schemeReceived'>,
): Promise<FasterPaymentFindings> {
  const primaryCredits = new Map(
    (
      await context.primaryDb.query<{ fps_id: string; status: string }>(
        "select fps_id, response->>'status' as status from faster_payments where direction = 'inbound'",
      )
    ).rows.map((row) => [row.fps_id, row.status]),
  );
  // The credits themselves: one feed transaction each, carrying the scheme's payment id.
  const creditsInPrimary = new Map(
    (
      await context.primaryDb.query<{ fps_id: string; count: string }>(
        "select fps_id, count(*) as count from transactions where kind = 'faster_payment_in' and fps_id is not null group by fps_id",
      )
    ).rows.map((row) => [row.fps_id, Number(row.count)]),
  );
  const primaryOutbound = new Map(
    (await context.primaryDb.query<{ fps_id: string; status: string }>('select fps_id, status from outbound_payments')).rows.map((row) => [
      row.fps_id,
      row.status,
    ]),
  );
  const standinAdvices = (
    await context.standinDb.query<{ advice_id: string; type: string; fps_id: string }>(
      "select advice_id, type, advice->'payload'->>'fpsId' as fps_id from advices where type in ('transfer.received', 'transfer.sent')",
    )
  ).rows;
  const applied = new Set(
    (
      await context.primaryDb.query<{ advice_id: string }>('select advice_id from applied_advices where advice_id = any($1::uuid[])', [
        standinAdvices.map((advice) => advice.advice_id),
      ])
    ).rows.map((row) => row.advice_id),
  );
  const appliedFromStandin = (type: string) =>
    new Map(standinAdvices.filter((advice) => advice.type === type).map((advice) => [advice.fps_id, applied.has(advice.advice_id)]));
  const creditsFromStandin = appliedFromStandin('transfer.received');
  const sendsFromStandin = appliedFromStandin('transfer.sent');

  const credits = context.exchanges.filter((exchange) => exchange.kind === 'fps-credit' && exchange.fpsId);
  const transfers = context.exchanges.filter(
    (exchange) => exchange.kind === 'app-transfer' && exchange.fpsId && (exchange.verdict === 'accepted' || exchange.verdict === 'submitted'),
  );
  const findings: FasterPaymentFindings = {
    creditsHeardAccepted: credits.filter((exchange) => exchange.verdict === 'accepted').length,
    transfersHeardSent: transfers.length,
    schemeReceived: context.schemeReceived.length,
    creditNotInPrimary: [],
    creditedTwice: [],
    rejectedButCredited: [],
    transferNotDebited: [],
    transferDebitedTwice: [],
    leftWithoutDebit: [],
    acceptedInPrimaryButSchemeNeverSaw: [],
    rejectedButMovedMoney: [],
  };

  for (const fpsId of new Set(credits.map((exchange) => exchange.fpsId!))) {
    const heard = credits.filter((exchange) => exchange.fpsId === fpsId);
    const byPrimary = primaryCredits.get(fpsId) === 'accepted';
    const fromStandinAdvice = creditsFromStandin.get(fpsId) === true;
    const credited = creditsInPrimary.get(fpsId) ?? 0;
    const accepted = heard.find((exchange) => exchange.verdict === 'accepted' && exchange.timing === 'on-time');
    if (credited > 1) findings.creditedTwice.push({ fpsId, credits: credited, byPrimary, fromStandinAdvice });
    if (accepted && credited === 0)
      findings.creditNotInPrimary.push({ fpsId, ...(accepted.decidedBy ? { heardFrom: accepted.decidedBy } : {}), amountMinor: accepted.amountMinor });
    const rejected = heard.find((exchange) => exchange.verdict === 'rejected');
    if (rejected && !accepted && credited > 0) findings.rejectedButCredited.push({ fpsId, ...(rejected.decidedBy ? { heardFrom: rejected.decidedBy } : {}) });
  }

  const debits = (fpsId: string) => (primaryOutbound.has(fpsId) ? 1 : 0) + (sendsFromStandin.get(fpsId) === true ? 1 : 0);
  for (const transfer of transfers) {
    const count = debits(transfer.fpsId!);
    if (count === 0) findings.transferNotDebited.push({ fpsId: transfer.fpsId!, via: transfer.via, amountMinor: transfer.amountMinor });
    if (count > 1) findings.transferDebitedTwice.push({ fpsId: transfer.fpsId! });
  }
  for (const payment of context.schemeReceived) {
    if (debits(payment.fpsId) !== 1) findings.leftWithoutDebit.push({ fpsId: payment.fpsId, amountMinor: payment.amountMinor });
  }
  const rejectedNet = (
    await context.primaryDb.query<{ fps_id: string; net: string }>(
      `select o.fps_id, coalesce(sum(p.amount_minor), 0) as net from outbound_payments o
       join journals j on j.correlation_id = o.correlation_id join postings p on p.journal_id = j.id and p.ledger_account_id = o.account_id::text
       where o.status = 'rejected' group by o.fps_id`,
    )
  ).rows;
  for (const row of rejectedNet) if (Number(row.net) !== 0) findings.rejectedButMovedMoney.push({ fpsId: row.fps_id, netMinor: Number(row.net) });
  const seenByScheme = new Set(context.schemeReceived.map((payment) => payment.fpsId));
  for (const [fpsId, status] of primaryOutbound)
    if (status === 'accepted' && !seenByScheme.has(fpsId)) findings.acceptedInPrimaryButSchemeNeverSaw.push({ fpsId });
  return findings;
}

export function fasterPaymentProblems(findings: FasterPaymentFindings): number {
  return (
    findings.creditNotInPrimary.length +
    findings.creditedTwice.length +
    findings.rejectedButCredited.length +
    findings.transferNotDebited.length +
    findings.transferDebitedTwice.length +
    findings.leftWithoutDebit.length +
    findings.acceptedInPrimaryButSchemeNeverSaw.length +
    findings.rejectedButMovedMoney.length
  );
}
