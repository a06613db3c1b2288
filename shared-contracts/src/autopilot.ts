import { z } from 'zod';
import { storableText } from './primitives';

// The autopilot (issue 21): stand-in turning itself on when primary has failed for long enough,
// guarded by settings an operator sets. Its settings and status cross the boundary between the
// `standin` CLI and stand-in (GET/PUT /autopilot); what the gateway sees of primary crosses from
// the gateway to stand-in (GET /primary-view), which is the autopilot's view of the data centre.

export const AUTOPILOT_ROUTE = '/autopilot';
export const GATEWAY_PRIMARY_VIEW_ROUTE = '/primary-view';

export const AutopilotComponentName = z.enum(['cardPayments', 'fasterPayments', 'apps', 'directConnect']);
export type AutopilotComponentName = z.infer<typeof AutopilotComponentName>;

export const AutopilotMode = z.enum(['off', 'dry-run', 'on']);

/** Shortest hold accepted: below it a blip of a few samples would be enough to move every customer. */
export const AUTOPILOT_MIN_HOLD_MS = 2_000;

export const AutopilotOptIn = z.strictObject({
  cardPayments: z.boolean(),
  fasterPayments: z.boolean(),
  apps: z.boolean(),
  directConnect: z.boolean(),
});

export const AutopilotSettingsDocument = z.strictObject({
  mode: AutopilotMode,
  optIn: AutopilotOptIn,
  holdMs: z.int().min(AUTOPILOT_MIN_HOLD_MS).max(3_600_000).describe('how long the evidence must hold, unbroken, before a component is switched'),
  failureShare: z.number().min(0.05).max(1).describe("share of primary's payment messages failing (0.05 to 1) that counts as failing"),
  minMessages: z.int().min(1).max(1_000_000).describe('messages the gateway must have sent primary over the hold to judge'),
  maxChangesPerHour: z.int().min(0).max(20).describe("at most this many of the autopilot's configuration changes an hour"),
});
export type AutopilotSettingsDocument = z.infer<typeof AutopilotSettingsDocument>;

/** PUT /autopilot: what changes (anything left out stays), and why; the operator is the token's. */
export const AutopilotSettingsChange = z.strictObject({
  reason: storableText(z.string().trim().min(1, { error: 'expected a reason for the change' }).max(500)),
  mode: AutopilotMode.optional(),
  optIn: AutopilotOptIn.partial().optional(),
  holdMs: AutopilotSettingsDocument.shape.holdMs.optional(),
  failureShare: AutopilotSettingsDocument.shape.failureShare.optional(),
  minMessages: AutopilotSettingsDocument.shape.minMessages.optional(),
  maxChangesPerHour: AutopilotSettingsDocument.shape.maxChangesPerHour.optional(),
  /**
   * The settings version the change was decided on (what the engineer was shown): refused (409)
   * when someone changed them meanwhile. Absent: applied on top of whatever is current.
   */
  basedOnVersion: z.int().min(0).optional(),
});
export type AutopilotSettingsChange = z.infer<typeof AutopilotSettingsChange>;

export const AutopilotSettingsVersion = z.strictObject({
  version: z.int().min(0),
  settings: AutopilotSettingsDocument,
  changedBy: z.string(),
  reason: z.string(),
  changedAt: z.string(),
});
export type AutopilotSettingsVersion = z.infer<typeof AutopilotSettingsVersion>;

const Traffic = z.strictObject({
  total: z.int(),
  timedOut: z.int(),
  connectionFailed: z.int(),
  serverErrors: z.int(),
  issuerUnavailable: z.int(),
});

export const AutopilotSampleView = z.strictObject({
  at: z.string(),
  standinHealthy: z.boolean(),
  primaryFromStandin: z.enum(['ready', 'cannot_decide', 'unreachable']),
  gateway: z.strictObject({ toPrimary: Traffic, primaryBreakerOpen: z.boolean(), primaryAnswersProbe: z.boolean() }).optional(),
  /** Why the gateway is absent from the sample (unreachable, restarted, first read). */
  gatewayProblem: z.string().optional(),
  /**
   * How far behind primary stand-in's synced data is (sync silence counts as lag). Shown, and put
   * in a switch's reason; it does not by itself switch anything: a silent syncer or Kafka is not a
   * failing primary, and stale data is a reason for care, not for moving customers.
   */
  sync: z.strictObject({ lagMs: z.int().min(0), alerting: z.boolean(), syncerSilentMs: z.int().min(0).optional() }).optional(),
});
export type AutopilotSampleView = z.infer<typeof AutopilotSampleView>;

export const AutopilotEvidenceView = z.record(AutopilotComponentName, z.strictObject({ holds: z.boolean(), why: z.string() }));

export const AutopilotAction = z.strictObject({
  at: z.string(),
  /** switched: a configuration change made; dry-run: what it would have done; withheld: evidence held but it did not act (not opted in, the cap). */
  kind: z.enum(['switched', 'dry-run', 'withheld']),
  mode: AutopilotMode,
  components: z.array(AutopilotComponentName),
  reason: z.string(),
  withheld: z.array(z.strictObject({ component: AutopilotComponentName, why: z.string() })),
  settingsVersion: z.int(),
  configurationVersion: z.int().optional(),
});
export type AutopilotAction = z.infer<typeof AutopilotAction>;

export const AutopilotStatus = z.strictObject({
  current: AutopilotSettingsVersion,
  /** Earlier settings, newest first (who changed what and why). */
  history: z.array(AutopilotSettingsVersion),
  /** This replica's newest sample and decision; absent before its first sample (or where no sampler runs). */
  latest: z
    .strictObject({
      sample: AutopilotSampleView,
      evidence: AutopilotEvidenceView,
      switchOn: z.array(AutopilotComponentName),
      withheld: z.array(z.strictObject({ component: AutopilotComponentName, why: z.string() })),
      /** Set when the decision could not be taken this time (another replica holds the turn, a database error). */
      note: z.string().optional(),
    })
    .optional(),
  /** Components already on stand-in for everyone (nothing for the autopilot to do for them). */
  alreadyOn: z.array(AutopilotComponentName),
  recentActions: z.array(AutopilotAction),
});
export type AutopilotStatus = z.infer<typeof AutopilotStatus>;

/**
 * GET /primary-view on the gateway: what it has seen of primary since it started, as counters
 * that only go up; the reader differences two reads. `startedAt` changes when the gateway
 * restarts (its counters start again from zero), so a reader never differences across a restart.
 */
export const GatewayPrimaryView = z.strictObject({
  startedAt: z.string(),
  /** This gateway process (random at its start): replicas behind one address are differenced each against its own previous read. */
  instance: z.string().min(1).max(64),
  readAt: z.string(),
  toPrimary: Traffic.describe('payment messages sent to primary since the gateway started, and how they ended'),
  primaryBreakerOpen: z.boolean().describe("primary's circuit breaker is open or half open"),
  probe: z.strictObject({
    /** The newest completed probe of primary had an answer (any HTTP status) in the probe's time. */
    answered: z.boolean(),
    answeredTotal: z.int(),
    unansweredTotal: z.int(),
    lastAnsweredAt: z.string().optional(),
    timeoutMs: z.int(),
  }),
});
export type GatewayPrimaryView = z.infer<typeof GatewayPrimaryView>;
