import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { currentConfiguration } from './configuration-store';

// Prescale: scale stand-in up before traffic is moved to it. In this deployment stand-in is one
// process, so "up" is its database pool: while prescale is on, every connection the pool may hold
// is kept open, and the first wave of payments after a switch-over does not queue behind
// connection set-up. Checked on a timer (the flag may arrive from primary while nobody is
// watching) and at once when a change lands here.

export interface PrescaleKeeper {
  /** Check the flag now (after a configuration change). */
  check(): void;
  stop(): Promise<void>;
}

export function startPrescaleKeeper(deps: { database: Database; logger: Logger; intervalMs?: number }): PrescaleKeeper {
  const { database, logger } = deps;
  let prescaled = false;
  let running: Promise<void> = Promise.resolve();

  const openMissingConnections = async () => {
    const missing = database.options.max - database.totalCount;
    if (missing <= 0) return;
    const sessions = await Promise.allSettled(Array.from({ length: missing }, () => database.connect()));
    for (const session of sessions) if (session.status === 'fulfilled') session.value.release();
  };

  const tick = async () => {
    const wanted = (await currentConfiguration(database)).prescale;
    if (wanted !== prescaled)
      logger.warn(
        { prescale: wanted },
        wanted ? 'prescale on: holding the whole database pool open' : 'prescale off: the database pool shrinks back on its own',
      );
    prescaled = wanted;
    // Idle connections close after the pool's idle timeout; re-opening each tick keeps it full.
    if (prescaled) await openMissingConnections();
  };
  const check = () => {
    running = running.then(tick).catch((failure: unknown) => logger.warn({ err: failure }, 'prescale check failed; will retry'));
  };
  const timer = setInterval(check, deps.intervalMs ?? 5_000);
  check();
  return {
    check,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
