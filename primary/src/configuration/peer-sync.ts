import { createHash } from 'node:crypto';
import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { CONFIGURATION_ROUTES, ConfigurationDocument, safeParseContract, sameConfiguration } from '@bank/shared-contracts';
import { isDatabaseUnavailable } from '../platform/db';
import { withinMs } from '../platform/deadline';
import type { PrimaryMetrics } from '../platform/metrics';
import type { ConfigurationCache } from './configuration-cache';
import type { ConfigurationStore } from './configuration-store';

// Convergence with stand-in: primary reads stand-in's configuration every few seconds and takes
// it if it is newer, so a change an incident engineer made on stand-in while primary was down
// reaches primary when it is back. Only the higher version wins; nothing is merged.

export type PeerSyncOutcome = 'adopted' | 'adopted_unrecorded' | 'current' | 'behind' | 'conflict' | 'unavailable' | 'no_service' | 'refused' | 'invalid';

/** How long recording stand-in's newer document may take before primary routes by it unrecorded. */
const RECORD_BUDGET_MS = 1_000;

/** How primary is recorded in the audit when it takes stand-in's document. */
export const PEER_RECORDED_BY = 'peer:standin';

type PeerAnswer = { readonly status: number; readonly body: unknown };

export interface ConfigurationPeerSync {
  /** One read of stand-in's configuration, adopting it if newer. Never throws. */
  syncOnce(): Promise<PeerSyncOutcome>;
  /** Reads every `intervalMs` until stopped; one read at a time. */
  start(intervalMs: number): { stop(): Promise<void> };
}

