// The autopilot's decision (issue 21): whether to turn stand-in on for a component, from the same
// evidence an engineer on call reads, sampled every few seconds. A pure function over the recent
// history of samples, so it can be tested over recorded histories (a dead primary, a slow but
// healthy one, one that flaps, a gateway cut off from a healthy primary) and replayed from logs.
//
// What it will and will not do, whatever the evidence:
// - it only ever turns stand-in ON; going back to primary stays a human decision (as in the source);
// - a component is switched only when its own evidence has held, without a break, for `holdMs`,
//   sampled without gaps, while stand-in itself was healthy throughout;
// - only the components opted in, at most `maxChangesPerHour` configuration changes an hour;
// - in dry-run it says what it would have done and does nothing.
//
// The evidence, per component:
// - card payments and Faster Payments: primary fails the payment network (as the gateway sees the
//   messages it sends primary: timeouts, connection failures, 5xx, issuer-unavailable answers, or
//   its breaker open), with enough messages to judge. When stand-in's cloud can reach a primary
//   that says it can decide, failures to connect say the gateway is cut off, not that primary is
//   failing: then only timeouts, 5xx and issuer-unavailable answers count;
// - the app: primary, asked from stand-in's cloud, does not answer or cannot decide;
// - direct connect: primary does not answer the gateway's probe at all (dead, hung, or cut off
//   from the data centre). A primary that answers, however slowly, is not a reason.

export const AUTOPILOT_COMPONENTS = ['cardPayments', 'fasterPayments', 'apps', 'directConnect'] as const;
export type AutopilotComponent = (typeof AUTOPILOT_COMPONENTS)[number];

/** What the payment messages the gateway sent primary since the previous sample came to. */
export interface GatewayTraffic {
  readonly total: number;
  readonly timedOut: number;
  readonly connectionFailed: number;
  readonly serverErrors: number;
  /** Answered 91 (issuer unavailable) by primary: primary's way of failing within the deadline. */
  readonly issuerUnavailable: number;
}

/** One moment, as the autopilot saw it. */
export interface AutopilotSample {
  readonly atMs: number;
  /** Stand-in's own database answers: without that, the autopilot does nothing at all. */
  readonly standinHealthy: boolean;
  /** Primary asked from stand-in's cloud (GET /health/route): ready to decide, up but cannot decide, or no answer. */
  readonly primaryFromStandin: 'ready' | 'cannot_decide' | 'unreachable';
  /** The data centre's view, from the gateway; absent when the gateway could not be read. */
  readonly gateway?: {
    readonly toPrimary: GatewayTraffic;
    readonly primaryBreakerOpen: boolean;
    /** Did primary answer the gateway's health probe at all (any answer, in the probe's time)? */
    readonly primaryAnswersProbe: boolean;
  };
}

export interface AutopilotSettings {
  readonly mode: 'off' | 'dry-run' | 'on';
  readonly optIn: Readonly<Record<AutopilotComponent, boolean>>;
  /** How long the evidence must hold, unbroken, before a component is switched. */
  readonly holdMs: number;
  /** Share of primary's messages failing (0 to 1) that counts as failing. */
  readonly failureShare: number;
  /** Messages the gateway must have sent primary over the hold to judge a failure share. */
  readonly minMessages: number;
  readonly maxChangesPerHour: number;
}

export const DEFAULT_AUTOPILOT_SETTINGS: AutopilotSettings = {
  mode: 'off',
  optIn: { cardPayments: false, fasterPayments: false, apps: false, directConnect: false },
  holdMs: 30_000,
  failureShare: 0.5,
  minMessages: 20,
  maxChangesPerHour: 3,
};

export interface AutopilotState {
  /** Components already on stand-in for everyone: nothing to do for them. */
  readonly on: Readonly<Record<AutopilotComponent, boolean>>;
  /** When the autopilot's own recent changes were made (the hourly cap). */
  readonly changesAtMs: readonly number[];
}

export interface Evidence {
  readonly holds: boolean;
  /** Why, in an engineer's words: it goes into the change's reason and the audit log. */
  readonly why: string;
}

export interface AutopilotDecision {
  /** Components to switch on now, in one configuration change (empty unless mode is on). */
  readonly switchOn: readonly AutopilotComponent[];
  /** The reason for that change: the evidence, for the audit log. */
  readonly reason: string;
  /** Components whose evidence holds but which are not switched, and why (dry-run, not opted in, the cap). */
  readonly withheld: readonly { readonly component: AutopilotComponent; readonly why: string }[];
  readonly evidence: Readonly<Record<AutopilotComponent, Evidence>>;
}

const HOUR_MS = 3_600_000;
/** A gap in sampling longer than this breaks the evidence: nobody saw what happened in it. */
const maxGapMs = (holdMs: number) => Math.max(5_000, Math.floor(holdMs / 4));

const failures = (traffic: GatewayTraffic, countConnectionFailures: boolean) =>
  traffic.timedOut + traffic.serverErrors + traffic.issuerUnavailable + (countConnectionFailures ? traffic.connectionFailed : 0);

