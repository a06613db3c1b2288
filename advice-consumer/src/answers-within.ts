/**
 * Whether the work settled well within `budgetMs`; false when it failed or was still going (it is
 * left to finish on its own). For calls that may hang on a dead connection: a readiness probe, the
 * final nacks of a closing subscription.
 */
export async function answersWithin(work: Promise<unknown>, budgetMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), budgetMs)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
