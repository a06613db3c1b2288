import fc from 'fast-check';
import {
  AUTOPILOT_COMPONENTS,
  DEFAULT_AUTOPILOT_SETTINGS,
  decideAutopilot,
  type AutopilotSample,
  type AutopilotSettings,
  type AutopilotState,
  type GatewayTraffic,
} from '../src/autopilot/autopilot-decision';

// The autopilot's decision over recorded signal histories: what an engineer on call would do, and
// nothing an engineer would not. Samples every 5 s, as the autopilot takes them.

const ALL_IN: AutopilotSettings = {
  ...DEFAULT_AUTOPILOT_SETTINGS,
  mode: 'on',
  optIn: { cardPayments: true, fasterPayments: true, apps: true, directConnect: true },
};
const NOTHING_ON: AutopilotState = { on: { cardPayments: false, fasterPayments: false, apps: false, directConnect: false }, changesAtMs: [] };
const EVERY_MS = 5_000;

const traffic = (total: number, failing: Partial<Omit<GatewayTraffic, 'total'>> = {}): GatewayTraffic => ({
  total,
  timedOut: 0,
  connectionFailed: 0,
  serverErrors: 0,
  issuerUnavailable: 0,
  ...failing,
});
const healthy = (atMs: number): AutopilotSample => ({
  atMs,
  standinHealthy: true,
  primaryFromStandin: 'ready',
  gateway: { toPrimary: traffic(40), primaryBreakerOpen: false, primaryAnswersProbe: true },
});
const dead = (atMs: number): AutopilotSample => ({
  atMs,
  standinHealthy: true,
  primaryFromStandin: 'unreachable',
  gateway: { toPrimary: traffic(40, { connectionFailed: 40 }), primaryBreakerOpen: true, primaryAnswersProbe: false },
});
/** A history from `fromMs` to `toMs`, one sample every 5 s, each made by `at`. */
const recorded = (fromMs: number, toMs: number, at: (atMs: number) => AutopilotSample) => {
  const samples: AutopilotSample[] = [];
  for (let atMs = fromMs; atMs <= toMs; atMs += EVERY_MS) samples.push(at(atMs));
  return samples;
};

