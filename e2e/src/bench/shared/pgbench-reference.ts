import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { Client } from 'pg';

// pgbench -N against the same PostgreSQL cluster primary uses, in the same run: the reference
// for what this machine's database can do, so primary's throughput is judged against the
// hardware it actually had rather than a number from elsewhere. It uses its own database so
// that primary's data is untouched.

export const PGBENCH_DATABASE = 'pgbench_reference';

export interface PgbenchParameters {
  readonly scale: number;
  readonly clients: number;
  readonly threads: number;
  readonly durationSeconds: number;
}

export interface PgbenchResult extends PgbenchParameters {
  /** Transactions per second, excluding connection time. */
  readonly tps: number;
  readonly latencyAverageMs: number | undefined;
  readonly failedTransactions: number | undefined;
  readonly command: string;
}

function pgbenchBinary(): string {
  const packaged = '/usr/lib/postgresql/15/bin/pgbench';
  return fs.existsSync(packaged) ? packaged : 'pgbench';
}

export function pgbenchConnectionArguments(clusterUrl: string): string[] {
  const url = new URL(clusterUrl);
  return ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username)];
}

function withDatabase(clusterUrl: string, database: string): string {
  const url = new URL(clusterUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Clients, threads and duration: how hard and how long any pgbench run here pushes. */
export function pgbenchLoadArguments(parameters: PgbenchParameters): string[] {
  return ['-c', String(parameters.clients), '-j', String(parameters.threads), '-T', String(parameters.durationSeconds)];
}

export function runPgbench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(pgbenchBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (error) => reject(new Error(`could not run ${pgbenchBinary()}: ${error.message}`)));
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`pgbench ${args.join(' ')} failed (exit ${code}):\n${output.slice(-2000)}`)),
    );
  });
}

/** Creates the reference database and its pgbench tables at `scale` when they are missing (or at another scale). */
export async function ensurePgbenchDatabase(clusterUrl: string, scale: number): Promise<'initialised' | 'reused'> {
  const admin = new Client({ connectionString: clusterUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [PGBENCH_DATABASE]);
    if (exists.rowCount === 0) await admin.query(`create database ${PGBENCH_DATABASE}`);
  } finally {
    await admin.end();
  }
  const reference = new Client({ connectionString: withDatabase(clusterUrl, PGBENCH_DATABASE) });
  await reference.connect();
  let currentScale = 0;
  try {
    const tables = await reference.query<{ present: boolean }>("select to_regclass('public.pgbench_branches') is not null as present");
    if (tables.rows[0]?.present) currentScale = Number((await reference.query<{ n: string }>('select count(*) as n from pgbench_branches')).rows[0]?.n ?? 0);
  } finally {
    await reference.end();
  }
  if (currentScale === scale) return 'reused';
  await runPgbench(['-i', '-q', '-s', String(scale), ...pgbenchConnectionArguments(clusterUrl), PGBENCH_DATABASE]);
  return 'initialised';
}

export function parsePgbenchOutput(output: string): { tps: number; latencyAverageMs: number | undefined; failedTransactions: number | undefined } {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+) \(excluding connections establishing\)/.exec(output);
  if (!tps?.[1]) throw new Error(`no "tps = ..." line in pgbench's output:\n${output.slice(-2000)}`);
  const latency = /latency average = ([\d.]+) ms/.exec(output);
  const failed = /number of failed transactions: (\d+)/.exec(output);
  return {
    tps: Number(tps[1]),
    latencyAverageMs: latency?.[1] ? Number(latency[1]) : undefined,
    failedTransactions: failed?.[1] ? Number(failed[1]) : undefined,
  };
}

/** `pgbench -N` (simple update: no contention on the branch and teller rows) for `durationSeconds`. */
export async function measurePgbenchTps(clusterUrl: string, parameters: PgbenchParameters): Promise<PgbenchResult> {
  const args = ['-N', ...pgbenchLoadArguments(parameters), ...pgbenchConnectionArguments(clusterUrl), PGBENCH_DATABASE];
  const output = await runPgbench(args);
  return { ...parameters, ...parsePgbenchOutput(output), command: `pgbench ${args.join(' ')}` };
}

/**
 * Vacuums pgbench's tables and checkpoints, so that pgbench's dead rows and dirty pages are not
 * cleaned up (autovacuum, checkpointer) during the next phase, which measures primary alone.
 * Returns what was done, or why not.
 */
export async function settleAfterPgbench(clusterUrl: string): Promise<{ readonly settled: boolean; readonly seconds: number; readonly detail: string }> {
  const began = Date.now();
  const reference = new Client({ connectionString: withDatabase(clusterUrl, PGBENCH_DATABASE) });
  await reference.connect();
  try {
    await reference.query('vacuum (analyze) pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history');
    await reference.query('checkpoint');
    return { settled: true, seconds: Math.round((Date.now() - began) / 100) / 10, detail: 'vacuum (analyze) of the pgbench tables, then checkpoint' };
  } catch (error) {
    return { settled: false, seconds: Math.round((Date.now() - began) / 100) / 10, detail: `could not settle: ${(error as Error).message}` };
  } finally {
    await reference.end();
  }
}
