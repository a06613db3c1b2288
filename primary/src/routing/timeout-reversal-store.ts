import type { CardReversalRequest, FlaggedTimeoutReversal, MessageKey, SymmetricEncryptedValue } from '@bank/shared-contracts';
import { decryptPan, encryptPan, type PanKey } from '../cards/pan-crypto';
import type { Db } from '../platform/db';

// The table behind primary's timeout reversals (routing/001, 002): one row per authorisation primary
// answered 91 for while stand-in may still approve it, or that primary itself approved after its
// card budget had answered the network 91. Rows are claimed for an attempt with a lease
// (`for update skip locked`, then the due time moved past the attempt), so several primary processes
// share the work without a transaction held open across the HTTP call, and a process killed mid-
// attempt leaves a row that is due again when its lease ends.

/** Why the outcome is unknown (what made primary owe the reversal). */
export type OwedBecause = 'timeout' | 'bad_answer' | 'reset' | 'late_approval';
/** The platform whose approval the reversal undoes: stand-in's (a proxied message), or primary's own (its budget ran out). */
export type OwedTo = 'standin' | 'primary';

export interface OwedReversal {
  readonly original: MessageKey;
  readonly reversal: CardReversalRequest;
  /** Attempts so far, this one included. */
  readonly attempts: number;
  readonly flagged: boolean;
}

interface OwedRow {
  original_stan: string;
  original_rrn: string;
  original_terminal_id: string;
  reversal_without_pan: Omit<CardReversalRequest, 'pan'>;
  pan_encrypted: SymmetricEncryptedValue;
  attempts: number;
  flagged_at: Date | null;
}

export function timeoutReversalStore(deps: { db: Db; panKey: PanKey }) {
  const { db, panKey } = deps;
  const keyOf = (row: Pick<OwedRow, 'original_stan' | 'original_rrn' | 'original_terminal_id'>): MessageKey => ({
    stan: row.original_stan,
    rrn: row.original_rrn,
    terminalId: row.original_terminal_id,
  });

  return {
    /** Records the debt once per authorisation (a second 91 for the same message owes nothing more). */
    async owe(owedTo: OwedTo, reversal: CardReversalRequest, because: OwedBecause, firstAttemptAt: Date, now: Date): Promise<void> {
      const { pan, ...withoutPan } = reversal;
      await db.query(
        `insert into timeout_reversals_owed
           (original_stan, original_rrn, original_terminal_id, reversal_without_pan, pan_encrypted, reason, next_attempt_at, created_at, owed_to)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing`,
        [
          reversal.original.stan,
          reversal.original.rrn,
          reversal.original.terminalId,
          withoutPan,
          encryptPan(panKey, pan),
          because,
          firstAttemptAt,
          now,
          owedTo,
        ],
      );
    },

    /** Takes up to `limit` due reversals owed to `owedTo` for one attempt each; nobody else takes them before `leaseUntil`. */
    async claimDue(owedTo: OwedTo, now: Date, leaseUntil: Date, limit: number): Promise<OwedReversal[]> {
      const { rows } = await db.query<OwedRow>(
        `with due as (
           select original_stan, original_rrn, original_terminal_id from timeout_reversals_owed
            where owed_to = $4 and next_attempt_at <= $1 order by next_attempt_at limit $3 for update skip locked)
         update timeout_reversals_owed owed set attempts = owed.attempts + 1, next_attempt_at = $2
           from due
          where owed.original_stan = due.original_stan and owed.original_rrn = due.original_rrn and owed.original_terminal_id = due.original_terminal_id
         returning owed.original_stan, owed.original_rrn, owed.original_terminal_id, owed.reversal_without_pan, owed.pan_encrypted, owed.attempts, owed.flagged_at`,
        [now, leaseUntil, limit, owedTo],
      );
      return rows.map((row) => ({
        original: keyOf(row),
        reversal: { ...row.reversal_without_pan, pan: decryptPan(panKey, row.pan_encrypted) } as CardReversalRequest,
        attempts: row.attempts,
        flagged: row.flagged_at !== null,
      }));
    },

    async acknowledged(original: MessageKey): Promise<void> {
      await db.query('delete from timeout_reversals_owed where original_stan = $1 and original_rrn = $2 and original_terminal_id = $3', [
        original.stan,
        original.rrn,
        original.terminalId,
      ]);
    },

    /** Not acknowledged: due again at `retryAt`, and flagged from now on when `flag` says so. */
    async notAcknowledged(original: MessageKey, failure: string, retryAt: Date, flag: boolean, now: Date): Promise<void> {
      await db.query(
        `update timeout_reversals_owed set next_attempt_at = $4, last_failure = $5, flagged_at = case when $6 then coalesce(flagged_at, $7) else flagged_at end
          where original_stan = $1 and original_rrn = $2 and original_terminal_id = $3`,
        [original.stan, original.rrn, original.terminalId, retryAt, failure.slice(0, 500), flag, now],
      );
    },

    /** What operators see: how many are owed, how many flagged, and the oldest flagged. */
    async report(limit: number): Promise<{ owed: number; flagged: number; oldestFlagged: FlaggedTimeoutReversal[] }> {
      const [counts, flagged] = await Promise.all([
        db.query<{ owed: string; flagged: string }>('select count(*) as owed, count(flagged_at) as flagged from timeout_reversals_owed'),
        db.query<OwedRow & { created_at: Date; flagged_at: Date; last_failure: string | null }>(
          `select original_stan, original_rrn, original_terminal_id, attempts, created_at, flagged_at, last_failure
             from timeout_reversals_owed where flagged_at is not null order by flagged_at limit $1`,
          [limit],
        ),
      ]);
      return {
        owed: Number(counts.rows[0]!.owed),
        flagged: Number(counts.rows[0]!.flagged),
        oldestFlagged: flagged.rows.map((row) => ({
          original: keyOf(row),
          attempts: row.attempts,
          owedSince: row.created_at.toISOString(),
          flaggedAt: row.flagged_at.toISOString(),
          lastFailure: row.last_failure,
        })),
      };
    },
  };
}

export type TimeoutReversalStore = ReturnType<typeof timeoutReversalStore>;
