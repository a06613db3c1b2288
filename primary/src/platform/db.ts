import { Pool, type PoolClient } from 'pg';

export type Db = Pool;
/** A client inside an open transaction: functions that take one never commit on their own. */
export type Tx = PoolClient;

export function createPool(connectionString: string, options: { maxConnections?: number; statementTimeoutMs?: number } = {}): Pool {
  const pool = new Pool({
    connectionString,
    max: options.maxConnections ?? 20,
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // Every wait has a timeout: a hung database must not hold a card authorisation forever.
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    query_timeout: (options.statementTimeoutMs ?? 5_000) + 1_000,
  });
  // An idle client losing its server (PostgreSQL killed) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock
const MAX_ATTEMPTS = 3;

/** Runs `work` in one transaction; retries a bounded number of times on deadlock/serialization failure. */
export async function withTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await db.connect();
    // A connection that breaks while checked out emits 'error' on the client: without a listener
    // that would crash the process. Record it, fail this transaction, and destroy the connection.
    let broken: Error | undefined;
    const onError = (error: Error) => void (broken = error);
    client.on('error', onError);
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (error) {
      if (!broken) await client.query('rollback').catch((failure: Error) => void (broken = failure));
      const code = (error as { code?: string }).code;
      if (attempt < MAX_ATTEMPTS && code !== undefined && RETRYABLE.has(code)) continue;
      throw error;
    } finally {
      // A broken connection may still emit 'error' while the pool ends it: it keeps our listener.
      if (!broken) client.removeListener('error', onError);
      client.release(broken);
    }
  }
}

/** PostgreSQL's unique_violation, for idempotency races. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
