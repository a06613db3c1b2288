import type { Db } from '../platform/db';
import { panIndex } from '../cards/pan-crypto';
import type { AccountOfCard } from './shadow-sender';

/**
 * The card's account, and the account's last event sequence as it stood when primary decided:
 * just before the first event this authorisation produced (its hold, its posting), or the latest
 * if it produced none. Read after the answer, the latest would include the approval's own events
 * and stand-in, which cannot have them yet, would always look behind.
 *
 * One read. It reads the cards, card-processor and outbox tables directly, against the rule that
 * services use each other's functions: it runs off the card path, once per shadowed message, and
 * several service calls would be several round trips taken from the pool the card path uses. It
 * only reads, and only the PAN's keyed hash is sent to the database.
 */
export function cardAccountLookup(deps: { db: Db; indexKey: Buffer }): AccountOfCard {
  return async (request) => {
    const { rows } = await deps.db.query<{ account_id: string; last_sequence: number | null; first_own: number | null }>(
      `with card as (select account_id from cards where pan_index = $1)
       select card.account_id, s.last_sequence,
              (select min(e.sequence)
                 from card_authorisations a
                 join outbox_events e on e.account_id = card.account_id and e.event->>'correlationId' = a.correlation_id::text
                where a.stan = $2 and a.rrn = $3 and a.terminal_id = $4
                  -- only the account's latest events: the authorisation's are among them
                  and e.sequence > coalesce(s.last_sequence, 0) - 50) as first_own
         from card left join event_sequences s on s.account_id = card.account_id`,
      [panIndex(deps.indexKey, request.pan), request.stan, request.rrn, request.terminalId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const sequence = row.first_own !== null ? row.first_own - 1 : row.last_sequence;
    return { accountId: row.account_id, ...(sequence === null ? {} : { accountSequence: sequence }) };
  };
}