export function createConfigurationPeerSync(deps: {
  standinUrl: string;
  /** Primary's own credential (PRIMARY_TOKEN): primary reads stand-in's configuration as itself, not as an operator. */
  primaryCredential: string;
  timeoutMs: number;
  store: ConfigurationStore;
  cache: ConfigurationCache;
  logger: Logger;
  metrics: PrimaryMetrics;
}): ConfigurationPeerSync {
  const { store, cache, logger, metrics } = deps;
  const url = `${deps.standinUrl}${CONFIGURATION_ROUTES.current}`;
  const read = async (): Promise<PeerAnswer> => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${deps.primaryCredential}` }, signal: AbortSignal.timeout(deps.timeoutMs) });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  };
  // A stand-in that is down costs one failed call per reset period instead of one per tick.
  const breaker = new CircuitBreaker(read, {
    timeout: deps.timeoutMs + 250,
    volumeThreshold: 3,
    errorThresholdPercentage: 50,
    resetTimeout: 5_000,
    name: 'standin-configuration',
  });

  // Problems are logged when they start and when they end, not on every tick: stand-in being
  // unreachable is exactly the situation the rest of primary must keep working through.
  let ongoingProblem: PeerSyncOutcome | undefined;
  const conflictsReported = new Set<string>();
  let recordFailing = false;
  /** Taken from stand-in and routed by, but not yet in primary's database. */
  let unrecorded: ConfigurationDocument | undefined;

  function problem(outcome: PeerSyncOutcome, message: string, details: Record<string, unknown> = {}): PeerSyncOutcome {
    if (ongoingProblem !== outcome) logger.warn({ outcome, url, ...details }, message);
    else logger.debug({ outcome, url, ...details }, message);
    ongoingProblem = outcome;
    return outcome;
  }

  function reportConflict(ours: ConfigurationDocument, theirs: ConfigurationDocument): void {
    const pair = createHash('sha256')
      .update(JSON.stringify([ours, theirs]))
      .digest('hex');
    if (conflictsReported.has(pair)) return;
    if (conflictsReported.size > 1_000) conflictsReported.clear();
    conflictsReported.add(pair);
    logger.error(
      {
        version: ours.version,
        ours: { updatedBy: ours.updatedBy, updatedAt: ours.updatedAt, reason: ours.reason },
        standin: { updatedBy: theirs.updatedBy, updatedAt: theirs.updatedAt, reason: theirs.reason },
      },
      "primary and stand-in hold different configurations at the same version; primary keeps its own until stand-in settles the split with a newer version (stand-in's stands), which primary then adopts",
    );
  }

  async function syncOnce(): Promise<PeerSyncOutcome> {
    const outcome = await attempt();
    metrics.configurationPeerSync.inc({ outcome });
    return outcome;
  }

  async function attempt(): Promise<PeerSyncOutcome> {
    let answer: PeerAnswer;
    try {
      answer = (await breaker.fire()) as PeerAnswer;
    } catch (error) {
      return problem('unavailable', "cannot reach stand-in's configuration; primary keeps its own", { reason: (error as Error).message });
    }
    if (answer.status === 404) return problem('no_service', 'stand-in has no configuration API (404); primary keeps its own');
    if (answer.status === 401 || answer.status === 403)
      return problem('refused', "stand-in refused primary's token for its configuration: check that stand-in accepts PRIMARY_TOKEN", { status: answer.status });
    if (answer.status !== 200) return problem('unavailable', 'stand-in did not serve its configuration; primary keeps its own', { status: answer.status });
    const parsed = safeParseContract("stand-in's configuration document", ConfigurationDocument, answer.body);
    if (!parsed.ok) return problem('invalid', "stand-in's configuration document is invalid; ignored", { issues: parsed.error.issues });
    if (ongoingProblem) logger.info({ url, after: ongoingProblem }, "stand-in's configuration readable again");
    ongoingProblem = undefined;

    const theirs = parsed.value;
    const ours = cache.current();
    if (theirs.version < ours.version) return 'behind';
    if (theirs.version === ours.version) {
      if (sameConfiguration(theirs, ours)) {
        // Routing already follows it; the database may still lack it (it was down when we took it).
        return unrecorded?.version === theirs.version ? record(theirs) : 'current';
      }
      reportConflict(ours, theirs);
      return 'conflict';
    }
    return record(theirs);
  }

  async function record(theirs: ConfigurationDocument): Promise<PeerSyncOutcome> {
    try {
      // Bounded: a hung database never refuses, and routing must not wait for it to follow stand-in.
      const result = await withinMs(store.adopt(theirs, PEER_RECORDED_BY), RECORD_BUDGET_MS, "recording stand-in's configuration");
      if (recordFailing) logger.info({ version: theirs.version }, "stand-in's configuration recorded in primary's database");
      recordFailing = false;
      unrecorded = undefined;
      cache.offer(result.current);
      if (result.kind === 'adopted') {
        logger.warn({ version: theirs.version, updatedBy: theirs.updatedBy, reason: theirs.reason }, "adopted stand-in's newer configuration");
        return 'adopted';
      }
      if (result.kind === 'already_current') return 'current';
      // Another primary process got further than this one's cache: the database has the newer version.
      if (result.current.version === theirs.version) reportConflict(result.current, theirs);
      return result.current.version === theirs.version ? 'conflict' : 'behind';
    } catch (error) {
      // Only an unreachable database: any other failure is a real refusal, and routing must not
      // run ahead of what primary holds.
      if (!isDatabaseUnavailable(error)) {
        if (!recordFailing) logger.warn({ err: error, version: theirs.version }, "could not record stand-in's newer configuration; trying again every tick");
        recordFailing = true;
        return 'unavailable';
      }
      // Primary's own database is down (the very outage an engineer may be routing users to
      // stand-in for): route by the newer document now, from memory, and record it once the
      // database is back. Refusing it would keep sending payments to a primary that cannot decide them.
      if (!recordFailing)
        logger.warn(
          { err: error, version: theirs.version },
          "could not record stand-in's newer configuration; routing by it anyway and recording it when the database is back",
        );
      recordFailing = true;
      unrecorded = theirs;
      cache.offer(theirs);
      return 'adopted_unrecorded';
    }
  }

  return {
    syncOnce,
    start(intervalMs) {
      // A tick that finds the previous read still going skips: reads never pile up behind a slow database.
      let inFlight: Promise<unknown> | undefined;
      const tick = () => void (inFlight ??= syncOnce().finally(() => (inFlight = undefined)));
      const timer = setInterval(tick, intervalMs);
      // At once as well: a primary back from an outage catches up with what operators changed on stand-in meanwhile.
      tick();
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await inFlight;
          breaker.shutdown();
        },
      };
    },
  };
}
