import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADVICE_SCHEMA_VERSION, type CardAuthorisationRequest, type CardAuthorisationResponse } from '@bank/shared-contracts';
import { panLookup, type StandinCardKeys } from '../cards/card-numbers';
import type { Database, Session } from '../store/database';
import { resolvedRulesJson, type StandinRulesSource } from './standin-rules';

// Stand-in's card authorisation in one database round trip: one prepared call of
// standin_authorise_by_rules (store/schema.ts, step 0014), which decides by the same rules as
// authorisation-rules.ts (the configuration's stand-in rules, resolved for the payment here) and writes the own transaction, the advice and the card message in the
// single statement's own transaction. No BEGIN, no COMMIT: the statement commits by itself.
//
// Budget: the whole authorisation, pool wait included, gets `budgetMs` (below what anyone waits
// for stand-in: primary's proxy 1 000 ms, the gateway's 1 350 ms). The database enforces it: the
// card pool's statement_timeout, the lock_timeout the call sets for each lock, and a check of the
// deadline just before the statement commits. A 91 is answered only when nothing was approved:
// when the call never reached the database, or the database itself said it rolled back. When the
// outcome is unknown (the connection failed, or the database did not answer in time) the message
// key is read again, and a decline is stored under it if nobody is deciding it, so the original
// cannot approve afterwards; while that cannot be settled stand-in does not answer 91 at all: the
// caller's own timeout (and the timeout reversal it then owes) covers a late approval.

export interface CardAuthorisationDependencies {
  /** The pool card authorisations use; its statement_timeout should be cardStatementTimeoutMs(budgetMs). */
  readonly pool: Database;
  readonly keys: Pick<StandinCardKeys, 'lookupKey'>;
  /** The configuration's stand-in rules in force. */
  readonly rules: StandinRulesSource;
  readonly now: () => Date;
  /** The longest an authorisation takes, pool wait included, before it is answered 91 (if nothing was approved). */
  readonly budgetMs: number;
  /** How long to keep asking for the outcome of an authorisation whose outcome is unknown. */
  readonly settleLimitMs?: number;
  readonly onBudgetExceeded?: (stage: 'pool' | 'database') => void;
  readonly onOutcomeUnknown?: (settled: 'settled' | 'unsettled') => void;
  /** Each statement sent to the database for an authorisation: one, unless something went wrong. */
  readonly onDatabaseCall?: () => void;
}

/** An authorisation whose outcome stand-in could not learn in time: answering 91 could contradict an approval. */
export class CardOutcomeUnknown extends Error {
  readonly code = 'STANDIN_CARD_OUTCOME_UNKNOWN';
  constructor(readonly key: { stan: string; rrn: string; terminalId: string }) {
    super(`the outcome of card authorisation ${key.stan}/${key.rrn}/${key.terminalId} is unknown: not answered 91, the caller's timeout reversal covers it`);
  }
}

/** Budget the caller keeps for settling an unknown outcome after the call's own deadline. */
const SETTLE_RESERVE_MS = 150;

/**
 * The statement_timeout for the card pool's connections: the call's share of the budget, so the
 * database cancels (and rolls back) a call it is still running before stand-in stops waiting for
 * its answer, and stand-in hears "rolled back" rather than nothing.
 */
export const cardStatementTimeoutMs = (budgetMs: number): number => Math.max(1, budgetMs - SETTLE_RESERVE_MS);
/** PostgreSQL answers for the call it cancelled or refused: the statement rolled back. */
const ROLLED_BACK = new Set(['57014', '55P03', 'SI901']);

const AUTHORISE = 'select standin_authorise_by_rules($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) as response';
const SETTLE = 'select standin_settle_authorisation($1, $2, $3, $4, $5, $6, $7) as response';
const ANSWERED = 'select response from card_messages where stan = $1 and rrn = $2 and terminal_id = $3';

const approvalCode = () =>
  randomInt(0, 36 ** 6)
    .toString(36)
    .toUpperCase()
    .padStart(6, '0');

/** A connection from the pool within `ms`, or undefined (and the late one goes straight back). */
async function connectWithin(pool: Database, ms: number): Promise<Session | undefined> {
  if (ms <= 0) return undefined;
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    const session = await Promise.race([pending, late]);
    if (!session)
      pending.then(
        (client) => client.release(),
        () => undefined,
      );
    return session;
  } finally {
    clearTimeout(timer);
  }
}

type CallOutcome = { kind: 'answered'; response: CardAuthorisationResponse } | { kind: 'failed'; failure: unknown } | { kind: 'no_answer' };

