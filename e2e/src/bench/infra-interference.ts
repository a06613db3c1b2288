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
