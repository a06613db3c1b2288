import { RESERVED_OPERATOR_NAME } from '../configuration/operators';
import {
  AutopilotAction,
  AutopilotSettingsDocument,
  type AutopilotSettingsChange,
  type AutopilotSettingsVersion,
  ConfigurationDocument,
} from '@bank/shared-contracts';
import { inTransaction, type Database, type Session } from '../store/database';
import { AUTOPILOT_COMPONENTS, DEFAULT_AUTOPILOT_SETTINGS, type AutopilotComponent, type AutopilotSettings } from './autopilot-decision';

// The autopilot's settings and its record of what it did, in stand-in's own database: they must
// be there when primary is not, survive a restart, and be the same for every replica.

// The contract and the decision's settings are one shape: a change to either fails the build here.
const sameShape: AutopilotSettingsDocument = DEFAULT_AUTOPILOT_SETTINGS satisfies AutopilotSettings;
void sameShape;

/** Version 0: nobody has set anything; the autopilot is off. */
const INITIAL: AutopilotSettingsVersion = {
  version: 0,
  settings: { ...DEFAULT_AUTOPILOT_SETTINGS, optIn: { ...DEFAULT_AUTOPILOT_SETTINGS.optIn } },
  changedBy: 'initial',
  reason: 'the autopilot is off until an operator turns it on',
  changedAt: '1970-01-01T00:00:00.000Z',
};

const SETTINGS_LOCK = "select pg_advisory_xact_lock(hashtext('standin-autopilot-settings'))";

interface SettingsRow {
  version: number;
  settings: unknown;
  changed_by: string;
  reason: string;
  changed_at: Date;
}

const versionOf = (row: SettingsRow): AutopilotSettingsVersion => ({
  version: row.version,
  settings: AutopilotSettingsDocument.parse(row.settings),
  changedBy: row.changed_by,
  reason: row.reason,
  changedAt: row.changed_at.toISOString(),
});

export async function autopilotSettingsHistory(database: Database | Session, limit: number): Promise<AutopilotSettingsVersion[]> {
  const { rows } = await database.query<SettingsRow>('select * from autopilot_settings_versions order by version desc limit $1', [limit]);
  const versions = rows.map(versionOf);
  // Version 0 is never stored: it is where the history starts.
  return versions.length < limit && versions.at(-1)?.version !== 0 ? [...versions, INITIAL] : versions;
}

export async function currentAutopilotSettings(database: Database | Session): Promise<AutopilotSettingsVersion> {
  return (await autopilotSettingsHistory(database, 1))[0]!;
}

/** Applies a partial change as the next version; writers take turns, so versions never collide. */
/** A settings change decided on a version that is no longer current. */
export class StaleAutopilotSettings extends Error {
  readonly code = 'STANDIN_AUTOPILOT_SETTINGS_STALE';
  constructor(
    readonly basedOnVersion: number,
    readonly currentVersion: number,
  ) {
    super(`the autopilot's settings are at version ${currentVersion}, not ${basedOnVersion}: someone changed them meanwhile; read them again and decide`);
  }
}

export async function changeAutopilotSettings(
  database: Database,
  request: { operator: string; change: AutopilotSettingsChange; now: Date },
): Promise<AutopilotSettingsVersion> {
  const { change } = request;
  return inTransaction(database, async (session) => {
    await session.query(SETTINGS_LOCK);
    const current = await currentAutopilotSettings(session);
    if (change.basedOnVersion !== undefined && change.basedOnVersion !== current.version)
      throw new StaleAutopilotSettings(change.basedOnVersion, current.version);
    const settings = AutopilotSettingsDocument.parse({
      mode: change.mode ?? current.settings.mode,
      optIn: { ...current.settings.optIn, ...change.optIn },
      holdMs: change.holdMs ?? current.settings.holdMs,
      failureShare: change.failureShare ?? current.settings.failureShare,
      minMessages: change.minMessages ?? current.settings.minMessages,
      maxChangesPerHour: change.maxChangesPerHour ?? current.settings.maxChangesPerHour,
    });
    const { rows } = await session.query<SettingsRow>(
      'insert into autopilot_settings_versions (version, settings, changed_by, reason, changed_at) values ($1, $2, $3, $4, $5) returning *',
      [current.version + 1, JSON.stringify(settings), request.operator, change.reason, request.now.toISOString()],
    );
    return versionOf(rows[0]!);
  });
}

/** Which of the autopilot's components the configuration already puts on stand-in for everyone. */
export function componentsOn(document: ConfigurationDocument): Record<AutopilotComponent, boolean> {
  const everyone = (...components: (keyof ConfigurationDocument['components'])[]) =>
    components.every((component) => document.components[component].mode === 'everyone');
  return {
    cardPayments: everyone('cardPaymentsInbound', 'cardPaymentsOutbound'),
    fasterPayments: everyone('fasterPaymentsInbound', 'fasterPaymentsOutbound'),
    apps: everyone('app'),
    directConnect: document.directConnect,
  };
}

