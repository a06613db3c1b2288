import {
  DisagreementReason,
  ShadowMessageType,
  type MessageKey,
  type ResponseCode,
  type ShadowCardAuthorisation,
  type ShadowReport,
  type ShadowVerdict,
} from '@bank/shared-contracts';
import type { CardDesk } from '../payments/card-desk';
import { judgeAuthorisation } from '../payments/authorisation-rules';
import { NO_RULES, resolveRules, withoutStalenessNote } from '../payments/standin-rules';
import type { Database } from '../store/database';
import { classifyDisagreement, shadowMessageType } from './disagreement';

// Shadow decisioning, stand-in's side: a card message primary has already answered is decided
// again here through the card desk's own assessment, without any effect, and both answers are
// recorded side by side for the agreement report. Nothing here is customer-visible.

export interface ShadowDeskDependencies {
  readonly database: Database;
  readonly cards: Pick<CardDesk, 'assessWithoutEffect'>;
}

interface RecordedVerdict {
  standin_response_code: ResponseCode;
  standin_reason: string;
  agrees: boolean;
  disagreement: DisagreementReason | null;
}

const verdictOf = (row: RecordedVerdict): ShadowVerdict => ({
  responseCode: row.standin_response_code,
  reason: row.standin_reason,
  agrees: row.agrees,
  ...(row.disagreement ? { disagreement: row.disagreement } : {}),
});

async function recordedVerdict(database: Database, key: MessageKey): Promise<ShadowVerdict | undefined> {
  const { rows } = await database.query<RecordedVerdict>(
    'select standin_response_code, standin_reason, agrees, disagreement from shadow_decisions where stan = $1 and rrn = $2 and terminal_id = $3',
    [key.stan, key.rrn, key.terminalId],
  );
  return rows[0] ? verdictOf(rows[0]) : undefined;
}

/**
 * Stand-in's verdict on a message primary decided, recorded once per message key: a repeat gets
 * the verdict first recorded, so primary retrying a copy never skews the report.
 */
export async function decideInShadow(deps: ShadowDeskDependencies, shadow: ShadowCardAuthorisation): Promise<ShadowVerdict> {
  const { database, cards } = deps;
  const message = shadow.request;
  const earlier = await recordedVerdict(database, message);
  if (earlier) return earlier;
  const messageType = shadowMessageType(message);

  const { at, assessment, alongside } = await cards.assessWithoutEffect(message, async (session, seen) => {
    const accountId = shadow.accountId ?? seen.card?.accountId;
    const synced = accountId
      ? (await session.query<{ sequence: number | null }>('select max(sequence) as sequence from synced_events where account_id = $1', [accountId])).rows[0]
          ?.sequence
      : undefined;
    const lag = (await session.query<{ lag_ms: number }>('select lag_ms from sync_lag')).rows[0];
    // The synced balance as it stood at primary's decision, when stand-in has synced past it.
    const atPrimary =
      accountId && shadow.accountSequence !== undefined && synced != null && synced > shadow.accountSequence
        ? (
            await session.query<{ available_minor: string }>(
              'select settled_minor - held_minor as available_minor from synced_balances where account_id = $1 and sequence <= $2 order by sequence desc limit 1',
              [accountId, shadow.accountSequence],
            )
          ).rows[0]
        : undefined;
    return {
      accountId,
      standinAccountSequence: synced ?? undefined,
      syncLagMs: lag ? Math.max(0, lag.lag_ms) : undefined,
      availableAtPrimarysSequence: atPrimary ? Number(atPrimary.available_minor) : undefined,
    };
  });

  const { verdict, judged, balance } = assessment;
  // The same facts on the balance primary decided on: what stand-in's view has synced since
  // (the payment's own hold, at least) taken back out.
  const sincePrimary =
    balance && alongside.availableAtPrimarysSequence !== undefined && balance.syncedAsOfSequence > (shadow.accountSequence ?? Infinity)
      ? alongside.availableAtPrimarysSequence - balance.syncedMinor
      : 0;
  const onPrimarysBalance = { ...judged, spendableMinor: judged.spendableMinor + sincePrimary };
  const standinApproved = verdict.code === '00';
  const primaryApproved = shadow.primaryAnswer.responseCode === '00';
  const disagreement = classifyDisagreement({
    primaryApproved,
    standinApproved,
    standinHandlesKind: shadowMessageType(message) !== 'refund',
    primaryKnewAccount: shadow.accountId !== undefined,
    standinKnewCard: assessment.card !== undefined,
    ...(shadow.accountSequence === undefined ? {} : { primaryAccountSequence: shadow.accountSequence }),
    ...(alongside.standinAccountSequence === undefined ? {} : { standinAccountSequence: alongside.standinAccountSequence }),
    // The same rules asked about the same facts, one assumption changed each time.
    standinApprovesWithoutRiskLimits: judgeAuthorisation({ ...onPrimarysBalance, cardBlocked: false, rules: resolveRules(NO_RULES, message) }).code === '00',
    ...(sincePrimary === 0 ? {} : { standinApprovesAtPrimarysSequence: judgeAuthorisation(onPrimarysBalance).code === '00' }),
    standinApprovesWithoutOwnEffects: judgeAuthorisation({ ...judged, spendableMinor: judged.spendableMinor - (balance?.unreflectedMinor ?? 0) }).code === '00',
  });

  const inserted = await database.query<RecordedVerdict>(
    `insert into shadow_decisions (stan, rrn, terminal_id, message_type, amount_minor, account_id, primary_response_code, primary_reason,
                                   standin_response_code, standin_reason, agrees, disagreement, sync_lag_ms, primary_account_sequence,
                                   standin_account_sequence, primary_answered_at, decided_at, standin_rule)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
     on conflict (stan, rrn, terminal_id) do nothing
     returning standin_response_code, standin_reason, agrees, disagreement`,
    [
      message.stan,
      message.rrn,
      message.terminalId,
      messageType,
      message.amountMinor,
      alongside.accountId ?? null,
      shadow.primaryAnswer.responseCode,
      shadow.primaryAnswer.reason ?? null,
      verdict.code,
      verdict.why,
      disagreement === undefined,
      disagreement ?? null,
      alongside.syncLagMs ?? null,
      shadow.accountSequence ?? null,
      alongside.standinAccountSequence ?? null,
      shadow.primaryAnsweredAt,
      at,
      verdict.rule ?? null,
    ],
  );
  if (inserted.rows[0]) return verdictOf(inserted.rows[0]);
  // A copy of this message raced us and was recorded first: its verdict is the one that counts.
  const winner = await recordedVerdict(database, message);
  if (!winner) throw new Error(`shadow decision ${message.stan}/${message.rrn}/${message.terminalId} was neither recorded nor found; resend it`);
  return winner;
}

