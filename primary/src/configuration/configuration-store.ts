import {
  ConfigurationDocument,
  INITIAL_CONFIGURATION,
  parseContract,
  sameConfiguration,
  type ConfigurationAuditEntry,
  type ConfigurationChange,
} from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { configurationErrors } from './configuration-errors';

// Primary's copy of the stand-in configuration. Versions only go up: a change must name the
// version it was based on, and a whole document from stand-in is taken only if it is newer, so
// the two platforms converge on the highest version and nothing is ever merged.

/** What happened to a document offered for adoption. `stale`: primary holds a newer one, or a different one at that version. */
export type AdoptOutcome =
  | { readonly kind: 'adopted'; readonly current: ConfigurationDocument }
  | { readonly kind: 'already_current'; readonly current: ConfigurationDocument }
  | { readonly kind: 'stale'; readonly current: ConfigurationDocument };

// Writers take turns on this transaction-scoped lock, so two changes based on the same version
// cannot both read it as current; readers are never blocked.
const WRITER_LOCK = 7_310_002;

export type ConfigurationStore = ReturnType<typeof createConfigurationStore>;

export function createConfigurationStore(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function current(queryable: Db | Tx = db): Promise<ConfigurationDocument> {
    const { rows } = await queryable.query<{ document: unknown }>('select document from configuration_versions order by version desc limit 1');
    return rows[0] ? parseContract('stored configuration document', ConfigurationDocument, rows[0].document) : INITIAL_CONFIGURATION;
  }

  async function record(tx: Tx, document: ConfigurationDocument, source: 'change' | 'adopted', recordedBy: string): Promise<void> {
    await tx.query('insert into configuration_versions (version, document, source, recorded_by, recorded_at) values ($1, $2, $3, $4, $5)', [
      document.version,
      JSON.stringify(document),
      source,
      recordedBy,
      clock.now(),
    ]);
  }

  async function locked<T>(work: (tx: Tx, current: ConfigurationDocument) => Promise<T>): Promise<T> {
    return withTransaction(db, async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [WRITER_LOCK]);
      return work(tx, await current(tx));
    });
  }

  return {
    current: () => current(),

    /** An operator's change over the current document: the next version, or 409 if `basedOnVersion` is no longer current. */
    async change(operator: string, change: ConfigurationChange): Promise<ConfigurationDocument> {
      return locked(async (tx, now) => {
        if (change.basedOnVersion !== now.version) throw configurationErrors.staleChange(change.basedOnVersion, now);
        const next = parseContract('changed configuration document', ConfigurationDocument, {
          version: now.version + 1,
          updatedAt: clock.now().toISOString(),
          updatedBy: operator,
          reason: change.reason,
          components: { ...now.components, ...change.components },
          prescale: change.prescale ?? now.prescale,
          directConnect: change.directConnect ?? now.directConnect,
          shadow: change.shadow ?? now.shadow,
          dailyCohort: change.dailyCohort ?? now.dailyCohort,
          standinRules: change.standinRules ?? now.standinRules,
        });
        await record(tx, next, 'change', operator);
        return next;
      });
    },

    /** A whole document from the other platform (or an operator), taken verbatim only if its version is higher. */
    async adopt(offered: ConfigurationDocument, recordedBy: string): Promise<AdoptOutcome> {
      return locked(async (tx, now) => {
        if (offered.version > now.version) {
          await record(tx, offered, 'adopted', recordedBy);
          return { kind: 'adopted', current: offered };
        }
        if (sameConfiguration(offered, now)) return { kind: 'already_current', current: now };
        return { kind: 'stale', current: now };
      });
    },

    /** Every version this platform has held, newest first. */
    async audit(limit: number): Promise<ConfigurationAuditEntry[]> {
      const { rows } = await db.query<{ version: number; document: unknown; source: 'change' | 'adopted'; recorded_by: string; recorded_at: Date }>(
        'select version, document, source, recorded_by, recorded_at from configuration_versions order by version desc limit $1',
        [limit],
      );
      return rows.map((row) => ({
        version: row.version,
        recordedAt: row.recorded_at.toISOString(),
        source: row.source,
        recordedBy: row.recorded_by,
        document: parseContract('stored configuration document', ConfigurationDocument, row.document),
      }));
    },
  };
}
