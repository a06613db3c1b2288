import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

// The machine's floor for committing one transaction at a time: how many 8 kB WAL writes a second
// its disk syncs (pg_test_fsync, PostgreSQL's own tool). Concurrent commits share a sync (group
// commit), so a database can commit more transactions than this, but a benchmark reader needs it
// to tell a slow disk from slow code.

const PG_TEST_FSYNC = '/usr/lib/postgresql/15/bin/pg_test_fsync';

export interface FsyncFloor {
  readonly command: string;
  /** ops/s of one 8 kB write then fdatasync (Linux's default wal_sync_method). */
  readonly fdatasyncOpsPerSecond: number | undefined;
  /** ops/s of one 8 kB write with open_datasync (O_DSYNC), for comparison. */
  readonly openDatasyncOpsPerSecond: number | undefined;
}

/** `undefined` when the binary is not installed: the report says so rather than guessing. */
export function measureFsyncFloor(directory: string, secondsPerTest = 1, limitMs = 60_000): Promise<FsyncFloor | undefined> {
  if (!fs.existsSync(PG_TEST_FSYNC)) return Promise.resolve(undefined);
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(directory, 'pg_test_fsync.out');
  const args = ['-s', String(secondsPerTest), '-f', file];
  return new Promise((resolve, reject) => {
    const child = spawn(PG_TEST_FSYNC, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${PG_TEST_FSYNC}: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fs.rmSync(file, { force: true });
      if (code !== 0) return reject(new Error(`pg_test_fsync failed (exit ${code}):\n${output.slice(-1000)}`));
      // The first section is "one 8kB write"; its lines read "<method>   <n> ops/sec   <m> usecs/op".
      const firstSection = output.split(/\n\s*\n/).find((section) => section.includes('using one 8kB write')) ?? '';
      const opsOf = (method: string) => {
        const match = new RegExp(`^\\s*${method}\\s+([\\d.]+) ops/sec`, 'm').exec(firstSection);
        return match ? Number(match[1]) : undefined;
      };
      resolve({ command: `${PG_TEST_FSYNC} ${args.join(' ')}`, fdatasyncOpsPerSecond: opsOf('fdatasync'), openDatasyncOpsPerSecond: opsOf('open_datasync') });
    });
  });
}
