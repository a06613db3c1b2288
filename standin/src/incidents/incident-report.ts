import { z } from 'zod';
import { withoutStalenessNote } from '../payments/standin-rules';
import { ConfigurationDocument, ReconciliationResult, StandinComponent } from '@bank/shared-contracts';
import { latestReconciliation } from '../advices/reconciliation-results';
import type { Database } from '../store/database';

// The incident report an engineer attaches to a regulator's major-incident notification (initial
// within hours, intermediate, final): when stand-in was switched on and off, by whom and why, how
// long it served, how soon it decided after being switched on, whom it served, the money it
// decided per component, its declines by reason, its peaks, and whether primary has every effect.
// Composed from stand-in's own records of the window, so it can be written while primary is down.

/** The incidents for the engineer (operator token, by the call map); stand-in answers them with primary down. */
export const INCIDENT_ROUTES = { list: '/incidents', report: '/incidents/:incidentId' } as const;

export const IncidentSummary = z.strictObject({
  incidentId: z.uuid(),
  openedAt: z.string(),
  openedVersion: z.int(),
  closedAt: z.string().optional(),
  closedVersion: z.int().optional(),
  /** open: an initial or intermediate report; closed: the final one. */
  stage: z.enum(['open', 'closed']),
});
export type IncidentSummary = z.infer<typeof IncidentSummary>;

const Money = z.strictObject({ count: z.int(), amountMinor: z.int() });

export const IncidentReport = z.strictObject({
  incident: IncidentSummary,
  generatedAt: z.string(),
  durationMs: z.int(),
  /** From the change that switched stand-in on to the first payment stand-in decided; absent if it decided none. */
  timeToFirstDecisionMs: z.int().optional(),
  /** Who switched stand-in on (an operator, or `autopilot` with its evidence as the reason): the change at the opening version. */
  openedBy: z.strictObject({ by: z.string(), reason: z.string() }).optional(),
  timeline: z.array(z.strictObject({ version: z.int(), decidedAt: z.string(), by: z.string(), reason: z.string(), standin: z.string() })),
  customersAffected: z.int(),
  money: z.strictObject({
    cardSpendingApproved: Money,
    cardSpendingDeclined: Money,
    cardRefundsDeclined: Money,
    cardReversals: z.int(),
    fasterPaymentsIn: Money,
    fasterPaymentsOutSent: Money,
    fasterPaymentsOutPending: Money,
    fasterPaymentsOutRefused: Money,
    cardFreezes: z.int(),
  }),
  /** Card declines by the stand-in rule that made them (its stable name in `rule`), or by reason where no rule did. */
  declinesByRule: z.array(z.strictObject({ rule: z.string().optional(), reason: z.string(), count: z.int(), amountMinor: z.int() })),
  peaks: z.strictObject({ syncLagMs: z.int(), advicesInFlight: z.int() }),
  advices: z.strictObject({ recorded: z.int(), appliedByPrimary: z.int(), notYetApplied: z.int() }),
  /** Accounts stand-in served that primary now shows in an unapproved overdraft. */
  unapprovedOverdrafts: z.int(),
  /**
   * The newest reconciliation (the advice consumer's reconcile command) checked since the incident
   * opened; `afterClose` when it ran after the incident closed: the final word. Absent: not run yet.
   */
  reconciliation: ReconciliationResult.extend({ afterClose: z.boolean() }).optional(),
});
export type IncidentReport = z.infer<typeof IncidentReport>;

interface IncidentRow {
  incident_id: string;
  opened_at: Date;
  opened_version: number;
  closed_at: Date | null;
  closed_version: number | null;
  peak_sync_lag_ms: number;
  peak_advices_in_flight: number;
}

const summaryOf = (row: IncidentRow): IncidentSummary => ({
  incidentId: row.incident_id,
  openedAt: row.opened_at.toISOString(),
  openedVersion: row.opened_version,
  ...(row.closed_at ? { closedAt: row.closed_at.toISOString() } : {}),
  ...(row.closed_version !== null ? { closedVersion: row.closed_version } : {}),
  stage: row.closed_at ? 'closed' : 'open',
});

