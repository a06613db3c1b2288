import type { MessageKey } from '@bank/shared-contracts';
import { withTransaction } from '../platform/db';
import type { AuthorisationStore, CardProcessorDeps } from './authorisation-store';

// Authorisation holds nobody cleared in time, released (the sweep is hold-expiry.ts).

export function createExpiredHolds(deps: CardProcessorDeps, store: AuthorisationStore) {
  const { db } = deps;
  const { findAuthorisation, lockOriginal, releaseAuthorised } = store;

  /**
   * Authorisation holds nobody cleared by `olderThan` (HOLD_EXPIRY_DAYS ago, as schemes allow) are
   * released, each in its own transaction: the balance announced and the feed entry marked reversed,
   * like a reversal, and the authorisation recorded as expired. A clearing that comes later still
   * settles, as a posting (`settle`). Reversals parked that long for an authorisation that never
   * came are removed too. At most `limit` of each per call: the caller sweeps again.
   */
  async function expireHolds(olderThan: Date, limit: number): Promise<{ expired: MessageKey[]; parkedReversalsRemoved: MessageKey[] }> {
    const { rows: candidates } = await db.query<{ stan: string; rrn: string; terminal_id: string }>(
      "select stan, rrn, terminal_id from card_authorisations where state = 'held' and hold_id is not null and created_at < $1 order by created_at limit $2",
      [olderThan, limit],
    );
    const expired: MessageKey[] = [];
    for (const candidate of candidates) {
      const key = { stan: candidate.stan, rrn: candidate.rrn, terminalId: candidate.terminal_id };
      const released = await withTransaction(db, async (tx) => {
        await lockOriginal(tx, key);
        const original = await findAuthorisation(tx, key, true);
        // Cleared or reversed meanwhile: nothing left to expire.
        if (original?.state !== 'held' || !original.hold_id) return false;
        await releaseAuthorised(tx, original, Number(original.outstanding_minor), {
          correlationId: original.correlation_id,
          description: 'authorisation hold expired',
          overdraft: 'enforce',
        });
        await tx.query("update card_authorisations set state = 'expired' where id = $1", [original.id]);
        return true;
      });
      if (released) expired.push(key);
    }
    const { rows: removed } = await db.query<{ stan: string; rrn: string; terminal_id: string }>(
      `delete from reversals_awaiting_authorisation where (stan, rrn, terminal_id) in
         (select stan, rrn, terminal_id from reversals_awaiting_authorisation where received_at < $1 order by received_at limit $2)
       returning stan, rrn, terminal_id`,
      [olderThan, limit],
    );
    return { expired, parkedReversalsRemoved: removed.map((row) => ({ stan: row.stan, rrn: row.rrn, terminalId: row.terminal_id })) };
  }

  return { expireHolds };
}
