import pg from 'pg';
import { STANDIN_SCHEMA } from './schema';

export type Database = pg.Pool;
export type Session = pg.PoolClient;

/**
 * `statementTimeoutMs` (default 5 000) is set on each connection as it opens, so a pool whose
 * every statement has a budget (card authorisations) pays no round trip for it.
 */
export function openDatabase(url: string, poolSize = 20, options: { readonly statementTimeoutMs?: number } = {}): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 2_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + 1_000,
  });
  pool.on('error', () => undefined);
  // A connection cut while a client is checked out but between queries (a failover, an operator's
  // pg_terminate_backend) emits 'error' on that client; with no listener it is an unhandled event
  // that ends the process. A query in flight fails on its own, and a broken client is not reused
  // for long: its next query fails and the pool drops it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Runs `body` inside BEGIN/COMMIT; any throw rolls everything back. The session listens for its
 * connection's 'error' while checked out: a connection cut mid-transaction (PostgreSQL killed,
 * a failover) must fail this unit of work, not crash the process with an unhandled 'error'
 * event; a broken connection is destroyed, never returned to the pool.
 */
export async function inTransaction<T>(database: Database, body: (session: Session) => Promise<T>): Promise<T> {
  const session = await database.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  session.on('error', onError);
  try {
    await session.query('begin');
    const result = await body(session);
    await session.query('commit');
    return result;
  } catch (failure) {
    if (!broken) await session.query('rollback').catch((error: Error) => void (broken = error));
    throw failure;
  } finally {
    // A broken connection is ended by the pool and may still emit 'error' while it closes: it
    // keeps our listener. A healthy one goes back to the pool, which listens for itself.
    if (!broken) session.removeListener('error', onError);
    session.release(broken);
  }
}

/** Applies any schema step not yet applied, each in its own transaction, one process at a time. */
export async function upgradeSchema(database: Database): Promise<string[]> {
  return inTransaction(database, async (session) => {
    // Transaction-scoped lock: released by the commit, so concurrent starters take turns.
    await session.query("select pg_advisory_xact_lock(hashtext('standin-schema'))");
    await session.query('create table if not exists standin_schema (name text primary key, applied_at timestamptz not null default now())');
    const known = new Set((await session.query<{ name: string }>('select name from standin_schema')).rows.map((row) => row.name));
    const applied: string[] = [];
    for (const step of STANDIN_SCHEMA) {
      if (known.has(step.name)) continue;
      await session.query(step.ddl);
      await session.query('insert into standin_schema (name) values ($1)', [step.name]);
      applied.push(step.name);
    }
    return applied;
  });
}
