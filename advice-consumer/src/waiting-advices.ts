/**
 * Advices primary refused as out of order (an earlier one of the account not applied yet), held
 * in memory instead of nacked at once. Usually the earlier one is already on its way (a
 * redelivery, or an advice just ahead in the queue), and the held one can go to primary the
 * moment it is applied, instead of travelling back through Pub/Sub and being refused again.
 *
 * Bounded both ways, so holding never replaces Pub/Sub as the place advices wait:
 * - count: a held message keeps its flow-control slot, and the missing predecessor needs a free
 *   slot to be delivered at all; past `maxHeld` a refused advice is given back (`onGiveBack`);
 * - time: after `maxWaitMs` a held advice is given back too (its predecessor may be lost and only
 *   the re-drive loop will bring it; Pub/Sub keeps it safe meanwhile).
 */
export function createWaitingAdvices<T>(options: { maxHeld: number; maxWaitMs: number; onGiveBack: (item: T, why: 'full' | 'waited too long') => void }) {
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

  return {
    /** Holds `item` (the advice `sequence` of `accountId`) until taken, or gives it back when full. */
    hold(accountId: string, sequence: number, item: T): void {
      if (held >= options.maxHeld) return options.onGiveBack(item, 'full');
      const waiting: Waiting = {
        sequence,
        item,
        timer: setTimeout(() => {
          if (remove(accountId, waiting)) options.onGiveBack(item, 'waited too long');
        }, options.maxWaitMs),
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
      const list = byAccount.get(accountId) ?? [];
      let best: Waiting | undefined;
      for (const waiting of list) if (waiting.sequence <= expectedSequence && (!best || waiting.sequence < best.sequence)) best = waiting;
      if (!best) return undefined;
      remove(accountId, best);
      return best.item;
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
