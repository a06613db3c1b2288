import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AutopilotStatus, ConfigurationChange, ConfigurationDocument } from '@bank/shared-contracts';
import { changeConfiguration, currentConfiguration, StaleConfiguration } from '../configuration/configuration-store';
import { inTransaction, type Database, type Session } from '../store/database';
import {
  AUTOPILOT_COMPONENTS,
  decideAutopilot,
  type AutopilotComponent,
  type AutopilotDecision,
  type AutopilotSample,
  type AutopilotSettings,
} from './autopilot-decision';
import { componentsOn, currentAutopilotSettings, recentlyRecorded, recordAction, switchesWithinHour, takenBackByPeople } from './autopilot-store';
import type { TakenSample } from './autopilot-sampler';
import { RESERVED_OPERATOR_NAME } from '../configuration/operators';
import { currentSyncState } from '../views/sync-state';

// The autopilot running: every few seconds a sample, the decision over the recent samples, and
// when it says so ONE configuration change, made as the operator `autopilot` with the evidence as
// its reason. Every replica samples; one at a time decides and acts (a transaction-scoped
// advisory lock), reading what is already on and its own recent changes from the database each
// time, so replicas and restarts never add up to more than the settings allow.

/** Who the autopilot's configuration changes are recorded as made by. */
export const AUTOPILOT_OPERATOR = RESERVED_OPERATOR_NAME;

/** The same finding (dry-run, withheld) is written down once in this long, not every sample. */
const RECORD_AGAIN_AFTER_MS = 10 * 60_000;

/** Samples older than the hold and this margin are never looked at again. */
const HISTORY_MARGIN_MS = 15_000;

export type Latest = NonNullable<AutopilotStatus['latest']>;

export interface AutopilotLoopDependencies {
  readonly database: Database;
  readonly logger: Logger;
  readonly sample: (atMs: number) => Promise<TakenSample>;
  readonly now: () => Date;
  readonly intervalMs: number;
  readonly registry?: Registry;
}

export function autopilotMetrics(registry: Registry | undefined) {
  const registers = registry ? [registry] : [];
  const metrics = {
    samples: new Counter({ name: 'standin_autopilot_samples_total', help: 'Samples the autopilot took', registers }),
    decisions: new Counter({
      name: 'standin_autopilot_decisions_total',
      help: "The autopilot's decisions by outcome: nothing, switched, dry-run, withheld, not_my_turn, failed",
      labelNames: ['outcome'],
      registers,
    }),
    evidence: new Gauge({
      name: 'standin_autopilot_evidence_holding',
      help: "1 while a component's evidence (primary failing it) has held for the whole hold",
      labelNames: ['component'],
      registers,
    }),
  };
  for (const component of AUTOPILOT_COMPONENTS) metrics.evidence.set({ component }, 0);
  return metrics;
}

const CHANGES: Record<AutopilotComponent, Pick<ConfigurationChange, 'components' | 'directConnect'>> = {
  cardPayments: { components: { cardPaymentsInbound: { mode: 'everyone' }, cardPaymentsOutbound: { mode: 'everyone' } } },
  fasterPayments: { components: { fasterPaymentsInbound: { mode: 'everyone' }, fasterPaymentsOutbound: { mode: 'everyone' } } },
  apps: { components: { app: { mode: 'everyone' } } },
  directConnect: { directConnect: true },
};

/** The one change that turns these components on (never off: nothing here sets `nobody` or false). */
export function changeFor(components: readonly AutopilotComponent[], basedOn: ConfigurationDocument, reason: string): ConfigurationChange {
  const change: ConfigurationChange = { basedOnVersion: basedOn.version, reason: reason.slice(0, 500) };
  let parts: NonNullable<ConfigurationChange['components']> = {};
  let directConnect: boolean | undefined;
  for (const component of components) {
    parts = { ...parts, ...CHANGES[component].components };
    if (CHANGES[component].directConnect) directConnect = true;
  }
  return { ...change, ...(Object.keys(parts).length ? { components: parts } : {}), ...(directConnect ? { directConnect } : {}) };
}

/** Makes the change; once more on a version that moved underneath (an operator, or primary's document adopted), for what is still off. */
async function switchOn(database: Database, components: readonly AutopilotComponent[], reason: string, now: Date) {
  let base = await currentConfiguration(database);
  for (let attempt = 0; ; attempt++) {
    const due = components.filter((component) => !componentsOn(base)[component]);
    if (due.length === 0) return { document: base, switched: due };
    try {
      return { document: await changeConfiguration(database, { operator: AUTOPILOT_OPERATOR, change: changeFor(due, base, reason), now }), switched: due };
    } catch (failure) {
      if (!(failure instanceof StaleConfiguration) || attempt > 0) throw failure;
      base = await currentConfiguration(database);
    }
  }
}

