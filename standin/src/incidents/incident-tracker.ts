import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ConfigurationDocument, StandinComponent, type Targeting } from '@bank/shared-contracts';
import { currentConfiguration } from '../configuration/configuration-store';
import { inTransaction, type Database, type Session } from '../store/database';
import { currentSyncState } from '../views/sync-state';

// The incident, written down: a record opens the moment stand-in is switched on for anyone and
// closes once everything is back on primary and primary has applied every advice. Run by every
// stand-in replica; one at a time does the work (an advisory lock), every few seconds, and keeps
// the peaks (sync lag, advices in flight) an engineer reports afterwards.

/** Serving someone: a component for some users, or direct connect. The daily cohort and shadow decisioning are routine, not incidents. */
export function standinServesAnyone(document: ConfigurationDocument): boolean {
  const targets = (targeting: Targeting) =>
    targeting.mode === 'everyone' || (targeting.mode === 'users' && targeting.userIds.length > 0) || (targeting.mode === 'percent' && targeting.percent > 0);
  return document.directConnect || StandinComponent.options.some((component) => targets(document.components[component]));
}

/** The version where the current run of "on" began: the one after the newest version with stand-in off. */
async function firstVersionOn(session: Session, current: number): Promise<{ version: number; decidedAt: string }> {
  const { rows } = await session.query<{ version: number; document: unknown }>(
    'select version, document from configuration_versions where version <= $1 order by version desc limit 1000',
    [current],
  );
  let first = rows[0] ? { version: rows[0].version, decidedAt: ConfigurationDocument.parse(rows[0].document).updatedAt } : { version: current, decidedAt: '' };
  for (const row of rows) {
    const document = ConfigurationDocument.parse(row.document);
    if (!standinServesAnyone(document)) break;
    first = { version: row.version, decidedAt: document.updatedAt };
  }
  return first;
}

export type IncidentTick = { readonly kind: 'none' } | { readonly kind: 'opened' | 'closed' | 'open'; readonly incidentId: string };

/** One look: open, note the peaks, or close. Exported for tests, which drive it with their own clock. */
export async function trackIncident(database: Database, now: Date): Promise<IncidentTick> {
  return inTransaction(database, async (session) => {
    const lock = await session.query<{ got: boolean }>("select pg_try_advisory_xact_lock(hashtext('standin-incidents')) as got");
    if (!lock.rows[0]?.got) return { kind: 'none' };
    const document = await currentConfiguration(session);
    const serving = standinServesAnyone(document);
    const open = (await session.query<{ incident_id: string }>('select incident_id from incidents where closed_at is null')).rows[0];
    if (!open && !serving) return { kind: 'none' };
    // Cheap by design (one row, one count on the in-flight index): this runs every few seconds
    // while stand-in is carrying an incident's load.
    const sync = await currentSyncState(session, now);
    const inFlight = await session.query<{ count: string }>('select count(*) as count from advices where applied_seen_at is null');
    const advicesInFlight = Number(inFlight.rows[0]?.count ?? 0);
    const lagMs = Math.min(2_147_483_647, sync?.lagMs ?? 0);
    if (!open) {
      const first = await firstVersionOn(session, document.version);
      const incidentId = randomUUID();
      await session.query(
        `insert into incidents (incident_id, opened_at, opened_version, peak_sync_lag_ms, peak_advices_in_flight) values ($1, $2, $3, $4, $5)`,
        [incidentId, first.decidedAt || now.toISOString(), first.version, lagMs, advicesInFlight],
      );
      return { kind: 'opened', incidentId };
    }
    await session.query(
      `update incidents set peak_sync_lag_ms = greatest(peak_sync_lag_ms, $2), peak_advices_in_flight = greatest(peak_advices_in_flight, $3) where incident_id = $1`,
      [open.incident_id, lagMs, advicesInFlight],
    );
    if (!serving && advicesInFlight === 0) {
      await session.query('update incidents set closed_at = $2, closed_version = $3 where incident_id = $1', [
        open.incident_id,
        now.toISOString(),
        document.version,
      ]);
      return { kind: 'closed', incidentId: open.incident_id };
    }
    return { kind: 'open', incidentId: open.incident_id };
  });
}

export const INCIDENT_CHECK_MS = 5_000;

export function startIncidentTracker(deps: { database: Database; logger: Logger; now: () => Date; intervalMs?: number }) {
  let running = true;
  let wake: (() => void) | undefined;
  let failing = false;
  const loop = (async () => {
    while (running) {
      try {
        const tick = await trackIncident(deps.database, deps.now());
        if (tick.kind === 'opened')
          deps.logger.warn({ incidentId: tick.incidentId }, 'incident opened: stand-in is serving customers (standin incident report <id>)');
        if (tick.kind === 'closed')
          deps.logger.warn({ incidentId: tick.incidentId }, 'incident closed: everyone is back on primary and every advice is applied');
        failing = false;
      } catch (error) {
        if (!failing) deps.logger.warn({ err: error }, 'could not update the incident record; trying again');
        failing = true;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deps.intervalMs ?? INCIDENT_CHECK_MS);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