const rate = (agreed: number, decisions: number) => agreed / decisions;

/** The agreement report over every shadow decision recorded at or after `since` (all of them without it). */
export async function buildShadowReport(database: Database, options: { since?: Date; now: Date }): Promise<ShadowReport> {
  const since = options.since ?? null;
  const byType = await database.query<{ message_type: ShadowMessageType; decisions: number; agreed: number }>(
    `select message_type, count(*)::int as decisions, (count(*) filter (where agrees))::int as agreed
     from shadow_decisions where ($1::timestamptz is null or decided_at >= $1) group by message_type`,
    [since],
  );
  const examples = await database.query<{
    disagreement: DisagreementReason;
    count: number;
    stan: string;
    rrn: string;
    terminal_id: string;
    primary_response_code: ResponseCode;
    standin_response_code: ResponseCode;
    standin_reason: string;
    sync_lag_ms: number | null;
  }>(
    `select * from (
       select disagreement, (count(*) over (partition by disagreement))::int as count,
              row_number() over (partition by disagreement order by decided_at desc, stan, rrn, terminal_id) as nth,
              stan, rrn, terminal_id, primary_response_code, standin_response_code, standin_reason, sync_lag_ms
       from shadow_decisions where not agrees and ($1::timestamptz is null or decided_at >= $1)
     ) ranked where nth <= 5 order by disagreement, nth`,
    [since],
  );

  const costs = await database.query<{ standin_rule: string; reason: string; declined: number; amount_minor: string }>(
    `select standin_rule, min(standin_reason) as reason, count(*)::int as declined, sum(amount_minor) as amount_minor
     from shadow_decisions
     where standin_rule is not null and primary_response_code = '00' and ($1::timestamptz is null or decided_at >= $1)
     group by standin_rule order by count(*) desc, standin_rule`,
    [since],
  );

  const counted = new Map(byType.rows.map((row) => [row.message_type, row]));
  const byMessageType = ShadowMessageType.options.flatMap((messageType) => {
    const row = counted.get(messageType);
    return row ? [{ messageType, decisions: row.decisions, agreed: row.agreed, agreementRate: rate(row.agreed, row.decisions) }] : [];
  });
  const decisions = byMessageType.reduce((sum, row) => sum + row.decisions, 0);
  const agreed = byMessageType.reduce((sum, row) => sum + row.agreed, 0);

  const disagreements = DisagreementReason.options.flatMap((reason) => {
    const rows = examples.rows.filter((row) => row.disagreement === reason);
    if (rows.length === 0) return [];
    return [
      {
        reason,
        explained: reason !== 'unexplained',
        count: rows[0]!.count,
        examples: rows.map((row) => ({
          stan: row.stan,
          rrn: row.rrn,
          terminalId: row.terminal_id,
          primaryResponseCode: row.primary_response_code,
          standinResponseCode: row.standin_response_code,
          standinReason: row.standin_reason,
          ...(row.sync_lag_ms === null ? {} : { syncLagMs: row.sync_lag_ms }),
        })),
      },
    ];
  });
  // The largest group first: that is where an operator looks.
  disagreements.sort((a, b) => b.count - a.count);

  return {
    ...(options.since ? { since: options.since.toISOString() } : {}),
    generatedAt: options.now.toISOString(),
    decisions,
    agreed,
    ...(decisions > 0 ? { agreementRate: rate(agreed, decisions) } : {}),
    byMessageType,
    disagreements,
    defects: disagreements.find((group) => group.reason === 'unexplained')?.count ?? 0,
    costByRule: costs.rows.map((row) => ({
      rule: row.standin_rule,
      label: withoutStalenessNote(row.reason),
      primaryApprovalsDeclined: row.declined,
      amountMinor: Number(row.amount_minor),
    })),
  };
}
