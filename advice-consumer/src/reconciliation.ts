import type { Advice, QuarantinedAdvice } from '@bank/shared-contracts';
import type { PrimaryClient } from './primary-client';

// Closing an incident: does primary's applied set match stand-in's advice log, advice for advice?
// Stand-in's log is the truth. Per account:
//  - missing: in stand-in's log, not applied by primary (lost in transport, or not yet delivered);
//  - duplicated: applied by primary more than once for one stand-in advice (same correlation id
//    under different advice ids);
//  - diverging: the same (account, sequence) applied from a different advice, or unknown to stand-in.
// Listed besides, not a fault: advices primary applied without moving money, and why (a Faster
// Payment primary had already credited itself, a reversal of a payment already cleared).
// Listed apart, and a fault: advices primary quarantined (it could not apply them; their account's
// later advices went on), each with its reason, for an operator to fix and re-drive
// (POST /advices/quarantined/<id>/redrive on primary). Not "missing": re-sending cannot help.
// A clean report (all empty) is the proof that every stand-in effect reached the ledger once.

export interface AppliedAdvice {
  readonly adviceId: string;
  readonly accountId: string;
  readonly sequence: number;
  readonly type: string;
  readonly correlationId: string;
  /** Why primary applied it without moving money, when it did. */
  readonly note?: string;
}

export interface AccountReconciliation {
  readonly accountId: string;
  readonly missing: readonly number[];
  readonly duplicated: readonly string[];
  readonly diverging: readonly { sequence: number; standin?: string; primary: string }[];
}

export interface ReconciliationReport {
  readonly checkedAt: string;
  readonly standinAdvices: number;
  readonly primaryApplied: number;
  readonly accounts: readonly AccountReconciliation[];
  readonly appliedWithoutEffect: readonly { accountId: string; sequence: number; adviceId: string; type: string; note: string }[];
  readonly quarantined: readonly QuarantinedAdvice[];
  readonly clean: boolean;
}

export function reconcile(
  standinLog: readonly Advice[],
  applied: readonly AppliedAdvice[],
  now: Date,
  quarantined: readonly QuarantinedAdvice[] = [],
): ReconciliationReport {
  const accounts = new Map<string, { missing: number[]; duplicated: string[]; diverging: { sequence: number; standin?: string; primary: string }[] }>();
  const entry = (accountId: string) => {
    let found = accounts.get(accountId);
    if (!found) accounts.set(accountId, (found = { missing: [], duplicated: [], diverging: [] }));
    return found;
  };
  const standinByKey = new Map(standinLog.map((advice) => [`${advice.accountId}/${advice.sequence}`, advice]));
  const appliedByKey = new Map(applied.map((advice) => [`${advice.accountId}/${advice.sequence}`, advice]));
  const quarantinedIds = new Set(quarantined.map((advice) => advice.adviceId));

  for (const advice of standinLog) {
    const done = appliedByKey.get(`${advice.accountId}/${advice.sequence}`);
    if (!done) {
      if (!quarantinedIds.has(advice.adviceId)) entry(advice.accountId).missing.push(advice.sequence);
    } else if (done.adviceId !== advice.adviceId)
      entry(advice.accountId).diverging.push({ sequence: advice.sequence, standin: advice.adviceId, primary: done.adviceId });
  }
  for (const done of applied) {
    if (!standinByKey.has(`${done.accountId}/${done.sequence}`)) entry(done.accountId).diverging.push({ sequence: done.sequence, primary: done.adviceId });
  }
  const byCorrelation = new Map<string, AppliedAdvice[]>();
  for (const done of applied) byCorrelation.set(done.correlationId, [...(byCorrelation.get(done.correlationId) ?? []), done]);
  for (const [correlationId, group] of byCorrelation) if (group.length > 1) entry(group[0]!.accountId).duplicated.push(correlationId);

  const rows = [...accounts.entries()]
    .map(([accountId, found]) => ({ accountId, missing: found.missing.sort((a, b) => a - b), duplicated: found.duplicated, diverging: found.diverging }))
    .filter((row) => row.missing.length + row.duplicated.length + row.diverging.length > 0)
    .sort((a, b) => a.accountId.localeCompare(b.accountId));
  const appliedWithoutEffect = applied.flatMap((done) =>
    done.note ? [{ accountId: done.accountId, sequence: done.sequence, adviceId: done.adviceId, type: done.type, note: done.note }] : [],
  );
  return {
    checkedAt: now.toISOString(),
    standinAdvices: standinLog.length,
    primaryApplied: applied.length,
    accounts: rows,
    appliedWithoutEffect,
    quarantined,
    clean: rows.length === 0 && quarantined.length === 0,
  };
}

/**
 * Applies the missing advices straight from stand-in's log, oldest first per account, through
 * primary's internal API (not through Pub/Sub, where a re-published advice would queue behind the
 * later ones waiting for it). Safe to repeat: primary dedupes by advice id.
 */
export async function redriveMissing(
  report: ReconciliationReport,
  standinLog: readonly Advice[],
  primary: PrimaryClient,
): Promise<{ applied: number; failed: { accountId: string; sequence: number; why: string }[] }> {
  const wanted = new Set(report.accounts.flatMap((account) => account.missing.map((sequence) => `${account.accountId}/${sequence}`)));
  const toApply = standinLog
    .filter((advice) => wanted.has(`${advice.accountId}/${advice.sequence}`))
    .sort((a, b) => a.accountId.localeCompare(b.accountId) || a.sequence - b.sequence);
  let applied = 0;
  const failed: { accountId: string; sequence: number; why: string }[] = [];
  for (const advice of toApply) {
    if (failed.some((failure) => failure.accountId === advice.accountId)) continue;
    try {
      const result = await primary.apply(advice);
      if (result.kind === 'applied' || result.kind === 'duplicate') applied++;
      else
        failed.push({
          accountId: advice.accountId,
          sequence: advice.sequence,
          why:
            result.kind === 'out_of_order'
              ? `primary expects sequence ${result.expectedSequence}`
              : result.kind === 'quarantined'
                ? `quarantined by primary: ${result.reason}`
                : result.reason,
        });
    } catch (error) {
      failed.push({ accountId: advice.accountId, sequence: advice.sequence, why: (error as Error).message });
    }
  }
  return { applied, failed };
}
