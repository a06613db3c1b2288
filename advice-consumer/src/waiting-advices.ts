/**
 * Advices primary refused as out of order (an earlier one of the account not applied yet), held
 * in memory, still leased from Pub/Sub, instead of nacked. Usually the earlier one is already on
 * its way (a redelivery, or an advice just ahead in the queue), and the held one can go to primary
 * the moment it is applied. When the earlier one is lost in transport, only the re-drive loop
 * brings it, straight to primary; the consumer re-offers the account's lowest held advice now and
 * then (`lowest`) to notice.
 *
 * Why hold rather than nack: a nack is redelivered at once (the emulator ignores a subscription's
 * retry policy), and primary refuses the copy again: a loop.
 *
 * Bounded both ways, so holding never replaces Pub/Sub as the place advices wait:
 * - time: after `maxHoldMs` an advice is given back (`onGiveBack`), well within the client's
 *   lease extension, and Pub/Sub keeps it safe;
 * - count: past `maxHeld` an advice is given back at once (a safety net: the consumer sets it to
 *   its lease window, which holds at most that many messages anyway).
 */
export function createWaitingAdvices<T>(options: { maxHeld: number; maxHoldMs: number; onGiveBack: (item: T, why: 'full' | 'held too long') => void }) {
  interface Waiting {
    readonly sequence: number;
    readonly item: T;
    readonly timer: NodeJS.Timeout;
  }
  const byAccount = new Map<string, Waiting[]>();
  let held = 0;

  const remove = (accountId: string, waiting: Waiting) => {
    const list = byAccount.get(accountId);
    const index = list?.indexOf(waiting) ?? -1;
    if (!list || index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) byAccount.delete(accountId);
    clearTimeout(waiting.timer);
    held -= 1;
    return true;
  };

  /** The held advice of `accountId` with the lowest sequence among those `eligible`, taken out. */
  const takeLowest = (accountId: string, eligible: (sequence: number) => boolean): T | undefined => {
    let best: Waiting | undefined;
    for (const waiting of byAccount.get(accountId) ?? []) if (eligible(waiting.sequence) && (!best || waiting.sequence < best.sequence)) best = waiting;
    if (!best) return undefined;
    remove(accountId, best);
    return best.item;
  };

  return {
    /** Holds `item` (the advice `sequence` of `accountId`) until taken or `holdMs` (default `maxHoldMs`) has passed; gives it back at once when full. */
    hold(accountId: string, sequence: number, item: T, holdMs = options.maxHoldMs): void {
      if (held >= options.maxHeld) return options.onGiveBack(item, 'full');
      const waiting: Waiting = {
        sequence,
        item,
        timer: setTimeout(
          () => {
            if (remove(accountId, waiting)) options.onGiveBack(item, 'held too long');
          },
          Math.max(0, holdMs),
        ),
      };
      byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), waiting]);
      held += 1;
    },

    /**
     * The held advice of `accountId` with the lowest sequence at or below `expectedSequence`
     * (what primary will apply next; anything lower is a redelivery primary will call a
     * duplicate), taken out of the waiting room; undefined when none is held.
     */
    take(accountId: string, expectedSequence: number): T | undefined {
      return takeLowest(accountId, (sequence) => sequence <= expectedSequence);
    },

    /** The held advice of `accountId` with the lowest sequence, whatever it is, taken out (to offer primary again). */
    lowest(accountId: string): T | undefined {
      return takeLowest(accountId, () => true);
    },

    /** Every held advice of `accountId`, lowest sequence first, taken out (to go to primary with the account's next batch). */
    takeAccount(accountId: string): T[] {
      const list = [...(byAccount.get(accountId) ?? [])].sort((a, b) => a.sequence - b.sequence);
      for (const waiting of list) remove(accountId, waiting);
      return list.map((waiting) => waiting.item);
    },

    /** Whether anything of `accountId` is held. */
    holds(accountId: string): boolean {
      return byAccount.has(accountId);
    },

    /** Everything held, taken out (on stop). */
    takeAll(): T[] {
      const all = [...byAccount.values()].flat();
      for (const waiting of all) clearTimeout(waiting.timer);
      byAccount.clear();
      held = 0;
      return all.map((waiting) => waiting.item);
    },

    get held(): number {
      return held;
    },
  };
}
