import { Pool, type PoolClient } from 'pg';

export type Db = Pool;
/** A client inside an open transaction: functions that take one never commit on their own. */
export type Tx = PoolClient;

export interface PoolOptions {
  readonly maxConnections?: number;
  readonly statementTimeoutMs?: number;
  /** How long a caller may wait for a free connection (pg's connectionTimeoutMillis). */
  readonly connectionTimeoutMs?: number;
  /** Called once per query sent: each is one round trip to PostgreSQL (pg sends a query's messages together and waits for its answer). */
  readonly onRoundTrip?: () => void;
}

export function createPool(connectionString: string, options: PoolOptions = {}): Pool {
  const pool = new Pool({
    connectionString,
    max: options.maxConnections ?? 20,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    // Every wait has a timeout: a hung database must not hold a card authorisation forever.
    statement_timeout: options.statementTimeoutMs ?? 5_000,
    query_timeout: (options.statementTimeoutMs ?? 5_000) + 1_000,
  });
  // An idle client losing its server (PostgreSQL killed) must not crash the process.
  pool.on('error', () => undefined);
  const { onRoundTrip } = options;
  if (onRoundTrip) {
    // Counted where every query passes, pool.query's included: the client's own query method.
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        onRoundTrip();
        return query(...args);
      };
    });
  }
  return pool;
}

const RETRYABLE = new Set(['40001', '40P01']); // serialization failure, deadlock
const MAX_ATTEMPTS = 3;

/** What `withConnection` lends: the connection, and a way to have it destroyed instead of pooled again. */
export interface Connection {
  readonly client: PoolClient;
  /** The connection's state is unknown (a failed rollback): end it rather than hand it to the next caller. */
  discard(reason: Error): void;
  readonly broken: () => boolean;
}

/**
 * Runs `work` with one connection from the pool. A connection that breaks while checked out
 * (PostgreSQL killed) emits 'error' on the client, and without a listener that crashes the
 * process: the failure is recorded instead, the work fails on its next query, and the broken
 * connection is destroyed rather than pooled.
 */
export async function withConnection<T>(db: Db, work: (connection: Connection) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => void (broken ??= error);
  client.on('error', onError);
  try {
    return await work({ client, discard: onError, broken: () => broken !== undefined });
  } finally {
    // A broken connection may still emit 'error' while the pool ends it: it keeps our listener.
    if (!broken) client.removeListener('error', onError);
    client.release(broken);
  }
}

/** Runs `work` in one transaction; retries a bounded number of times on deadlock/serialization failure. */
export async function withTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withConnection(db, async ({ client, discard, broken }) => {
        try {
          await client.query('begin');
          const result = await work(client);
          await client.query('commit');
          return result;
        } catch (error) {
          if (!broken()) await client.query('rollback').catch(discard);
          throw error;
        }
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt < MAX_ATTEMPTS && code !== undefined && RETRYABLE.has(code)) continue;
      throw error;
    }
  }
}

/** Node's socket errors (ETIMEDOUT also for platform/deadline.ts's DeadlineExceeded), and SQLSTATE class 08 (connection exception) and 57P (server shutting down or starting). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03']);

/** The database could not be reached or went away mid-query: the request may succeed later, nothing is wrong with it. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) return true;
  // pg's own wording when a connection ends or cannot be made in time, or a query gets no answer
  // within query_timeout (a hung server: nothing refuses, nothing answers).
  return (
    typeof message === 'string' &&
    /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout)/.test(message)
  );
}

/**
 * The database answered but could not do the work in time: a statement past statement_timeout
 * (57014, query_canceled) or a lock not had within lock_timeout (55P03). Under load a customer's
 * account row can stay locked longer than a statement may wait; the request is sound and may be
 * retried, so it is a 503, not the 500 of a defect.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '57014' || code === '55P03';
}

/** PostgreSQL's unique_violation, for idempotency races. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}
