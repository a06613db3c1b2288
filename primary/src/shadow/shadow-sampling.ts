import type { MessageKey } from '@bank/shared-contracts';

// Which decided messages are copied to stand-in. By the message's key, not at random, so a
// message is in the sample or not wherever and however often it is looked at (a repeat of it, a
// re-run of a test, an engineer asking why one was or was not shadowed).

/** The message's bucket, 0 to 99: FNV-1a over its key. Cheap, because it runs on the card path. */
export function shadowBucket(key: MessageKey): number {
  let hash = 0x811c9dc5;
  for (const part of [key.stan, key.rrn, key.terminalId]) {
    for (let i = 0; i < part.length; i++) {
      hash ^= part.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    // A separator, so ('12', '3') and ('1', '23') do not hash alike.
    hash = Math.imul(hash ^ 0x1f, 0x01000193);
  }
  return (hash >>> 0) % 100;
}

/** Whether this message is in the sample. At 0 % nothing is hashed; at 100 % neither. */
export function shadowSampled(percent: number, key: MessageKey): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  return shadowBucket(key) < percent;
}
