import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { PrimaryClient } from './primary-client';
import { reconcile, redriveMissing } from './reconciliation';
import { fetchPrimaryApplied, fetchPrimaryQuarantined, fetchStandinLog } from './reconciliation-sources';

/**
 * Stand-in's log is the truth and Pub/Sub only the transport: when the transport loses advices
 * (the emulator keeps nothing across a restart, and we have seen it not redeliver ordered
 * messages leased to a subscriber that was killed), this loop finds advices older than
 * `minimumAgeMs` that primary has not applied and applies them straight from stand-in's log.
 * The age keeps it out of the way of normal delivery; primary's dedupe makes any race harmless.
 */
export function startRedriveLoop(deps: {
  standin: { url: string; token: string };
  primaryApi: { url: string; token: string };
  primary: PrimaryClient;
  logger: Logger;
  redriven: Counter;
  intervalMs: number;
  minimumAgeMs: number;
}) {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const pass = async () => {
    const cutoff = Date.now() - deps.minimumAgeMs;
    const log = (await fetchStandinLog(deps.standin)).filter((advice) => Date.parse(advice.createdAt) <= cutoff);
    // Quarantined advices are not re-sent: primary has them, and only an operator's fix can help.
    const report = reconcile(log, await fetchPrimaryApplied(deps.primaryApi), new Date(), await fetchPrimaryQuarantined(deps.primaryApi));
    const missing = report.accounts.reduce((sum, account) => sum + account.missing.length, 0);
    if (missing === 0) return;
    const result = await redriveMissing(report, log, deps.primary);
    deps.redriven.inc(result.applied);
    deps.logger.warn({ missing, applied: result.applied, failed: result.failed.length }, 'advices missing from Pub/Sub delivery were applied from stand-in\'s log');
  };
  const schedule = () => {
    if (!running) return;
    timer = setTimeout(() => {
      pass()
        .catch((error: unknown) => deps.logger.warn({ err: error }, 're-drive pass failed; trying again next interval'))
        .finally(schedule);
    }, deps.intervalMs);
  };
  schedule();
  return {
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
  };
}
