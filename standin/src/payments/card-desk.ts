import { randomUUID } from 'node:crypto';
import type { CardAuthorisationRequest, CardReversalRequest, CardReversalResponse } from '@bank/shared-contracts';
import { recordAdvice } from '../advices/advice-log';
import { findCard, type KnownCard } from '../cards/card-directory';
import type { StandinCardKeys } from '../cards/card-numbers';
import { inTransaction, type Database, type Session } from '../store/database';
import { standinBalance, type StandinBalance } from '../views/balance-view';
import { createCardAuthorisation, type CardAuthorisationDependencies } from './card-authorisation';
import { judgeAuthorisation, type AuthorisationCase, type Verdict } from './authorisation-rules';
import { resolveRules, type StandinRulesSource } from './standin-rules';

// Stand-in's scheme desk for cards: authorisations and reversals, each answered once per
// (STAN, RRN, terminal). An approval is an own transaction plus an advice, in one commit, made
// by one database call (card-authorisation.ts); a reversal of an approval stand-in did not make,
// on a card it knows, is an advice alone.

export interface CardDeskDependencies {
  readonly database: Database;
  readonly keys: Pick<StandinCardKeys, 'lookupKey'>;
  /** The configuration's stand-in rules in force. */
  readonly rules: StandinRulesSource;
  readonly now: () => Date;
  /** Authorisations: their own pool (statement_timeout = budget) and budget; default the main pool and DEFAULT_CARD_BUDGET_MS. */
  readonly authorisations?: Pick<CardAuthorisationDependencies, 'budgetMs' | 'settleLimitMs' | 'onBudgetExceeded' | 'onOutcomeUnknown' | 'onDatabaseCall'> & {
    readonly pool?: Database;
  };
}

/** Below what anyone waits for stand-in's answer: primary's proxy (1 000 ms) and the gateway (1 350 ms). */
export const DEFAULT_CARD_BUDGET_MS = 900;
/** Connections for card authorisations: about what stand-in's PostgreSQL runs at once on this machine (measured). */
export const DEFAULT_CARD_POOL_SIZE = 8;

const midnightUtc = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));

async function answered<T>(db: Database | Session, key: { stan: string; rrn: string; terminalId: string }): Promise<T | undefined> {
  const { rows } = await db.query<{ response: T }>('select response from card_messages where stan = $1 and rrn = $2 and terminal_id = $3', [
    key.stan,
    key.rrn,
    key.terminalId,
  ]);
  return rows[0]?.response;
}

/** A duplicate racing us loses on the primary key; it then gets the answer that won. */
async function answerOnce<T>(db: Database, key: { stan: string; rrn: string; terminalId: string }, decide: () => Promise<T>): Promise<T> {
  const earlier = await answered<T>(db, key);
  if (earlier) return earlier;
  try {
    return await decide();
  } catch (failure) {
    if ((failure as { code?: string }).code !== '23505') throw failure;
    const winner = await answered<T>(db, key);
    if (!winner) throw failure;
    return winner;
  }
}

/**
 * Records, with the 00 stand-in gives the network, a reversal only primary can apply. Stand-in
 * writes no own transaction for it: its synced data does not carry primary's authorisation by
 * message key, so it cannot know how much primary still holds (primary may already have reversed
 * or cleared it, or never approved it), and a credit primary never echoes under this correlation
 * id would be counted for ever. Stand-in keeps seeing primary's hold until primary has released it
 * and the synced balance says so: spendable errs low, never high.
 */
async function adviseReversalToPrimary(
  session: Session,
  message: CardReversalRequest,
  to: { cardId: string; accountId: string; correlationId: string },
  at: Date,
): Promise<void> {
  const reversal = {
    stan: message.stan,
    rrn: message.rrn,
    terminalId: message.terminalId,
    mti: message.mti,
    original: message.original,
    amountMinor: message.amountMinor,
    ...(message.replacementAmountMinor === undefined ? {} : { replacementAmountMinor: message.replacementAmountMinor }),
    currency: message.currency,
    transmittedAt: message.transmittedAt,
  };
  await recordAdvice(session, {
    type: 'card_payment.reversal_acknowledged',
    accountId: to.accountId,
    correlationId: to.correlationId,
    payload: { cardId: to.cardId, reversal },
    at,
  });
}

