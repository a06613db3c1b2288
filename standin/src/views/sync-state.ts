import type { Database, Session } from '../store/database';

// How far behind primary stand-in's synced data is, as stand-in should say it: the syncer's last
// measured lag, unless the syncer has not said it heard Kafka for longer than its appetite (it
// writes sync_lag.heard_at about once a second while it hears Kafka). Then the silence is the lag:
// a dead syncer, a dead Kafka and a partition between them leave the last measurement in place,
// and stand-in must not go on calling its data current.

export interface SyncLagRow {
  readonly lag_ms: number;
  readonly alerting: boolean;
  readonly heard_at: Date | null;
  readonly appetite_ms: number | null;
}

export interface SyncState {
  readonly lagMs: number;
  readonly alerting: boolean;
  /** Stand-in has primary's changes up to about this time. */
  readonly asOf: Date;
  /** Set while nothing has been heard from the syncer for longer than its appetite. */
  readonly syncerSilentMs?: number;
}

/** A syncer from before the heartbeat (heard_at null) is taken at its word, as before. */
export function syncStateOf(row: SyncLagRow, now: Date): SyncState {
  const measured = Math.max(0, Math.round(row.lag_ms));
  const silentMs = row.heard_at ? now.getTime() - row.heard_at.getTime() : undefined;
  if (silentMs !== undefined && row.appetite_ms !== null && silentMs > row.appetite_ms) {
    const lagMs = Math.max(measured, silentMs);
    return { lagMs, alerting: true, asOf: new Date(now.getTime() - lagMs), syncerSilentMs: silentMs };
  }
  return { lagMs: measured, alerting: row.alerting, asOf: new Date(now.getTime() - measured) };
}

/** The current state, or undefined before the syncer's first word. */
export async function currentSyncState(db: Session | Database, now: Date): Promise<SyncState | undefined> {
  const row = (await db.query<SyncLagRow>('select lag_ms, alerting, heard_at, appetite_ms from sync_lag')).rows[0];
  return row ? syncStateOf(row, now) : undefined;
}
