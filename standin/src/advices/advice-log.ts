import { randomUUID } from 'node:crypto';
import { ADVICE_SCHEMA_VERSION, Advice, parseContract } from '@bank/shared-contracts';
import type { Session } from '../store/database';

type AdviceOf<T extends Advice['type']> = Extract<Advice, { type: T }>;

/**
 * Writes one advice in the same transaction as the effect it reports, so an effect without its
 * advice (or the reverse) cannot exist. The per-account sequence comes from a row held locked
 * until commit, so primary can apply each account's advices in order.
 */
export async function recordAdvice<T extends Advice['type']>(
  session: Session,
  advice: { type: T; accountId: string; correlationId: string; payload: AdviceOf<T>['payload']; at: Date },
): Promise<AdviceOf<T>> {
  const next = await session.query<{ last_sequence: number }>(
    `insert into advice_sequences as s (account_id, last_sequence) values ($1, 1)
     on conflict (account_id) do update set last_sequence = s.last_sequence + 1
     returning last_sequence`,
    [advice.accountId],
  );
  const full = parseContract(`${advice.type} advice`, Advice, {
    adviceId: randomUUID(),
    type: advice.type,
    accountId: advice.accountId,
    sequence: next.rows[0]!.last_sequence,
    correlationId: advice.correlationId,
    createdAt: advice.at.toISOString(),
    schemaVersion: ADVICE_SCHEMA_VERSION,
    payload: advice.payload,
  }) as AdviceOf<T>;
  await session.query('insert into advices (advice_id, account_id, sequence, correlation_id, type, advice, created_at) values ($1, $2, $3, $4, $5, $6, $7)', [
    full.adviceId,
    full.accountId,
    full.sequence,
    full.correlationId,
    full.type,
    full,
    advice.at,
  ]);
  return full;
}
