import type { Targeting } from '@bank/shared-contracts';

// Moving app users back to primary gradually, so primary is not hit by every app at once. Percent
// targeting keeps the lowest hash buckets on stand-in, so lowering the percentage moves users back
// and never forth; a user list shrinks from its end.

/** The next, smaller targeting; `nobody` once the step would reach zero. */
export function stepBack(targeting: Targeting, stepPercent: number): Targeting {
  switch (targeting.mode) {
    case 'nobody':
      return targeting;
    case 'everyone':
      return 100 - stepPercent > 0 ? { mode: 'percent', percent: 100 - stepPercent } : { mode: 'nobody' };
    case 'percent':
      return targeting.percent - stepPercent > 0 ? { mode: 'percent', percent: targeting.percent - stepPercent } : { mode: 'nobody' };
    case 'users': {
      const remove = Math.max(1, Math.ceil((targeting.userIds.length * stepPercent) / 100));
      const left = targeting.userIds.slice(0, Math.max(0, targeting.userIds.length - remove));
      return left.length > 0 ? { mode: 'users', userIds: left } : { mode: 'nobody' };
    }
  }
}

/** `30s`, `5m`, `500ms` or a bare number of seconds. */
export function parseInterval(text: string): number | undefined {
  const match = /^(\d+)(ms|s|m)?$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] === 'ms' ? value : match[2] === 'm' ? value * 60_000 : value * 1_000;
}
