import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isUniqueViolation, withTransaction, type Db, type Tx } from './db';
import { errors } from './errors';
import type { Migration } from './migrations';

// Every request that moves money carries an Idempotency-Key. The answer is stored in the same
// transaction as the effect, so a retry after a timeout (an unknown outcome) gets the original
// answer and never a second effect; the same key with a different request is refused.

export const idempotencyMigrations: Migration[] = [
  {
    id: 'platform/001-idempotency-keys',
    sql: `
      create table idempotency_keys (
        scope text not null,
        key uuid not null,
        request_sha256 bytea not null,
        status_code integer not null,
        response json not null,
        created_at timestamptz not null default now(),
        primary key (scope, key)
      );
    `,
  },
];

const IdempotencyKey = z.uuid({ error: 'expected a UUID' });

/** The header idempotencyKeyOf reads, for the API reference of the routes that move money. */
export const IdempotencyKeyHeader = z.object({ 'idempotency-key': IdempotencyKey.describe('a UUID, reused only when retrying the same request') });

export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = IdempotencyKey.safeParse(request.headers['idempotency-key']);
  if (!key.success) throw errors.missingIdempotencyKey();
  return key.data;
}

export interface StoredAnswer<T> {
  readonly statusCode: number;
  readonly body: T;
}

/**
 * Runs `work` once per (scope, key). `scope` is whose key it is (a customer id), so two
 * customers' keys never collide.
 */
export async function once<T>(db: Db, scope: string, key: string, request: unknown, work: (tx: Tx) => Promise<StoredAnswer<T>>): Promise<StoredAnswer<T>> {
  const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest();
  const previous = async () => {
    const { rows } = await db.query<{ request_sha256: Buffer; status_code: number; response: T }>(
      'select request_sha256, status_code, response from idempotency_keys where scope = $1 and key = $2',
      [scope, key],
    );
    const row = rows[0];
    if (!row) return undefined;
    if (!row.request_sha256.equals(fingerprint)) throw errors.idempotencyKeyReused();
    return { statusCode: row.status_code, body: row.response };
  };
  const earlier = await previous();
  if (earlier) return earlier;
  try {
    return await withTransaction(db, async (tx) => {
      const answer = await work(tx);
      await tx.query('insert into idempotency_keys (scope, key, request_sha256, status_code, response) values ($1, $2, $3, $4, $5)', [
        scope,
        key,
        fingerprint,
        answer.statusCode,
        JSON.stringify(answer.body),
      ]);
      return answer;
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const winner = await previous();
    if (!winner) throw error;
    return winner;
  }
}