/**
 * Components a person (not the autopilot) moved back to primary since `since` (when the autopilot's
 * settings were last set): going back is a human decision, and the autopilot does not undo it by
 * switching them on again while the evidence still holds. Re-arming it (new settings) lets it act.
 */
export async function takenBackByPeople(session: Session | Database, since: string): Promise<Set<AutopilotComponent>> {
  const { rows } = await session.query<{ document: unknown }>(
    `select document from configuration_versions
     where version >= coalesce((select max(version) from configuration_versions where (document->>'updatedAt')::timestamptz < $1::timestamptz), 0)
     order by version desc limit 1000`,
    [since],
  );
  const taken = new Set<AutopilotComponent>();
  const documents = rows.map((row) => ConfigurationDocument.parse(row.document)).reverse();
  for (let index = 1; index < documents.length; index++) {
    const [before, after] = [documents[index - 1]!, documents[index]!];
    if (after.updatedBy === RESERVED_OPERATOR_NAME) continue;
    const [was, is] = [componentsOn(before), componentsOn(after)];
    for (const component of AUTOPILOT_COMPONENTS) if (was[component] && !is[component]) taken.add(component);
  }
  return taken;
}

export interface ActionRecord {
  readonly at: Date;
  readonly kind: AutopilotAction['kind'];
  readonly mode: AutopilotSettings['mode'];
  readonly components: readonly AutopilotComponent[];
  readonly reason: string;
  readonly withheld: readonly { readonly component: AutopilotComponent; readonly why: string }[];
  readonly evidence: unknown;
  readonly settingsVersion: number;
  readonly configurationVersion?: number;
}

export async function recordAction(session: Session | Database, action: ActionRecord): Promise<void> {
  await session.query(
    `insert into autopilot_actions (at, kind, mode, components, reason, withheld, evidence, settings_version, configuration_version)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      action.at.toISOString(),
      action.kind,
      action.mode,
      [...action.components],
      action.reason,
      JSON.stringify(action.withheld),
      JSON.stringify(action.evidence),
      action.settingsVersion,
      action.configurationVersion ?? null,
    ],
  );
}

/**
 * When the autopilot changed the configuration in the hour before `now` (the cap), read from the
 * configuration's own versions, not from the autopilot's record of its actions: a crash between
 * the change and that record must not leave a change the cap does not count. No upper bound: a
 * replica whose clock is behind still counts another replica's change made a moment "later".
 */
export async function switchesWithinHour(session: Session | Database, now: Date): Promise<number[]> {
  const { rows } = await session.query<{ at: Date }>(
    `select (document->>'updatedAt')::timestamptz as at from configuration_versions
     where document->>'updatedBy' = $2 and (document->>'updatedAt')::timestamptz > $1::timestamptz - interval '1 hour' order by version`,
    [now.toISOString(), RESERVED_OPERATOR_NAME],
  );
  return rows.map((row) => row.at.getTime());
}

/** The newest record of this kind and these components, if it is recent: the same finding is not written down again every few seconds. */
export async function recentlyRecorded(
  session: Session,
  kind: AutopilotAction['kind'],
  components: readonly AutopilotComponent[],
  since: Date,
): Promise<boolean> {
  const { rows } = await session.query<{ components: string[] }>(
    'select components from autopilot_actions where kind = $1 and at >= $2 order by at desc limit 1',
    [kind, since.toISOString()],
  );
  const last = rows[0]?.components;
  return last !== undefined && last.length === components.length && components.every((component) => last.includes(component));
}

interface ActionRow {
  at: Date;
  kind: AutopilotAction['kind'];
  mode: AutopilotSettings['mode'];
  components: string[];
  reason: string;
  withheld: unknown;
  settings_version: number;
  configuration_version: number | null;
}

export async function recentActions(database: Database, limit: number): Promise<AutopilotAction[]> {
  const { rows } = await database.query<ActionRow>('select * from autopilot_actions order by at desc, action_id desc limit $1', [limit]);
  return rows.map((row) =>
    AutopilotAction.parse({
      at: row.at.toISOString(),
      kind: row.kind,
      mode: row.mode,
      components: row.components.filter((component): component is AutopilotComponent => (AUTOPILOT_COMPONENTS as readonly string[]).includes(component)),
      reason: row.reason,
      withheld: row.withheld,
      settingsVersion: row.settings_version,
      ...(row.configuration_version === null ? {} : { configurationVersion: row.configuration_version }),
    }),
  );
}