export async function listIncidents(database: Database, limit: number): Promise<IncidentSummary[]> {
  const { rows } = await database.query<IncidentRow>('select * from incidents order by opened_at desc limit $1', [limit]);
  return rows.map(summaryOf);
}

/** What the document puts on stand-in, in a few words (the timeline's column). */
function describeOn(document: ConfigurationDocument): string {
  const on = StandinComponent.options
    .filter((component) => document.components[component].mode !== 'nobody')
    .map((component) => {
      const targeting = document.components[component];
      const whom =
        targeting.mode === 'everyone'
          ? 'everyone'
          : targeting.mode === 'percent'
            ? `${targeting.percent}%`
            : targeting.mode === 'users'
              ? `${targeting.userIds.length} users`
              : '';
      return `${component} ${whom}`;
    });
  if (document.directConnect) on.push('direct connect');
  return on.length === 0 ? 'off' : on.join(', ');
}

/** One line per rule (its declines at every staleness step together), or per reason where no rule declined. */
function declinesByRule(rows: readonly { rule: string | null; reason: string; count: string; amount: string }[]): IncidentReport['declinesByRule'] {
  const lines = new Map<string, { rule?: string; reason: string; count: number; amountMinor: number }>();
  for (const row of rows) {
    const key = row.rule ?? `reason:${row.reason}`;
    const line = lines.get(key) ?? {
      ...(row.rule ? { rule: row.rule } : {}),
      reason: row.rule ? withoutStalenessNote(row.reason) : row.reason,
      count: 0,
      amountMinor: 0,
    };
    line.count += Number(row.count);
    line.amountMinor += Number(row.amount);
    lines.set(key, line);
  }
  return [...lines.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

const money = (row: { count: string | null; amount: string | null } | undefined) => ({ count: Number(row?.count ?? 0), amountMinor: Number(row?.amount ?? 0) });

export async function incidentReport(database: Database, incidentId: string, now: Date): Promise<IncidentReport | undefined> {
  const row = (await database.query<IncidentRow>('select * from incidents where incident_id = $1', [incidentId])).rows[0];
  if (!row) return undefined;
  const from = row.opened_at;
  const to = row.closed_at ?? now;
  const window = [from, to];
  const q = <T extends Record<string, unknown>>(text: string) => database.query<T>(text, window).then((result) => result.rows);

  const [versions, cards, declines, fasterIn, fasterOut, freezes, advices, customers, overdrafts, first] = await Promise.all([
    database
      .query<{ version: number; document: unknown }>(
        'select version, document from configuration_versions where version >= $1 and ($2::int is null or version <= $2) order by version',
        [row.opened_version, row.closed_version],
      )
      .then((result) => result.rows),
    q<{ refund: boolean; kind: string; approved: boolean; count: string; amount: string }>(
      `select processing_code like '20%' as refund, kind, approved, count(*) as count, sum(amount_minor) as amount
       from card_messages where received_at >= $1 and received_at <= $2 group by 1, 2, 3`,
    ),
    q<{ rule: string | null; reason: string; count: string; amount: string }>(
      `select rule, coalesce(response->>'reason', 'no reason recorded') as reason, count(*) as count, sum(amount_minor) as amount
       from card_messages where kind = 'authorisation' and not approved and received_at >= $1 and received_at <= $2 group by 1, 2`,
    ),
    q<{ count: string; amount: string }>(
      `select count(*) as count, sum(amount_minor) as amount from own_transactions where kind = 'faster_payment_in' and created_at >= $1 and created_at <= $2`,
    ),
    q<{ status: string; count: string; amount: string }>(
      `select status, count(*) as count, sum(amount_minor) as amount from outbound_payments where created_at >= $1 and created_at <= $2 group by 1`,
    ),
    q<{ count: string }>(`select count(*) as count from card_freezes where created_at >= $1 and created_at <= $2`),
    q<{ recorded: string; applied: string }>(
      `select count(*) as recorded, count(applied_seen_at) as applied from advices where created_at >= $1 and created_at <= $2`,
    ),
    q<{ count: string }>(
      `with served as (
         select account_id from card_messages where account_id is not null and received_at >= $1 and received_at <= $2
         union select account_id from own_transactions where created_at >= $1 and created_at <= $2
         union select account_id from outbound_payments where created_at >= $1 and created_at <= $2
       )
       select count(distinct newest.customer_id) as count from served
       cross join lateral (select customer_id from synced_accounts a where a.account_id = served.account_id order by sequence desc limit 1) newest`,
    ),
    q<{ count: string }>(
      `with served as (
         select account_id from card_messages where account_id is not null and received_at >= $1 and received_at <= $2
         union select account_id from outbound_payments where created_at >= $1 and created_at <= $2
       )
       select count(*) as count from served
       cross join lateral (select unapproved_overdraft from synced_accounts a where a.account_id = served.account_id order by sequence desc limit 1) newest
       where newest.unapproved_overdraft`,
    ),
    q<{ at: Date | null }>(
      `select least(
         (select min(received_at) from card_messages where received_at >= $1 and received_at <= $2),
         (select min(created_at) from own_transactions where created_at >= $1 and created_at <= $2),
         (select min(created_at) from outbound_payments where created_at >= $1 and created_at <= $2)
       ) as at`,
    ),
  ]);
  const card = (refund: boolean, kind: string, approved: boolean) =>
    money(cards.find((c) => c.refund === refund && c.kind === kind && c.approved === approved));
  const out = (status: string) => money(fasterOut.find((o) => o.status === status));
  const recorded = Number(advices[0]?.recorded ?? 0);
  const applied = Number(advices[0]?.applied ?? 0);
  const reversals = cards.filter((c) => c.kind === 'reversal').reduce((sum, c) => sum + Number(c.count), 0);
  const firstAt = first[0]?.at;
  const reconciliation = await latestReconciliation(database, from);
  const opening = versions.find((version) => version.version === row.opened_version);
  const openedBy = opening ? ConfigurationDocument.parse(opening.document) : undefined;
  return IncidentReport.parse({
    incident: summaryOf(row),
    generatedAt: now.toISOString(),
    durationMs: Math.max(0, to.getTime() - from.getTime()),
    ...(firstAt ? { timeToFirstDecisionMs: Math.max(0, firstAt.getTime() - from.getTime()) } : {}),
    ...(openedBy ? { openedBy: { by: openedBy.updatedBy, reason: openedBy.reason } } : {}),
    timeline: versions.map((version) => {
      const document = ConfigurationDocument.parse(version.document);
      return { version: version.version, decidedAt: document.updatedAt, by: document.updatedBy, reason: document.reason, standin: describeOn(document) };
    }),
    customersAffected: Number(customers[0]?.count ?? 0),
    money: {
      cardSpendingApproved: card(false, 'authorisation', true),
      cardSpendingDeclined: card(false, 'authorisation', false),
      cardRefundsDeclined: card(true, 'authorisation', false),
      cardReversals: reversals,
      fasterPaymentsIn: money(fasterIn[0]),
      fasterPaymentsOutSent: out('sent'),
      fasterPaymentsOutPending: out('submitting'),
      fasterPaymentsOutRefused: { count: out('refused').count + out('rejected').count, amountMinor: out('refused').amountMinor + out('rejected').amountMinor },
      cardFreezes: Number(freezes[0]?.count ?? 0),
    },
    declinesByRule: declinesByRule(declines),
    peaks: { syncLagMs: row.peak_sync_lag_ms, advicesInFlight: row.peak_advices_in_flight },
    advices: { recorded, appliedByPrimary: applied, notYetApplied: recorded - applied },
    unapprovedOverdrafts: Number(overdrafts[0]?.count ?? 0),
    ...(reconciliation
      ? { reconciliation: { ...reconciliation, afterClose: row.closed_at !== null && new Date(reconciliation.checkedAt) >= row.closed_at } }
      : {}),
  });
}
