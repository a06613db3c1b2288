import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { PrimaryClient } from './primary-client';
import { fetchPrimaryKnown, fetchStandinRedriveCandidates } from './reconciliation-sources';

/** Most candidates one pass offers primary: a long sync lag makes many, and the next pass takes the rest. */
const PASS_LIMIT = 2_000;

/**
 * Stand-in's log is the truth and Pub/Sub only the transport: when the transport loses advices
 * (the emulator keeps nothing across a restart, and we have seen it not redeliver ordered
 * messages leased to a subscriber that was killed), this loop finds advices older than
 * `minimumAgeMs` that primary has not applied and applies them straight from stand-in's log.
 * The age keeps it out of the way of normal delivery; primary's dedupe makes any race harmless.
 *
 * Its candidates are the advices stand-in has not yet seen primary apply (their correlation id
 * has not synced back), less those primary says it has (one call), not the whole log against
 * everything primary ever applied: a pass costs what is in flight, however long the bank has run.
 * Each account's are offered in sequence, and an account stops at its first that does not apply,
 * as its later ones would wait for it.
 */
export function startRedriveLoop(deps: {
  standin: { url: string; token: string };
  primaryApi: { url: string; token: string };
  primary: PrimaryClient;
  logger: Logger;
  redriven: Counter;
  intervalMs: number;
  minimumAgeMs: number;
  /** Told when a pass applied advices older than `minimumAgeMs`: Pub/Sub had not delivered them. */
  onMissing?: () => void;
}) {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  const pass = async () => {
    const cutoff = new Date(Date.now() - deps.minimumAgeMs);
    const unseen = await fetchStandinRedriveCandidates(deps.standin, cutoff, PASS_LIMIT);
    if (unseen.length === 0) return;
    // Most are applied already and only not seen back yet (the sync lags, or Kafka is down): asked in one call, not one apply each.
    const known = await fetchPrimaryKnown(
      deps.primaryApi,
      unseen.map((advice) => advice.adviceId),
    );
    const candidates = unseen.filter((advice) => !known.has(advice.adviceId));
    if (candidates.length === 0) return;
    const stopped = new Set<string>();
    let applied = 0;
    let failed = 0;
    for (const advice of candidates) {
      if (!running) return;
      if (stopped.has(advice.accountId)) continue;
      const result = await deps.primary.apply(advice).catch((error: unknown) => ({ kind: 'unavailable' as const, reason: (error as Error).message }));
      if (result.kind === 'applied') applied++;
      else if (result.kind !== 'duplicate' && result.kind !== 'quarantined') {
        failed++;
        stopped.add(advice.accountId);
      }
    }
    deps.redriven.inc(applied);
    // Primary took them at once, so Pub/Sub had not delivered them (not primary holding them up).
    if (applied > 0) deps.onMissing?.();
    if (applied + failed > 0)
      deps.logger.warn(
        { candidates: candidates.length, applied, accountsNotApplying: failed },
        "advices missing from Pub/Sub delivery were applied from stand-in's log",
      );
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
