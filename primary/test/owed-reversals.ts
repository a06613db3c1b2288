import type { Db } from '../src/platform/db';

// What the timeout-reversal tests read: an owed reversal's row, and a wait for the event they mean.

export async function owedReversalRow(db: Db, key: { stan: string; rrn: string; terminalId: string }) {
  const { rows } = await db.query<{ owed_to: string; reason: string; reversal_without_pan: object; pan_encrypted: object; attempts: number }>(
    `select owed_to, reason, reversal_without_pan, pan_encrypted, attempts from timeout_reversals_owed
      where original_stan = $1 and original_rrn = $2 and original_terminal_id = $3`,
    [key.stan, key.rrn, key.terminalId],
  );
  return rows[0];
}

export async function until(what: string, done: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