const noEvidence = (why: string) =>
  Object.fromEntries(AUTOPILOT_COMPONENTS.map((component) => [component, { holds: false, why }])) as Record<
    AutopilotComponent,
    { holds: boolean; why: string }
  >;

export type TickOutcome = 'nothing' | 'switched' | 'dry-run' | 'withheld' | 'gathering' | 'not_my_turn';

/**
 * Each kind of evidence matures at its own pace after primary fails (the app's at once, payments'
 * as messages time out at the card deadline, direct connect's as the gateway's probe times out), so
 * a dead primary would be switched away from in a trickle of changes, one per component, that uses
 * up the hourly cap. When a component is due and another opted-in one's evidence has already begun
 * (it holds over the last EARLY_WINDOW_MS), the switch waits for it, at most GATHER_MS, and the two
 * go in one change.
 */
export const GATHER_MS = 5_000;
const EARLY_WINDOW_MS = 1_000;

/** Where a replica keeps when it began waiting for evidence about to hold (see GATHER_MS). */
export interface Gathering {
  sinceMs?: number;
}

function maturing(
  history: readonly AutopilotSample[],
  settings: AutopilotSettings,
  on: Record<AutopilotComponent, boolean>,
  due: readonly AutopilotComponent[],
  nowMs: number,
): AutopilotComponent[] {
  const early = decideAutopilot(
    history,
    { ...settings, mode: 'on', holdMs: EARLY_WINDOW_MS, minMessages: 1, maxChangesPerHour: Number.MAX_SAFE_INTEGER },
    { on, changesAtMs: [] },
    nowMs,
  );
  return AUTOPILOT_COMPONENTS.filter((component) => settings.optIn[component] && !on[component] && !due.includes(component) && early.evidence[component].holds);
}

/**
 * Decides over `history` and acts, one replica at a time. Exported for tests, which drive it with
 * their own samples and clock.
 */
export async function decideAndAct(
  database: Database,
  history: readonly AutopilotSample[],
  now: Date,
  logger: Logger,
  gathering: Gathering = {},
): Promise<{ outcome: TickOutcome; decision?: AutopilotDecision; alreadyOn: AutopilotComponent[]; waitingFor?: AutopilotComponent[] }> {
  return inTransaction(database, async (session: Session) => {
    const turn = await session.query<{ got: boolean }>("select pg_try_advisory_xact_lock(hashtext('standin-autopilot')) as got");
    const configuration = await currentConfiguration(session);
    const on = componentsOn(configuration);
    const alreadyOn = AUTOPILOT_COMPONENTS.filter((component) => on[component]);
    if (!turn.rows[0]?.got) return { outcome: 'not_my_turn', alreadyOn };
    const { version: settingsVersion, settings, changedAt } = await currentAutopilotSettings(session);
    const changesAtMs = await switchesWithinHour(session, now);
    // What a person moved back since it was armed stays back: the autopilot never undoes that.
    const takenBack = await takenBackByPeople(session, changedAt);
    const decided = decideAutopilot(
      history,
      settings,
      { on: { ...on, ...Object.fromEntries([...takenBack].map((component) => [component, true])) }, changesAtMs },
      now.getTime(),
    );
    const decision = {
      ...decided,
      withheld: [
        ...decided.withheld,
        ...[...takenBack]
          .filter((component) => decided.evidence[component].holds && settings.optIn[component])
          .map((component) => ({
            component,
            why: 'a person moved it back to primary since the autopilot was armed: re-arm it (standin autopilot on) to let it act again',
          })),
      ],
    };
    // Off: the evidence is still worth showing (GET /autopilot), but nothing is done or written down.
    if (settings.mode === 'off') return { outcome: 'nothing', decision, alreadyOn };
    const base = { at: now, mode: settings.mode, evidence: decision.evidence, settingsVersion } as const;
    if (decision.switchOn.length === 0) gathering.sinceMs = undefined;
    else {
      const waitingFor = maturing(history, settings, on, decision.switchOn, now.getTime());
      if (waitingFor.length > 0) {
        gathering.sinceMs ??= now.getTime();
        if (now.getTime() - gathering.sinceMs < GATHER_MS) return { outcome: 'gathering', decision, alreadyOn, waitingFor };
      }
      gathering.sinceMs = undefined;
      // On another connection: the configuration's own writer lock. This replica keeps the
      // autopilot's turn until the action is recorded, so no other replica decides in between.
      // What an engineer would say beside the evidence: how current stand-in's data is (sync silence counts).
      const sync = await currentSyncState(session, now);
      const freshness = sync
        ? `; stand-in's synced data ${Math.round(sync.lagMs / 1000)} s behind${sync.alerting ? ' (SYNC LAG ALERTING)' : ''}`
        : "; stand-in's sync state unknown";
      const { document, switched } = await switchOn(database, decision.switchOn, `${decision.reason}${freshness}`, now);
      if (switched.length === 0) return { outcome: 'nothing', decision, alreadyOn };
      await recordAction(session, {
        ...base,
        kind: 'switched',
        components: switched,
        reason: document.reason,
        withheld: decision.withheld,
        configurationVersion: document.version,
      });
      logger.warn(
        { event: 'autopilot_switched', components: switched, version: document.version, reason: document.reason },
        `autopilot switched stand-in on for ${switched.join(', ')} (configuration version ${document.version})`,
      );
      return { outcome: 'switched', decision, alreadyOn: [...alreadyOn, ...switched] };
    }
    if (decision.withheld.length === 0) return { outcome: 'nothing', decision, alreadyOn };
    const dryRun = decision.withheld.filter((item) => item.why.startsWith('dry-run'));
    const kind = dryRun.length > 0 ? 'dry-run' : 'withheld';
    const components = (dryRun.length > 0 ? dryRun : decision.withheld).map((item) => item.component);
    if (!(await recentlyRecorded(session, kind, components, new Date(now.getTime() - RECORD_AGAIN_AFTER_MS)))) {
      const reason = `autopilot (${settings.mode}): ${decision.withheld.map((item) => `${item.component}: ${item.why}`).join('; ')}; evidence: ${[
        ...new Set(components.map((component) => decision.evidence[component].why)),
      ].join('; ')}`;
      await recordAction(session, { ...base, kind, components, reason: reason.slice(0, 2_000), withheld: decision.withheld });
      logger.warn({ event: `autopilot_${kind}`, components, withheld: decision.withheld }, reason);
    }
    return { outcome: kind, decision, alreadyOn };
  });
}

