import fs from 'node:fs';
import type { ComponentStatus } from '@bank/infra';

// The infrastructure is shared (another engineer's tests may kill, pause or restart a component
// mid-run). A run during which that happened is still reported, but says so.

/** Components that were not healthy at either end of the run, or whose process changed in between. */
export function disturbedComponents(before: readonly ComponentStatus[], after: readonly ComponentStatus[]): string[] {
  return after
    .filter((now) => {
      const then = before.find((status) => status.name === now.name);
      return then?.state !== 'healthy' || now.state !== 'healthy' || then.pid !== now.pid;
    })
    .map((status) => `${status.name} (${status.state}${before.find((then) => then.name === status.name)?.pid !== status.pid ? ', restarted' : ''})`);
}

/**
 * How many processes on this machine run `entry` (a built entry point such as
 * `advice-consumer/dist/main.js`): someone else's copy of a service that shares a Pub/Sub
 * subscription with the benchmark's own takes messages from it. Linux only; 0 elsewhere.
 */
export function otherProcessesRunning(entry: string): number {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  return entries.filter((pid) => {
    try {
      return fs
        .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')
        .some((argument) => argument.endsWith(entry));
    } catch {
      return false;
    }
  }).length;
}