describe('the autopilot over recorded histories', () => {
  test('a dead primary (SIGKILLed at 60 s): nothing for the first 30 s of evidence, then everything opted in, in one change naming the evidence', () => {
    const history = recorded(0, 120_000, (atMs) => (atMs < 60_000 ? healthy(atMs) : dead(atMs)));
    expect(decideAutopilot(history, ALL_IN, NOTHING_ON, 85_000).switchOn).toEqual([]);
    const decision = decideAutopilot(history, ALL_IN, NOTHING_ON, 90_000);
    expect(decision.switchOn).toEqual(['cardPayments', 'fasterPayments', 'apps', 'directConnect']);
    expect(decision.reason).toContain("the gateway's breaker for primary open for 30 s (primary unreachable from stand-in too)");
    expect(decision.reason).toContain("primary unreachable from stand-in's cloud for 30 s");
    expect(decision.reason).toContain("primary did not answer the data centre's probe for 30 s");
  });

  test('a slow but healthy primary (every message answered, late in the day but answered): nothing', () => {
    const history = recorded(0, 300_000, (atMs) => ({ ...healthy(atMs), gateway: { ...healthy(atMs).gateway!, toPrimary: traffic(40, { timedOut: 3 }) } }));
    const decision = decideAutopilot(history, ALL_IN, NOTHING_ON, 300_000);
    expect(decision.switchOn).toEqual([]);
    expect(decision.evidence.directConnect.why).toContain('slow is not unreachable');
  });

  test('a primary that times out most card messages but still answers its probes: payments move, direct connect does not', () => {
    const history = recorded(0, 60_000, (atMs) => ({
      ...healthy(atMs),
      gateway: { toPrimary: traffic(40, { timedOut: 30 }), primaryBreakerOpen: false, primaryAnswersProbe: true },
    }));
    const decision = decideAutopilot(history, ALL_IN, NOTHING_ON, 60_000);
    expect(decision.switchOn).toEqual(['cardPayments', 'fasterPayments']);
    expect(decision.reason).toBe('autopilot: primary failed 210 of 280 payment messages (75%) for 30 s');
  });

  test('a flapping primary (down 10 s, up 5 s, for five minutes): the evidence never holds, nothing moves', () => {
    const history = recorded(0, 300_000, (atMs) => (atMs % 15_000 === 10_000 ? healthy(atMs) : dead(atMs)));
    for (let nowMs = 30_000; nowMs <= 300_000; nowMs += EVERY_MS) expect(decideAutopilot(history, ALL_IN, NOTHING_ON, nowMs).switchOn).toEqual([]);
  });

  test('a gateway cut off from a healthy primary: direct connect only (the payments components act inside primary, which is fine)', () => {
    const history = recorded(0, 60_000, (atMs) => ({
      ...healthy(atMs),
      gateway: { toPrimary: traffic(40, { connectionFailed: 40 }), primaryBreakerOpen: true, primaryAnswersProbe: false },
    }));
    const decision = decideAutopilot(history, ALL_IN, NOTHING_ON, 60_000);
    expect(decision.switchOn).toEqual(['directConnect']);
    expect(decision.evidence.apps.holds).toBe(false);
  });

  test("primary's database down (primary answers, 91 to every card message, cannot decide): payments and apps, not direct connect", () => {
    const history = recorded(0, 60_000, (atMs) => ({
      atMs,
      standinHealthy: true,
      primaryFromStandin: 'cannot_decide',
      gateway: { toPrimary: traffic(40, { issuerUnavailable: 40 }), primaryBreakerOpen: false, primaryAnswersProbe: true },
    }));
    expect(decideAutopilot(history, ALL_IN, NOTHING_ON, 60_000).switchOn).toEqual(['cardPayments', 'fasterPayments', 'apps']);
  });

  test('stand-in not healthy itself, the gateway unreadable, a gap in sampling, or too few messages: nothing', () => {
    const sick = recorded(0, 60_000, (atMs) => ({ ...dead(atMs), standinHealthy: atMs !== 45_000 }));
    expect(decideAutopilot(sick, ALL_IN, NOTHING_ON, 60_000).switchOn).toEqual([]);
    const blind = recorded(0, 60_000, (atMs) => ({ atMs, standinHealthy: true, primaryFromStandin: 'ready' }));
    expect(decideAutopilot(blind, ALL_IN, NOTHING_ON, 60_000).switchOn).toEqual([]);
    const gappy = recorded(0, 60_000, dead).filter((sample) => sample.atMs < 35_000 || sample.atMs > 50_000);
    expect(decideAutopilot(gappy, ALL_IN, NOTHING_ON, 60_000).evidence.cardPayments.why).toContain('not sampled without gaps');
    const quiet = recorded(0, 60_000, (atMs) => ({ ...healthy(atMs), gateway: { ...healthy(atMs).gateway!, toPrimary: traffic(1, { timedOut: 1 }) } }));
    expect(decideAutopilot(quiet, ALL_IN, NOTHING_ON, 60_000).evidence.cardPayments.why).toContain('too few messages');
  });

  test('guard rails: opt-in per component, the hourly cap, dry-run, and nothing for what is already on', () => {
    const history = recorded(0, 60_000, dead);
    const appsOnly = { ...ALL_IN, optIn: { ...DEFAULT_AUTOPILOT_SETTINGS.optIn, apps: true } };
    const decision = decideAutopilot(history, appsOnly, NOTHING_ON, 60_000);
    expect(decision.switchOn).toEqual(['apps']);
    expect(decision.withheld).toContainEqual({ component: 'directConnect', why: 'not opted in' });

    const capped = decideAutopilot(history, ALL_IN, { ...NOTHING_ON, changesAtMs: [10_000, 20_000, 30_000] }, 60_000);
    expect(capped.switchOn).toEqual([]);
    expect(capped.withheld[0]?.why).toBe('3 changes in the last hour: the cap is 3');
    // An hour on, the cap has room again.
    expect(decideAutopilot(recorded(0, 3_700_000, dead), ALL_IN, { ...NOTHING_ON, changesAtMs: [10_000, 20_000, 30_000] }, 3_700_000).switchOn).toHaveLength(4);

    const dryRun = decideAutopilot(history, { ...ALL_IN, mode: 'dry-run' }, NOTHING_ON, 60_000);
    expect(dryRun.switchOn).toEqual([]);
    expect(dryRun.withheld.map((entry) => entry.why)).toEqual(Array(4).fill('dry-run: would have switched it on'));
    expect(decideAutopilot(history, { ...ALL_IN, mode: 'off' }, NOTHING_ON, 60_000)).toMatchObject({ switchOn: [], withheld: [] });

    const someOn = { ...NOTHING_ON, on: { ...NOTHING_ON.on, apps: true, directConnect: true } };
    expect(decideAutopilot(history, ALL_IN, someOn, 60_000).switchOn).toEqual(['cardPayments', 'fasterPayments']);
  });

  test('property: whatever it saw, it only switches on components opted in and not already on, only in mode on, only with stand-in healthy throughout the hold, and only under the cap', () => {
    const sample = (atMs: number) =>
      fc.record({
        atMs: fc.constant(atMs),
        standinHealthy: fc.boolean(),
        primaryFromStandin: fc.constantFrom<'ready' | 'cannot_decide' | 'unreachable'>('ready', 'cannot_decide', 'unreachable'),
        gateway: fc.option(
          fc.record({
            toPrimary: fc
              .record({ total: fc.nat(50), timedOut: fc.nat(50), connectionFailed: fc.nat(50), serverErrors: fc.nat(50), issuerUnavailable: fc.nat(50) })
              .map((t) => ({ ...t, total: Math.max(t.total, t.timedOut + t.connectionFailed + t.serverErrors + t.issuerUnavailable) })),
            primaryBreakerOpen: fc.boolean(),
            primaryAnswersProbe: fc.boolean(),
          }),
          { nil: undefined },
        ),
      });
    const history = fc.integer({ min: 1, max: 30 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => sample(index * EVERY_MS))));
    const flags = fc.record({ cardPayments: fc.boolean(), fasterPayments: fc.boolean(), apps: fc.boolean(), directConnect: fc.boolean() });
    fc.assert(
      fc.property(
        history,
        flags,
        flags,
        fc.constantFrom<'off' | 'dry-run' | 'on'>('off', 'dry-run', 'on'),
        fc.array(fc.nat(200_000), { maxLength: 5 }),
        (samples, optIn, on, mode, changesAtMs) => {
          const nowMs = samples.at(-1)!.atMs;
          const settings = { ...ALL_IN, mode, optIn, maxChangesPerHour: 3 };
          const decision = decideAutopilot(samples, settings, { on, changesAtMs }, nowMs);
          for (const component of decision.switchOn) {
            expect(AUTOPILOT_COMPONENTS).toContain(component);
            expect(optIn[component]).toBe(true);
            expect(on[component]).toBe(false);
          }
          if (decision.switchOn.length > 0) {
            expect(mode).toBe('on');
            expect(changesAtMs.filter((at) => nowMs - at < 3_600_000).length).toBeLessThan(3);
            expect(samples.filter((each) => each.atMs >= nowMs - settings.holdMs).every((each) => each.standinHealthy)).toBe(true);
            expect(decision.reason).toMatch(/^autopilot: /);
          }
        },
      ),
    );
  });
});
