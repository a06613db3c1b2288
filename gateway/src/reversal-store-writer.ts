import { Worker } from 'node:worker_threads';

// The reversal store's one writer: a thread of its own with its own SQLite connection, so the
// fsync a durable write costs never runs on the thread that answers the network. Writes queue up
// while a commit is on disk and go down together in the next transaction (group commit): under a
// burst of 91s, or the acknowledgements after an outage, the disk syncs once per group, not once
// per row. Each caller's promise settles only after its row's transaction is committed.

/** The statements the writer runs; the SQL stays in the writer, so nothing else can be sent to it. */
export type WriteStatement = 'insert' | 'update' | 'remove';
export type WriteParameters = readonly (string | number | Uint8Array | null)[];

export interface ReversalStoreWriter {
  /** Runs one statement in the next group commit; resolves with its changed row count once on disk. */
  write(statement: WriteStatement, parameters: WriteParameters): Promise<number>;
  /** Writes already queued are committed; later ones are refused. */
  close(): Promise<void>;
}

/** Writes allowed to wait for the disk at once: a disk that has stopped fails them rather than growing without bound. */
const MAX_QUEUED_WRITES = 50_000;

// Plain JavaScript, run with `eval`: the same source works from the build and from jest's
// TypeScript, with no second entry point to ship. It knows three statements and nothing else.
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const database = new DatabaseSync(workerData.file, { timeout: workerData.busyTimeoutMs });
database.exec('pragma journal_mode = wal');
database.exec('pragma synchronous = full');
const statements = {
  insert: database.prepare('insert into timeout_reversals (target, original_key, reversal_without_pan, sealed_pan, created_at_ms, next_attempt_at_ms) values (?, ?, ?, ?, ?, ?) on conflict (target, original_key) do nothing'),
  update: database.prepare('update timeout_reversals set attempts = ?, next_attempt_at_ms = ?, last_problem = ? where target = ? and original_key = ?'),
  remove: database.prepare('delete from timeout_reversals where target = ? and original_key = ?'),
};
let queued = [];
let flushing = false;
function flush() {
  flushing = false;
  const group = queued;
  queued = [];
  if (group.length === 0) return;
  const changes = [];
  try {
    database.exec('begin immediate');
    for (const write of group) changes.push(Number(statements[write.statement].run(...write.parameters).changes));
    database.exec('commit');
    parentPort.postMessage({ ids: group.map((write) => write.id), changes });
  } catch (error) {
    try { database.exec('rollback'); } catch {}
    parentPort.postMessage({ ids: group.map((write) => write.id), error: String((error && error.message) || error) });
  }
}
parentPort.on('message', (message) => {
  if (message === 'close') { flush(); database.close(); parentPort.close(); return; }
  queued.push(message);
  // Everything that arrives while this turn lasts joins the same transaction.
  if (!flushing) { flushing = true; setImmediate(flush); }
});
`;

interface Waiting {
  resolve(changes: number): void;
  reject(error: Error): void;
}

export function startReversalStoreWriter(file: string, busyTimeoutMs = 5_000): ReversalStoreWriter {
  const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { file, busyTimeoutMs } });
  // The gateway may exit with writes owed to it only through close(), which waits for them.
  worker.unref();
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let failure: Error | undefined;
  let closed: Promise<void> | undefined;

  const failAll = (error: Error) => {
    failure = error;
    for (const entry of waiting.values()) entry.reject(error);
    waiting.clear();
  };
  worker.on('message', (result: { ids: number[]; changes?: number[]; error?: string }) => {
    result.ids.forEach((id, index) => {
      const entry = waiting.get(id);
      if (!entry) return;
      waiting.delete(id);
      if (result.error === undefined) entry.resolve(result.changes?.[index] ?? 0);
      else entry.reject(new Error(`the reversal store could not commit: ${result.error}`));
    });
  });
  worker.on('error', (error) => failAll(new Error(`the reversal store's writer failed: ${error.message}`)));
  worker.on('exit', () => failAll(new Error("the reversal store's writer has stopped")));

  return {
    write(statement, parameters) {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new Error('the reversal store is closed'));
      if (waiting.size >= MAX_QUEUED_WRITES) return Promise.reject(new Error(`${MAX_QUEUED_WRITES} writes already wait for the disk`));
      const id = nextId++;
      return new Promise<number>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, statement, parameters });
      });
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        if (failure) return resolve();
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      });
      return closed;
    },
  };
}