/** One query on `session`, waited for at most `ms`; a session whose query failed or was abandoned is destroyed, not reused. */
async function callWithin(session: Session, query: { name: string; text: string; values: unknown[] }, ms: number, onCall?: () => void): Promise<CallOutcome> {
  onCall?.();
  let timer: NodeJS.Timeout | undefined;
  const call = session.query<{ response: CardAuthorisationResponse }>(query).then(
    (result): CallOutcome => ({ kind: 'answered', response: result.rows[0]!.response }),
    (failure: unknown): CallOutcome => ({ kind: 'failed', failure }),
  );
  const late = new Promise<CallOutcome>((resolve) => (timer = setTimeout(resolve, Math.max(1, ms), { kind: 'no_answer' })));
  const outcome = await Promise.race([call, late]);
  clearTimeout(timer);
  const sqlState = outcome.kind === 'failed' ? String((outcome.failure as { code?: unknown }).code ?? '') : '';
  // A statement PostgreSQL refused leaves a healthy connection; anything else (a cut connection,
  // a call still running) must not be handed to the next authorisation.
  const healthy = outcome.kind === 'answered' || (outcome.kind === 'failed' && /^[0-9A-Z]{5}$/.test(sqlState));
  session.release(healthy ? undefined : new Error('card authorisation connection abandoned'));
  return outcome;
}

const sqlStateOf = (failure: unknown) => String((failure as { code?: unknown }).code ?? '');

export function createCardAuthorisation(deps: CardAuthorisationDependencies) {
  const { pool, keys, rules, now, budgetMs } = deps;
  const settleLimitMs = deps.settleLimitMs ?? 30_000;

  const decline = (message: CardAuthorisationRequest, why: string): CardAuthorisationResponse => ({
    mti: message.mti === '0100' ? '0110' : '0210',
    stan: message.stan,
    rrn: message.rrn,
    terminalId: message.terminalId,
    responseCode: '91',
    approvedAmountMinor: 0,
    decidedBy: 'standin',
    reason: why,
  });

  /**
   * The outcome of a call stand-in could not hear: the stored answer, or a 91 stored under the key
   * when nobody is deciding it. Asked until `settleLimitMs`; then the caller hears nothing from us.
   */
  async function settle(message: CardAuthorisationRequest, startedAt: number): Promise<CardAuthorisationResponse> {
    const stored = decline(message, 'stand-in could not decide within its budget');
    for (let attempt = 0; performance.now() - startedAt < settleLimitMs; attempt++) {
      if (attempt > 0) await sleep(Math.min(50 * 2 ** Math.min(attempt, 5), 1_000));
      const session = await connectWithin(pool, 1_000).catch(() => undefined);
      if (!session) continue;
      const outcome = await callWithin(
        session,
        {
          name: 'standin_settle_authorisation',
          text: SETTLE,
          values: [message.stan, message.rrn, message.terminalId, message.processingCode, message.amountMinor, JSON.stringify(stored), now()],
        },
        1_000,
        deps.onDatabaseCall,
      );
      if (outcome.kind === 'answered' && outcome.response) {
        deps.onOutcomeUnknown?.('settled');
        return outcome.response;
      }
    }
    deps.onOutcomeUnknown?.('unsettled');
    throw new CardOutcomeUnknown(message);
  }

  return async function authorise(message: CardAuthorisationRequest): Promise<CardAuthorisationResponse> {
    const startedAt = performance.now();
    const callBudgetMs = cardStatementTimeoutMs(budgetMs);
    const deadline = new Date(Date.now() + callBudgetMs);
    const session = await connectWithin(pool, callBudgetMs);
    if (!session) {
      // Never sent: nothing can have been approved.
      deps.onBudgetExceeded?.('pool');
      return decline(message, `stand-in had no database connection within ${callBudgetMs} ms`);
    }
    const approvalCodeIfApproved = approvalCode();
    const outcome = await callWithin(
      session,
      {
        name: 'standin_authorise_by_rules',
        text: AUTHORISE,
        values: [
          message.stan,
          message.rrn,
          message.terminalId,
          message.mti,
          panLookup(keys, message.pan),
          message.expiry,
          message.processingCode,
          message.currency,
          message.amountMinor,
          JSON.stringify(message.merchant),
          message.transmittedAt,
          now(),
          resolvedRulesJson(rules.current(), message),
          randomUUID(),
          approvalCodeIfApproved,
          ADVICE_SCHEMA_VERSION,
          deadline,
        ],
      },
      // The database enforces the deadline itself; this is for a database that does not answer at all.
      callBudgetMs - (performance.now() - startedAt) + SETTLE_RESERVE_MS / 2,
      deps.onDatabaseCall,
    );
    if (outcome.kind === 'answered') return outcome.response;
    if (outcome.kind === 'failed') {
      const state = sqlStateOf(outcome.failure);
      if (ROLLED_BACK.has(state)) {
        deps.onBudgetExceeded?.('database');
        return decline(message, `stand-in could not decide within its budget of ${budgetMs} ms`);
      }
      if (state === '23505') {
        // The key was taken by another kind of message (a reversal with this key): its answer stands.
        deps.onDatabaseCall?.();
        const { rows } = await pool.query<{ response: CardAuthorisationResponse }>({
          name: 'standin_card_answered',
          text: ANSWERED,
          values: [message.stan, message.rrn, message.terminalId],
        });
        if (rows[0]) return rows[0].response;
      }
      // Refused by the database for its content or its logic: rolled back, the caller decides what to say.
      if (/^[0-9A-Z]{5}$/.test(state)) throw outcome.failure;
    }
    return settle(message, startedAt);
  };
}
