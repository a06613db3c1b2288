import {
  ConfigurationDocument,
  INITIAL_CONFIGURATION,
  sameConfiguration,
  type AdoptResult,
  type ConfigurationAuditEntry,
  type ConfigurationChange,
} from '@bank/shared-contracts';
import { inTransaction, type Database, type Session } from '../store/database';

// Stand-in's copy of the stand-in configuration, in its own database so it answers when primary
// is completely down. Versions only ever go up: a change must name the version it was based on,
// and a document from primary is adopted only if it is newer, so the two sides converge on the
// highest version and nothing is ever merged.

export class StaleConfiguration extends Error {
  readonly code = 'CONFIGURATION_STALE';
}

// Transaction-scoped: writers take turns, so two changes based on one version cannot both land.
const WRITER_LOCK = "select pg_advisory_xact_lock(hashtext('standin-configuration'))";

export async function currentConfiguration(database: Database | Session): Promise<ConfigurationDocument> {
  const row = (await database.query<{ document: unknown }>('select document from configuration_versions order by version desc limit 1')).rows[0];
  return row ? ConfigurationDocument.parse(row.document) : INITIAL_CONFIGURATION;
}

const describe = (document: ConfigurationDocument) => `version ${document.version} (${document.updatedBy} at ${document.updatedAt}: "${document.reason}")`;

export async function changeConfiguration(
  database: Database,
  request: { operator: string; change: ConfigurationChange; now: Date },
): Promise<ConfigurationDocument> {
  const { change } = request;
  return inTransaction(database, async (session) => {
    await session.query(WRITER_LOCK);
    const current = await currentConfiguration(session);
    if (change.basedOnVersion !== current.version) {
      throw new StaleConfiguration(
        `this change was based on version ${change.basedOnVersion}, but stand-in now holds ${describe(current)}; read the configuration again and re-apply your change`,
      );
    }
    const next = ConfigurationDocument.parse({
      version: current.version + 1,
      updatedAt: request.now.toISOString(),
      updatedBy: request.operator,
      reason: change.reason,
      components: { ...current.components, ...change.components },
      prescale: change.prescale ?? current.prescale,
      directConnect: change.directConnect ?? current.directConnect,
      shadow: change.shadow ?? current.shadow,
      dailyCohort: change.dailyCohort ?? current.dailyCohort,
      standinRules: change.standinRules ?? current.standinRules,
    });
    await record(session, next, 'change', request.operator);
    return next;
  });
}

/** Who a version that settles a split is recorded as made by. */
export const SPLIT_SETTLED_BY = 'standin:split-settlement';

/**
 * Settles a split: primary holds `theirs`, a different document at stand-in's own current version
 * (two changes, one on each side, made while the platforms could not reach each other). Neither
 * side may rewrite a version it holds (the audit is append-only), and waiting for an engineer
 * leaves the gateway, the apps and the two platforms routing by two documents at 3 a.m. So stand-in,
 * and only stand-in (no loop of each side re-asserting its own), records its own document again as
 * the next version, saying in the reason which change it keeps and which it drops; primary adopts
 * it as any newer version. Stand-in's stands because stand-in is where the CLI writes first and the
 * platform an incident depends on. Does nothing (undefined) when the split is no longer as found:
 * another replica settled it, or a change moved on.
 */
export async function settleSplit(database: Database, theirs: ConfigurationDocument, now: Date): Promise<ConfigurationDocument | undefined> {
  return inTransaction(database, async (session) => {
    await session.query(WRITER_LOCK);
    const current = await currentConfiguration(session);
    if (current.version !== theirs.version || sameConfiguration(current, theirs)) return undefined;
    const next = ConfigurationDocument.parse({
      ...current,
      version: current.version + 1,
      updatedAt: now.toISOString(),
      updatedBy: SPLIT_SETTLED_BY,
      reason:
        `settles a split at version ${current.version}: stand-in's "${current.reason}" by ${current.updatedBy} stands; primary's "${theirs.reason}" by ${theirs.updatedBy} is dropped`.slice(
          0,
          500,
        ),
    });
    await record(session, next, 'change', SPLIT_SETTLED_BY);
    return next;
  });
}

export async function adoptConfiguration(database: Database, offered: ConfigurationDocument, by: string): Promise<AdoptResult> {
  return inTransaction(database, async (session) => {
    await session.query(WRITER_LOCK);
    const current = await currentConfiguration(session);
    if (offered.version > current.version) {
      await record(session, offered, 'adopted', by);
      return { adopted: true, current: offered };
    }
    if (sameConfiguration(offered, current)) return { adopted: false, reason: `already at version ${current.version}`, current };
    throw new StaleConfiguration(
      offered.version === current.version
        ? `stand-in holds a different document at version ${current.version} (${describe(current)}); stand-in settles the split with a new version within seconds of reading primary's, or a new change does`
        : `stand-in already holds ${describe(current)}, newer than the offered version ${offered.version}`,
    );
  });
}

export async function configurationAudit(database: Database, limit: number): Promise<ConfigurationAuditEntry[]> {
  const { rows } = await database.query<{ version: number; document: unknown; source: 'change' | 'adopted'; recorded_by: string; recorded_at: Date }>(
    'select version, document, source, recorded_by, recorded_at from configuration_versions order by version desc limit $1',
    [limit],
  );
  return rows.map((row) => ({
    version: row.version,
    recordedAt: row.recorded_at.toISOString(),
    source: row.source,
    recordedBy: row.recorded_by,
    document: ConfigurationDocument.parse(row.document),
  }));
}

async function record(session: Session, document: ConfigurationDocument, source: 'change' | 'adopted', by: string): Promise<void> {
  await session.query('insert into configuration_versions (version, document, source, recorded_by) values ($1, $2, $3, $4)', [
    document.version,
    JSON.stringify(document),
    source,
    by,
  ]);
}
