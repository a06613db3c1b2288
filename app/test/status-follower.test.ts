import fc from 'fast-check';
import {
  follow,
  NOT_YET_DECIDED,
  statusFromBody,
  type Following,
  type Platform,
  type PlatformStatus,
  type Poll,
  type PollAnswer,
} from '../src/web/shared/status-follower';

// The app's rule for which platform to talk to, over histories of polls: it follows the newest
// configuration, flips both ways without a reload, and does not flap on a lost poll.

const answer = (platform: Platform, configurationVersion: number, onStandin: boolean, lagMs?: number): PollAnswer => ({
  ok: true,
  status: {
    platform,
    configurationVersion,
    experience: onStandin ? 'standin' : 'full',
    talkTo: onStandin ? 'standin' : 'primary',
    ...(lagMs === undefined ? {} : { sync: { lagMs, alerting: lagMs > 5_000 } }),
  },
});
const silent: PollAnswer = { ok: false, why: 'could not connect' };
const poll = (primary: PollAnswer, standin: PollAnswer): Poll => ({ primary, standin });
const run = (polls: readonly Poll[], start: Following = NOT_YET_DECIDED) =>
  polls.reduce<Following[]>((states, next) => [...states, follow(states.at(-1) ?? start, next)], []);

describe('which platform the app talks to', () => {
  test('nothing is decided until a platform answers; both silent long enough is offline, and nothing flips', () => {
    const states = run([poll(silent, silent), poll(silent, silent)]);
    expect(states.map((state) => [state.decided, state.offline])).toEqual([
      [false, false],
      [false, true],
    ]);
  });

  test('a normal day: both answer version 0, full experience from primary', () => {
    const [state] = run([poll(answer('primary', 0, false), answer('standin', 0, false, 80))]);
    expect(state).toMatchObject({ decided: true, talkTo: 'primary', experience: 'full', configurationVersion: 0, standinSync: { lagMs: 80, alerting: false } });
  });

  test('the incident: apps redirected (stand-in has the new version first), primary killed, primary back, apps rolled back: two flips', () => {
    const states = run([
      poll(answer('primary', 3, false), answer('standin', 3, false)),
      // The CLI writes stand-in first: for a moment only stand-in has version 4.
      poll(answer('primary', 3, false), answer('standin', 4, true)),
      poll(answer('primary', 4, true), answer('standin', 4, true)),
      // Primary is SIGKILLed: stand-in's answer alone.
      poll(silent, answer('standin', 5, true)),
      poll(silent, answer('standin', 5, true)),
      // Primary is back, still on its old version until its peer sync: no flip on that.
      poll(answer('primary', 4, true), answer('standin', 5, true)),
      // The roll-back reaches this user.
      poll(answer('primary', 6, false), answer('standin', 6, false)),
    ]);
    expect(states.map((state) => state.talkTo)).toEqual(['primary', 'standin', 'standin', 'standin', 'standin', 'standin', 'primary']);
    expect(states.at(-1)).toMatchObject({ experience: 'full', flips: 2 });
  });

  test('one lost poll of the platform with the newer configuration does not move the customer back on an older one', () => {
    const states = run([
      poll(answer('primary', 4, false), answer('standin', 5, true)),
      poll(answer('primary', 4, false), silent),
      poll(answer('primary', 4, false), answer('standin', 5, true)),
    ]);
    expect(states.map((state) => state.talkTo)).toEqual(['standin', 'standin', 'standin']);
    expect(states.at(-1)!.flips).toBe(0);
  });

  test('nor do several: configurations only move forward, so the app stays and, after a few polls, says it cannot reach the bank', () => {
    const states = run([
      poll(answer('primary', 4, false), answer('standin', 5, true)),
      poll(answer('primary', 4, false), silent),
      poll(answer('primary', 4, false), silent),
      poll(answer('primary', 4, false), silent),
      // The engineer moves apps back on the platform that answers: a newer configuration, followed at once.
      poll(answer('primary', 6, false), silent),
    ]);
    expect(states.map((state) => [state.talkTo, state.offline])).toEqual([
      ['standin', false],
      ['standin', false],
      ['standin', false],
      ['standin', true],
      ['primary', false],
    ]);
  });

  test('equal versions say the same: primary is asked, and a tie never flips', () => {
    const states = run([
      poll(answer('primary', 7, true), answer('standin', 7, true)),
      poll(answer('primary', 7, true), silent),
      poll(silent, answer('standin', 7, true)),
    ]);
    expect(states.map((state) => state.talkTo)).toEqual(['standin', 'standin', 'standin']);
    expect(states.at(-1)!.flips).toBe(0);
  });

  const versionOf = (answer: PollAnswer) => (answer.ok ? answer.status.configurationVersion : -1);
  const newest = (each: Poll) => Math.max(versionOf(each.primary), versionOf(each.standin));
  // Either platform may be ahead (the CLI writes stand-in first, or primary when stand-in is down).
  const arbitraryPoll = fc
    .record({ base: fc.nat(20), ahead: fc.integer({ min: -3, max: 3 }), primaryOnStandin: fc.boolean(), standinOnStandin: fc.boolean() })
    .map(({ base, ahead, primaryOnStandin, standinOnStandin }) =>
      poll(
        answer('primary', base + Math.max(0, -ahead), ahead === 0 ? standinOnStandin : primaryOnStandin),
        answer('standin', base + Math.max(0, ahead), standinOnStandin),
      ),
    );
  // Versions only grow in real life: each history in order of the newest version it carries.
  const history = fc.array(arbitraryPoll, { minLength: 1, maxLength: 30 }).map((polls) => [...polls].sort((a, b) => newest(a) - newest(b)));

  test('property: with both platforms answering, the app follows the newest configuration of each poll', () => {
    fc.assert(
      fc.property(history, (polls) => {
        const states = run(polls);
        polls.forEach((each, index) => {
          const primary = (each.primary as { status: PlatformStatus }).status;
          const standin = (each.standin as { status: PlatformStatus }).status;
          const chosen = standin.configurationVersion > primary.configurationVersion ? standin : primary;
          expect(states[index]!.talkTo).toBe(chosen.talkTo);
        });
      }),
    );
  });

  test('property: a lost answer (of either platform, after any history, however far ahead it was) never changes where the app talks to', () => {
    fc.assert(
      fc.property(history, fc.constantFrom<'primary' | 'standin'>('primary', 'standin'), (polls, lost) => {
        const before = run(polls).at(-1)!;
        const last = polls.at(-1)!;
        // The same poll again with one platform's answer lost: nothing new was said, so nothing may change.
        const lossy = follow(before, lost === 'primary' ? poll(silent, last.standin) : poll(last.primary, silent));
        expect([lossy.talkTo, lossy.experience]).toEqual([before.talkTo, before.experience]);
      }),
    );
  });
});

test("a /status answer that is not a status (a proxy's error page, an empty body) counts as no answer", () => {
  expect(
    statusFromBody({ platform: 'standin', configurationVersion: 3, experience: 'standin', talkTo: 'standin', sync: { lagMs: 5, alerting: false } }),
  ).toEqual({
    platform: 'standin',
    configurationVersion: 3,
    experience: 'standin',
    talkTo: 'standin',
    sync: { lagMs: 5, alerting: false },
  });
  for (const body of [
    undefined,
    null,
    '<html>maintenance</html>',
    {},
    { platform: 'primary', configurationVersion: -1, experience: 'full', talkTo: 'primary' },
    { platform: 'primary', configurationVersion: 1, experience: 'full', talkTo: 'elsewhere' },
  ])
    expect(statusFromBody(body)).toBeUndefined();
});
