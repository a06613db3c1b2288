import { sameConfiguration, type ConfigurationDocument } from '@bank/shared-contracts';
import type { Pool } from 'pg';
import { sleep } from '../simulator/concurrency';
import { timedRequest } from '../simulator/timed-request';
import { OPERATOR, type PlatformUrls } from '../stack/services';
import { configurationsOf } from './invariants/configuration-converged';

// After a scenario the system must come to rest before the invariants mean anything: primary's
// outbox relayed, stand-in caught up with every account's events, every advice applied, every
// outbound payment answered by the scheme, both configurations alike. All at once, in one poll.

export interface QuiescenceState {
  readonly outboxUnpublished: number | string;
  /** Accounts whose newest primary event stand-in has not recorded yet. */
  readonly accountsBehindInStandin: number | string;
  /** Advices in stand-in's log that primary has not applied (the reconciliation report). */
  readonly advicesNotApplied: number | string;
  readonly outboundAwaitingScheme: number | string;
  readonly configurationsAgree: boolean | string;
}

export interface QuiescenceReport {
  readonly settled: boolean;
  readonly waitedMs: number;
  readonly last: QuiescenceState;
}

export interface QuiescenceDependencies {
  readonly primaryDb: Pool;
  readonly standinDb: Pool;
  readonly urls: PlatformUrls;
  readonly adviceConsumerUrl: string;
  readonly operatorToken: string;
  readonly accounts: readonly string[];
}

const reason = (error: unknown) => `unknown (${(error as Error).message})`;

export async function quiescenceState(deps: QuiescenceDependencies): Promise<QuiescenceState> {
  const outboxUnpublished = await deps.primaryDb
    .query<{ count: string }>('select count(*) from outbox_events where published_at is null')
    .then((result) => Number(result.rows[0]?.count), reason);
  const accountsBehindInStandin = await (async () => {
    const primary = await deps.primaryDb.query<{ account_id: string; last_sequence: number }>(
      'select account_id, last_sequence from event_sequences where account_id = any($1::uuid[])',
      [deps.accounts],
    );
    const standin = await deps.standinDb.query<{ account_id: string; highest: number }>(
      'select account_id, max(sequence) as highest from synced_events where account_id = any($1::uuid[]) group by account_id',
      [deps.accounts],
    );
    const seen = new Map(standin.rows.map((row) => [row.account_id, row.highest]));
    return primary.rows.filter((row) => (seen.get(row.account_id) ?? 0) < row.last_sequence).length;
  })().catch(reason);
  const advicesNotApplied = await timedRequest({
    method: 'GET',
    url: `${deps.adviceConsumerUrl}/internal/reconciliation?accounts=${deps.accounts.join(',')}`,
    token: OPERATOR.token,
    giveUpMs: 10_000,
  }).then((result) => {
    if (result.kind === 'no-answer' || result.status !== 200) return `unknown (${result.kind === 'no-answer' ? result.reason : `HTTP ${result.status}`})`;
    const report = result.body as { accounts: { missing: number[]; duplicated: string[]; diverging: unknown[] }[] };
    return report.accounts.reduce((sum, account) => sum + account.missing.length + account.duplicated.length + account.diverging.length, 0);
  });
  const outboundAwaitingScheme = await deps.primaryDb
    .query<{ count: string }>("select count(*) from outbound_payments where status = 'submitted'")
    .then((result) => Number(result.rows[0]?.count), reason);
  const configurations = await configurationsOf(deps.urls, deps.operatorToken);
  const configurationsAgree =
    typeof configurations.primary === 'string' || typeof configurations.standin === 'string'
      ? `unknown (primary: ${typeof configurations.primary === 'string' ? configurations.primary : 'ok'}, stand-in: ${typeof configurations.standin === 'string' ? configurations.standin : 'ok'})`
      : sameConfiguration(configurations.primary as ConfigurationDocument, configurations.standin as ConfigurationDocument);
  return { outboxUnpublished, accountsBehindInStandin, advicesNotApplied, outboundAwaitingScheme, configurationsAgree };
}

export const isQuiet = (state: QuiescenceState) =>
  state.outboxUnpublished === 0 &&
  state.accountsBehindInStandin === 0 &&
  state.advicesNotApplied === 0 &&
  state.outboundAwaitingScheme === 0 &&
  state.configurationsAgree === true;

/** Polls until everything is at rest, or `timeoutMs` passes; reports what was still moving. */
export async function waitForQuiescence(deps: QuiescenceDependencies, timeoutMs: number): Promise<QuiescenceReport> {
  const began = Date.now();
  for (;;) {
    const last = await quiescenceState(deps);
    if (isQuiet(last)) return { settled: true, waitedMs: Date.now() - began, last };
    if (Date.now() - began >= timeoutMs) return { settled: false, waitedMs: Date.now() - began, last };
    await sleep(500);
  }
}
