import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Platform } from './destination';
import { startReversalStoreWriter } from './reversal-store-writer';

// The gateway's only durable state: the timeout reversals it owes. It lives on the gateway's own
// disk in the data centre (SQLite, through Node's built-in node:sqlite), because the outage that
// makes the gateway answer 91 may well be a platform's database: the gateway cannot keep its debts
// there. Each row is written and fsynced (WAL, synchronous=FULL) before it counts as recorded, so a
// reversal survives the gateway's crash and is resumed when it starts again.
//
// Every write goes through one writer thread (reversal-store-writer.ts) and is committed with the
// writes queued behind it, one fsync for the group: an fsync takes over 100 ms on a busy disk, and
// on the gateway's own thread a burst of them held up the answers the network was waiting for
// (chaos scenario o heard 91s past its deadline). Reads stay on this thread: in WAL mode they
// neither wait for the writer nor touch the disk's sync.
//
// A row holds the 0420 without its card number, and the card number sealed (pan-seal.ts).

export const REVERSAL_STORE_FILE = 'gateway.sqlite';

/** One owed reversal, as stored: everything needed to send it, the PAN still sealed. */
export interface StoredReversal {
  readonly target: Platform;
  /** The original authorisation's message key, `stan/rrn/terminalId`: no PAN. */
  readonly originalKey: string;
  /** The 0420 as JSON, with its `pan` left out. */
  readonly reversalWithoutPan: string;
  readonly sealedPan: Buffer;
  readonly createdAtMs: number;
  readonly attempts: number;
  readonly nextAttemptAtMs: number;
}

export type RecordOutcome = 'recorded' | 'already_owed' | 'table_full';

export interface ReversalStore {
  /** Inserts and fsyncs a reversal, unless one is owed already for this authorisation or the table is full. */
  record(reversal: Omit<StoredReversal, 'attempts'>, maxPending: number): Promise<RecordOutcome>;
  /** Owed reversals due by `nowMs`, oldest due first. */
  due(nowMs: number, limit: number): StoredReversal[];
  /** After a failed attempt: the attempt counted and the next one scheduled. */
  attempted(target: Platform, originalKey: string, attempts: number, nextAttemptAtMs: number, problem: string): Promise<void>;
  /** Acknowledged, or given up on: no longer owed. */
  remove(target: Platform, originalKey: string): Promise<void>;
  pending(): Record<Platform, number>;
  /** When the oldest reversal still owed was recorded, if any is. */
  oldestCreatedAtMs(): number | undefined;
  /** Waits for the writes already queued, then closes. */
  close(): Promise<void>;
}

interface Row {
  target: string;
  original_key: string;
  reversal_without_pan: string;
  sealed_pan: Uint8Array;
  created_at_ms: number;
  attempts: number;
  next_attempt_at_ms: number;
}

const asReversal = (row: Row): StoredReversal => ({
  target: row.target as Platform,
  originalKey: row.original_key,
  reversalWithoutPan: row.reversal_without_pan,
  sealedPan: Buffer.from(row.sealed_pan),
  createdAtMs: Number(row.created_at_ms),
  attempts: Number(row.attempts),
  nextAttemptAtMs: Number(row.next_attempt_at_ms),
});

export function openReversalStore(directory: string): ReversalStore {
  fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
  const file = path.join(directory, REVERSAL_STORE_FILE);
  const database = new DatabaseSync(file, { timeout: 1_000 });
  // WAL with synchronous=FULL (the writer thread sets the same): a commit is on disk (fsynced) before `record` resolves.
  database.exec('pragma journal_mode = wal');
  database.exec('pragma synchronous = full');
  database.exec(`
    create table if not exists timeout_reversals (
      target text not null check (target in ('primary', 'standin')),
      original_key text not null,
      reversal_without_pan text not null,
      sealed_pan blob not null,
      created_at_ms integer not null,
      attempts integer not null default 0,
      next_attempt_at_ms integer not null,
      last_problem text,
      primary key (target, original_key)
    ) strict;
    create index if not exists timeout_reversals_due on timeout_reversals (next_attempt_at_ms);
  `);

  // A write at open creates the write-ahead log now, so the first 91 does not pay for it.
  database.exec('pragma user_version = 1');

  const selectDue = database.prepare('select * from timeout_reversals where next_attempt_at_ms <= ? order by next_attempt_at_ms limit ?');
  const counts = database.prepare('select target, count(*) as pending from timeout_reversals group by target');
  const oldest = database.prepare('select min(created_at_ms) as oldest from timeout_reversals');

  // Counted in memory after one read at start, so recording a reversal on the card path costs one insert.
  const pending: Record<Platform, number> = { primary: 0, standin: 0 };
  for (const row of counts.all() as { target: Platform; pending: number }[]) pending[row.target] = Number(row.pending);
  const total = () => pending.primary + pending.standin;

  const writer = startReversalStoreWriter(file);
  return {
    async record(reversal, maxPending) {
      if (total() >= maxPending) return 'table_full';
      const changes = await writer.write('insert', [
        reversal.target,
        reversal.originalKey,
        reversal.reversalWithoutPan,
        reversal.sealedPan,
        reversal.createdAtMs,
        reversal.nextAttemptAtMs,
      ]);
      if (changes === 0) return 'already_owed';
      pending[reversal.target]++;
      return 'recorded';
    },
    due: (nowMs, limit) => (selectDue.all(nowMs, limit) as unknown as Row[]).map(asReversal),
    async attempted(target, originalKey, attempts, nextAttemptAtMs, problem) {
      await writer.write('update', [attempts, nextAttemptAtMs, problem.slice(0, 500), target, originalKey]);
    },
    async remove(target, originalKey) {
      if ((await writer.write('remove', [target, originalKey])) > 0) pending[target]--;
    },
    pending: () => ({ ...pending }),
    oldestCreatedAtMs() {
      const row = oldest.get() as { oldest: number | null } | undefined;
      return row?.oldest === null || row?.oldest === undefined ? undefined : Number(row.oldest);
    },
    async close() {
      await writer.close();
      database.close();
    },
  };
}