/** Runs the sampling loop until stopped; `latest()` is this replica's newest sample and decision, for GET /autopilot. */
export function startAutopilot(deps: AutopilotLoopDependencies) {
  const metrics = autopilotMetrics(deps.registry);
  let history: AutopilotSample[] = [];
  let latest: Latest | undefined;
  const gathering: Gathering = {};
  let running = true;
  let wake: (() => void) | undefined;
  let failing = false;

  const tick = async () => {
    const now = deps.now();
    const taken = await deps.sample(now.getTime());
    metrics.samples.inc();
    if (!taken.baseline) history.push(taken.sample);
    // Only as much as the longest hold needs; a settings change that lengthens it waits for more.
    const settings = await currentAutopilotSettings(deps.database).catch(() => undefined);
    const keepMs = (settings?.settings.holdMs ?? 3_600_000) + HISTORY_MARGIN_MS;
    history = history.filter((sample) => sample.atMs >= now.getTime() - keepMs).slice(-10_000);
    const sampleView = {
      at: new Date(taken.sample.atMs).toISOString(),
      standinHealthy: taken.sample.standinHealthy,
      primaryFromStandin: taken.sample.primaryFromStandin,
      ...(taken.sample.gateway ? { gateway: taken.sample.gateway } : {}),
      ...(taken.gatewayProblem ? { gatewayProblem: taken.gatewayProblem } : {}),
      ...(taken.sync ? { sync: taken.sync } : {}),
    };
    try {
      const result = await decideAndAct(deps.database, history, now, deps.logger, gathering);
      metrics.decisions.inc({ outcome: result.outcome });
      const decision = result.decision;
      if (decision) for (const component of AUTOPILOT_COMPONENTS) metrics.evidence.set({ component }, decision.evidence[component].holds ? 1 : 0);
      latest = decision
        ? {
            sample: sampleView,
            evidence: decision.evidence,
            switchOn: [...decision.switchOn],
            withheld: [...decision.withheld],
            ...(result.waitingFor
              ? {
                  note: `waiting up to ${GATHER_MS / 1000} s for ${result.waitingFor.join(', ')}, whose evidence has begun, to switch everything in one change`,
                }
              : {}),
          }
        : {
            sample: sampleView,
            evidence: latest?.evidence ?? noEvidence('not decided here yet'),
            switchOn: [],
            withheld: [],
            note: 'another stand-in replica took this turn to decide',
          };
      failing = false;
    } catch (error) {
      metrics.decisions.inc({ outcome: 'failed' });
      latest = {
        sample: sampleView,
        evidence: noEvidence('could not decide'),
        switchOn: [],
        withheld: [],
        note: `could not decide: ${(error as Error).message}`,
      };
      if (!failing) deps.logger.warn({ err: error }, 'the autopilot could not decide; it tries again with the next sample');
      failing = true;
    }
  };

  const loop = (async () => {
    while (running) {
      await tick().catch((error: unknown) => deps.logger.warn({ err: error }, 'the autopilot could not take a sample'));
      if (!running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deps.intervalMs);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();

  return {
    latest: () => latest,
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}

export type Autopilot = ReturnType<typeof startAutopilot>;