/** Everything stand-in knows when it judges an authorisation, and the rules' verdict on it. */
export interface AuthorisationAssessment {
  readonly card?: KnownCard;
  /** First two digits of the processing code. */
  readonly transactionType: string;
  /** Undefined when stand-in knows no card, or no balance for its account. */
  readonly balance?: StandinBalance;
  /** Exactly what the rules were given, so a caller may ask them "what if" about the same facts. */
  readonly judged: AuthorisationCase;
  readonly verdict: Verdict;
}

/**
 * The read-only half of an authorisation: the card by PAN, the balance as stand-in sees it, the
 * day's approvals so far, the card's approvals since primary was last heard from about the account,
 * the freeze state, and the rules' verdict: the same facts standin_authorise_by_rules gathers. The
 * real path and the shadow path both decide through the same rules, so a shadow verdict is the
 * verdict stand-in would have given. `lockAccount` serialises decisions on one account; only a
 * caller about to write needs it.
 */
export async function assessAuthorisation(
  session: Session,
  deps: Pick<CardDeskDependencies, 'keys' | 'rules'>,
  message: CardAuthorisationRequest,
  at: Date,
  options: { readonly lockAccount: boolean },
): Promise<AuthorisationAssessment> {
  const card = await findCard(session, deps.keys, { pan: message.pan });
  const transactionType = message.processingCode.slice(0, 2);
  const rules = resolveRules(deps.rules.current(), message);
  let balance: StandinBalance | undefined;
  let approvedTodayMinor = 0;
  let cashTodayMinor = 0;
  let sinceLastHeardCount = 0;
  let sinceLastHeardMinor = 0;
  let dataAgeMs: number | undefined;
  if (card) {
    // One decision per account at a time: stand-in has no balance row to lock, so it locks the account id.
    if (options.lockAccount) await session.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [card.accountId]);
    balance = await standinBalance(session, card.accountId);
    const today = await session.query<{ all_minor: string; cash_minor: string }>(
      `select coalesce(sum(remaining_minor), 0) as all_minor,
              coalesce(sum(remaining_minor) filter (where card_id = $2 and processing_code like '01%'), 0) as cash_minor
       from card_messages where account_id = $1 and kind = 'authorisation' and approved and received_at >= $3`,
      [card.accountId, card.cardId, midnightUtc(at)],
    );
    approvedTodayMinor = Number(today.rows[0]!.all_minor);
    cashTodayMinor = Number(today.rows[0]!.cash_minor);
    // Last heard, its age and the approvals since, all reckoned in the database as the SQL path
    // reckons them (microseconds, which a JavaScript Date would cut to milliseconds).
    const since = await session.query<{ age_ms: string | null; count: string; minor: string }>(
      `with heard as (select occurred_at from synced_events where account_id = $1 order by sequence desc limit 1)
       select (select floor(extract(epoch from $4::timestamptz - occurred_at) * 1000)::bigint from heard) as age_ms,
              count(*) as count, coalesce(sum(remaining_minor), 0) as minor
       from card_messages
       where account_id = $1 and kind = 'authorisation' and approved and card_id = $2 and substr(processing_code, 1, 2) = $3
         and received_at > coalesce((select occurred_at from heard), '-infinity')`,
      [card.accountId, card.cardId, transactionType === '01' ? '01' : '00', at],
    );
    const age = since.rows[0]!.age_ms;
    if (age !== null) dataAgeMs = Number(age);
    sinceLastHeardCount = Number(since.rows[0]!.count);
    sinceLastHeardMinor = Number(since.rows[0]!.minor);
  }
  const judged: AuthorisationCase = {
    ...(card ? { card } : {}),
    cardBlocked: card !== undefined && rules.blockedCards.includes(card.cardId),
    presentedExpiry: message.expiry,
    transactionType,
    currency: message.currency,
    amountMinor: message.amountMinor,
    spendableMinor: balance?.spendableMinor ?? 0,
    approvedTodayMinor,
    cashTodayMinor,
    sinceLastHeardCount,
    sinceLastHeardMinor,
    ...(dataAgeMs === undefined ? {} : { dataAgeMs }),
    today: at,
    rules,
  };
  return { ...(card ? { card } : {}), transactionType, ...(balance ? { balance } : {}), judged, verdict: judgeAuthorisation(judged) };
}

