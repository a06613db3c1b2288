import { randomInt, randomUUID } from 'node:crypto';
import type { CardAuthorisationRequest, CardAuthorisationResponse } from '@bank/shared-contracts';
import { isUniqueViolation, withConnection, type Db } from '../platform/db';
import { DeadlineExceeded } from '../platform/deadline';

// The card authorisation's one database round trip: `card_authorise` (authorisation-function.ts)
// called as a named (prepared) statement in its own implicit transaction. What it needs from Node
// is only what the database cannot make itself: the PAN's keyed hash (the index key stays in
// primary's process), the clock's time (injected, so tests can set the day), and the random
// authorisation code and correlation id.

const AUTHORISATION_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export function newAuthorisationCode(): string {
  let code = '';
  for (let index = 0; index < 6; index++) code += AUTHORISATION_CODE_ALPHABET[randomInt(AUTHORISATION_CODE_ALPHABET.length)];
  return code;
}

const AUTHORISE = {
  name: 'card_authorise_v1',
  text: 'select response, repeated from card_authorise($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)',
} as const;

const STORED_ANSWER = {
  name: 'card_authorisation_answer_v1',
  text: 'select response from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3',
} as const;

/** SQLSTATEs the function's budget ends with: query_canceled (its own check, or statement_timeout) and lock_not_available (lock_timeout). */
const BUDGET_SPENT = new Set(['57014', '55P03']);
/** A writer outside the key's lock (a clearing that posts without its authorisation) recorded the key first: its answer stands. Once is enough. */
const MAX_ATTEMPTS = 2;

/** The database rolled the authorisation back at its deadline, or it was never sent (its deadline passed waiting for a connection): a known outcome, nothing approved. */
export class RolledBackAtDeadline extends DeadlineExceeded {
  constructor(budgetMs: number) {
    super('card authorisation (rolled back by the database at its deadline)', budgetMs);
    this.name = 'RolledBackAtDeadline';
  }
}

export interface DatabaseAuthorisation {
  readonly response: CardAuthorisationResponse;
  /** The stored answer to an earlier copy of this message: nothing was decided now. */
  readonly repeated: boolean;
}

export async function authoriseInDatabase(
  db: Db,
  request: CardAuthorisationRequest,
  facts: { readonly panIndex: Buffer; readonly now: Date; readonly deadlineAt: Date; readonly budgetMs: number },
): Promise<DatabaseAuthorisation> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A connection first, then the deadline checked, then the call: under overload the pool's queue
      // holds requests whose network has already heard 91, and sending each of them to be rolled
      // back would spend the round trips the fresh ones need (every answer late, a collapse).
      const { rows } = await withConnection(db, async ({ client }) => {
        if (Date.now() >= facts.deadlineAt.getTime()) throw new RolledBackAtDeadline(facts.budgetMs);
        return client.query<{ response: CardAuthorisationResponse; repeated: boolean }>({
          ...AUTHORISE,
          values: [
            request.stan,
            request.rrn,
            request.terminalId,
            facts.panIndex,
            request.mti,
            request.processingCode,
            request.amountMinor,
            request.currency,
            request.expiry,
            JSON.stringify(request.merchant),
            facts.now,
            randomUUID(),
            newAuthorisationCode(),
            facts.deadlineAt,
          ],
        });
      });
      return rows[0]!;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // Rolled back by the database at its deadline: nothing was approved, the network hears 91.
      if (code !== undefined && BUDGET_SPENT.has(code)) throw new RolledBackAtDeadline(facts.budgetMs);
      if (attempt < MAX_ATTEMPTS && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/** The answer stored under a message key, if any: what an authorisation whose commit went unheard did. */
export async function storedAuthorisationAnswer(
  db: Db,
  key: Pick<CardAuthorisationRequest, 'stan' | 'rrn' | 'terminalId'>,
): Promise<CardAuthorisationResponse | undefined> {
  const { rows } = await db.query<{ response: CardAuthorisationResponse }>({ ...STORED_ANSWER, values: [key.stan, key.rrn, key.terminalId] });
  return rows[0]?.response;
}
