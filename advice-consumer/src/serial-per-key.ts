/**
 * Runs tasks one after another for the same key and concurrently for different keys.
 *
 * Primary applies an account's advices strictly in sequence and refuses one whose predecessor is
 * not applied yet, so handing it an account's advices concurrently only produces refusals and
 * redeliveries. Pub/Sub delivers an ordering key's messages in order, but the client hands them
 * all to us at once; this is what keeps them in that order on the way to primary.
 */
export function createSerialPerKey() {
  const tails = new Map<string, Promise<void>>();
  return {
    /** Starts `task` once every task queued earlier for `key` has settled; settles as `task` does. */
    run(key: string, task: () => Promise<void>): Promise<void> {
      const result = (tails.get(key) ?? Promise.resolve()).then(task);
      // The chain goes on whether or not this task failed: the caller handles its result.
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      // Forget an idle key, so the map holds only keys with work queued (bounded by flow control).
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    /** Keys with a task running or queued. */
    get busyKeys(): number {
      return tails.size;
    },
  };
}