export function createCardDesk(deps: CardDeskDependencies) {
  const { database, keys, rules, now } = deps;
  const authorise = createCardAuthorisation({
    keys,
    rules,
    now,
    budgetMs: DEFAULT_CARD_BUDGET_MS,
    ...deps.authorisations,
    pool: deps.authorisations?.pool ?? database,
  });

  async function reverse(message: CardReversalRequest): Promise<CardReversalResponse> {
    return answerOnce(database, message, () =>
      inTransaction(database, async (session) => {
        const at = now();
        const reply = (why: string): CardReversalResponse => ({
          mti: message.mti === '0400' ? '0410' : '0430',
          stan: message.stan,
          rrn: message.rrn,
          terminalId: message.terminalId,
          responseCode: '00',
          decidedBy: 'standin',
          reason: why,
        });
        const found = await session.query<{ card_id: string; account_id: string; remaining_minor: string; correlation_id: string; approved: boolean }>(
          "select card_id, account_id, remaining_minor, correlation_id, approved from card_messages where stan = $1 and rrn = $2 and terminal_id = $3 and kind = 'authorisation' for update",
          [message.original.stan, message.original.rrn, message.original.terminalId],
        );
        const original = found.rows[0];
        let response: CardReversalResponse;
        let advised: { cardId: string; accountId: string; correlationId: string } | undefined;
        if (original && !original.approved) {
          // Stand-in declined it, so nothing was held for it anywhere.
          response = reply('no stand-in approval to reverse');
        } else if (!original) {
          // Not stand-in's approval, so primary's (or nobody's). The network now believes the money
          // is released, so primary must hear of it; stand-in's balance view is left alone (see
          // adviseReversalToPrimary).
          const card = await findCard(session, keys, { pan: message.pan });
          if (card) {
            advised = { cardId: card.cardId, accountId: card.accountId, correlationId: randomUUID() };
            await adviseReversalToPrimary(session, message, advised, at);
            response = reply('not a stand-in approval; passed to primary to release');
          } else {
            response = reply('no stand-in approval to reverse');
          }
        } else {
          const remaining = Math.min(message.replacementAmountMinor ?? 0, Number(original.remaining_minor));
          const released = Number(original.remaining_minor) - remaining;
          if (released > 0) {
            const correlationId = randomUUID();
            await session.query(
              `insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, card_id, created_at)
               values ($1, $2, 'card_payment', 'settled', $3, 'reversal', $4, $5)`,
              [correlationId, original.account_id, released, original.card_id, at],
            );
            await recordAdvice(session, {
              type: 'card_payment.reversed',
              accountId: original.account_id,
              correlationId,
              payload: {
                cardId: original.card_id,
                original: message.original,
                originalCorrelationId: original.correlation_id,
                reversedAmountMinor: released,
                remainingAmountMinor: remaining,
              },
              at,
            });
            await session.query('update card_messages set remaining_minor = $4 where stan = $1 and rrn = $2 and terminal_id = $3', [
              message.original.stan,
              message.original.rrn,
              message.original.terminalId,
              remaining,
            ]);
          }
          response = reply(released > 0 ? `released ${released}` : 'nothing left to release');
        }
        await session.query(
          `insert into card_messages (stan, rrn, terminal_id, kind, card_id, account_id, approved, amount_minor, remaining_minor, correlation_id, response, received_at)
           values ($1, $2, $3, 'reversal', $4, $5, true, $6, 0, $7, $8, $9)`,
          [
            message.stan,
            message.rrn,
            message.terminalId,
            advised?.cardId ?? null,
            advised?.accountId ?? null,
            message.amountMinor,
            advised?.correlationId ?? null,
            JSON.stringify(response),
            at,
          ],
        );
        return response;
      }),
    );
  }

  /**
   * Decides `message` exactly as `authorise` would, but with no effect at all: no card message,
   * own transaction, advice or lock, so a later real message with the same key is decided afresh.
   * It runs in a read-only snapshot (PostgreSQL refuses any write in it), and `alongside` reads
   * further facts from that same snapshot so they match what the verdict saw.
   */
  async function assessWithoutEffect<T>(
    message: CardAuthorisationRequest,
    alongside: (session: Session, assessment: AuthorisationAssessment) => Promise<T>,
  ): Promise<{ at: Date; assessment: AuthorisationAssessment; alongside: T }> {
    return inTransaction(database, async (session) => {
      await session.query('set transaction isolation level repeatable read, read only');
      const at = now();
      const assessment = await assessAuthorisation(session, { keys, rules }, message, at, { lockAccount: false });
      return { at, assessment, alongside: await alongside(session, assessment) };
    });
  }

  return { authorise, reverse, assessWithoutEffect };
}

export type CardDesk = ReturnType<typeof createCardDesk>;