/** The samples covering the last `holdMs`, from the last one at or before its start; undefined when sampling does not cover it without gaps. */
function window(history: readonly AutopilotSample[], nowMs: number, holdMs: number): readonly AutopilotSample[] | undefined {
  const since = nowMs - holdMs;
  let start = -1;
  for (let index = history.length - 1; index >= 0; index--)
    if (history[index]!.atMs <= since) {
      start = index;
      break;
    }
  if (start === -1) return undefined;
  const covering = history.slice(start).filter((sample) => sample.atMs <= nowMs);
  const gap = maxGapMs(holdMs);
  for (let index = 1; index < covering.length; index++) if (covering[index]!.atMs - covering[index - 1]!.atMs > gap) return undefined;
  if (nowMs - covering.at(-1)!.atMs > gap) return undefined;
  return covering;
}

function paymentsEvidence(samples: readonly AutopilotSample[], settings: AutopilotSettings, seconds: number): Evidence {
  if (samples.some((sample) => !sample.gateway)) return { holds: false, why: 'the gateway could not be read throughout' };
  // Stand-in reaches a primary that can decide: connection failures are the gateway's path, not primary.
  const countConnectionFailures = (sample: AutopilotSample) => sample.primaryFromStandin !== 'ready';
  let total = 0;
  let failed = 0;
  for (const sample of samples) {
    const traffic = sample.gateway!.toPrimary;
    const counted = countConnectionFailures(sample);
    const sampleFailed = failures(traffic, counted);
    const breakerCounts = sample.gateway!.primaryBreakerOpen && counted;
    // Any sample in which primary did well breaks the evidence: a flapping primary is not switched away from.
    if (!breakerCounts && (traffic.total === 0 || sampleFailed / traffic.total < settings.failureShare))
      return { holds: false, why: 'primary answered the payment network well enough in part of the time' };
    total += traffic.total;
    failed += sampleFailed;
  }
  const breakerThroughout = samples.every((sample) => sample.gateway!.primaryBreakerOpen && countConnectionFailures(sample));
  if (!breakerThroughout && total < settings.minMessages)
    return { holds: false, why: `too few messages to judge (${total} of ${settings.minMessages} needed)` };
  return {
    holds: true,
    why: breakerThroughout
      ? `the gateway's breaker for primary open for ${seconds} s (primary ${describeReach(samples)})`
      : `primary failed ${failed} of ${total} payment messages (${Math.round((failed / total) * 100)}%) for ${seconds} s`,
  };
}

function describeReach(samples: readonly AutopilotSample[]): string {
  const last = samples.at(-1)!.primaryFromStandin;
  return last === 'ready' ? 'answers stand-in' : last === 'cannot_decide' ? 'answers stand-in but cannot decide' : 'unreachable from stand-in too';
}

function evidenceFor(component: AutopilotComponent, samples: readonly AutopilotSample[], settings: AutopilotSettings, seconds: number): Evidence {
  switch (component) {
    case 'cardPayments':
    case 'fasterPayments':
      return paymentsEvidence(samples, settings, seconds);
    case 'apps':
      return samples.every((sample) => sample.primaryFromStandin !== 'ready')
        ? {
            holds: true,
            why: `primary ${samples.every((sample) => sample.primaryFromStandin === 'unreachable') ? 'unreachable' : 'unable to decide'} from stand-in's cloud for ${seconds} s`,
          }
        : { holds: false, why: "primary answered stand-in's probe in part of the time" };
    case 'directConnect':
      if (samples.some((sample) => !sample.gateway)) return { holds: false, why: 'the gateway could not be read throughout' };
      return samples.every((sample) => !sample.gateway!.primaryAnswersProbe)
        ? { holds: true, why: `primary did not answer the data centre's probe for ${seconds} s` }
        : { holds: false, why: "primary answered the gateway's probe in part of the time (slow is not unreachable)" };
  }
}

export function decideAutopilot(history: readonly AutopilotSample[], settings: AutopilotSettings, state: AutopilotState, nowMs: number): AutopilotDecision {
  const samples = window(history, nowMs, settings.holdMs);
  const seconds = Math.round(settings.holdMs / 1000);
  const none = (why: string): Evidence => ({ holds: false, why });
  const evidence = Object.fromEntries(
    AUTOPILOT_COMPONENTS.map((component): [AutopilotComponent, Evidence] => {
      if (!samples) return [component, none(`not sampled without gaps for the last ${seconds} s`)];
      if (samples.some((sample) => !sample.standinHealthy)) return [component, none('stand-in itself was not healthy throughout')];
      return [component, evidenceFor(component, samples, settings, seconds)];
    }),
  ) as Record<AutopilotComponent, Evidence>;

  const due = AUTOPILOT_COMPONENTS.filter((component) => evidence[component].holds && !state.on[component]);
  const withheld: { component: AutopilotComponent; why: string }[] = [];
  const eligible = due.filter((component) => {
    if (settings.optIn[component]) return true;
    withheld.push({ component, why: 'not opted in' });
    return false;
  });
  const recentChanges = state.changesAtMs.filter((at) => nowMs - at < HOUR_MS).length;
  let switchOn: AutopilotComponent[] = [];
  if (eligible.length > 0) {
    if (settings.mode !== 'on') {
      if (settings.mode === 'dry-run') for (const component of eligible) withheld.push({ component, why: 'dry-run: would have switched it on' });
    } else if (recentChanges >= settings.maxChangesPerHour) {
      for (const component of eligible)
        withheld.push({ component, why: `${recentChanges} changes in the last hour: the cap is ${settings.maxChangesPerHour}` });
    } else switchOn = eligible;
  }
  const reason = switchOn.length === 0 ? '' : `autopilot: ${[...new Set(switchOn.map((component) => evidence[component].why))].join('; ')}`;
  return { switchOn, reason, withheld, evidence };
}
