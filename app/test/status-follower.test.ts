import fc from 'fast-check';
import { follow, NOT_YET_DECIDED, type Following, type Platform, type Poll, type PollAnswer } from '../src/web/shared/status-follower';

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

  test('but a platform silent for several polls in a row is given up: the app goes by the one that answers', () => {
    const states = run([
      poll(answer('primary', 4, false), answer('standin', 5, true)),
      poll(answer('primary', 4, false), silent),
      poll(answer('primary', 4, false), silent),
      poll(answer('primary', 4, false), silent),
    ]);
    expect(states.map((state) => state.talkTo)).toEqual(['standin', 'standin', 'standin', 'primary']);
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

  test('property: with both platforms answering, the app follows the newest configuration of each poll', () => {
    const arbitraryPoll = fc
      .record({ primaryVersion: fc.nat(20), ahead: fc.nat(3), primaryOnStandin: fc.boolean(), standinOnStandin: fc.boolean() })
      .map(({ primaryVersion, ahead, primaryOnStandin, standinOnStandin }) =>
        poll(answer('primary', primaryVersion, primaryOnStandin), answer('standin', primaryVersion + ahead, ahead === 0 ? primaryOnStandin : standinOnStandin)),
      );
    fc.assert(
      fc.property(fc.array(arbitraryPoll, { minLength: 1, maxLength: 30 }), (polls) => {
        // Versions only grow in real life: sort each history by the newest version it carries.
        const ordered = [...polls].sort(
          (a, b) =>
            Math.max(
              (a.primary as { status: { configurationVersion: number } }).status.configurationVersion,
              (a.standin as { status: { configurationVersion: number } }).status.configurationVersion,
            ) -
            Math.max(
              (b.primary as { status: { configurationVersion: number } }).status.configurationVersion,
              (b.standin as { status: { configurationVersion: number } }).status.configurationVersion,
            ),
        );
        const states = run(ordered);
        ordered.forEach((each, index) => {
          const primary = (each.primary as { status: { configurationVersion: number; talkTo: Platform } }).status;
          const standin = (each.standin as { status: { configurationVersion: number; talkTo: Platform } }).status;
          const newest = standin.configurationVersion > primary.configurationVersion ? standin : primary;
          expect(states[index]!.talkTo).toBe(newest.talkTo);
        });
      }),
    );
  });

  test('property: a single lost poll (anywhere, of either platform) never changes where the app talks to', () => {
    const history = fc.array(
      fc
        .record({ version: fc.nat(5), onStandin: fc.boolean() })
        .map(({ version, onStandin }) => poll(answer('primary', version, onStandin), answer('standin', version, onStandin))),
      { minLength: 1, maxLength: 15 },
    );
    fc.assert(
      fc.property(history, fc.constantFrom<'primary' | 'standin'>('primary', 'standin'), (polls, lost) => {
        const ordered = [...polls].sort(
          (a, b) =>
            (a.primary as { status: { configurationVersion: number } }).status.configurationVersion -
            (b.primary as { status: { configurationVersion: number } }).status.configurationVersion,
        );
        const before = run(ordered).at(-1)!;
        const last = ordered.at(-1)!;
        const lossy = follow(before, lost === 'primary' ? poll(silent, last.standin) : poll(last.primary, silent));
        expect(lossy.talkTo).toBe(before.talkTo);
        expect(lossy.experience).toBe(before.experience);
      }),
    );
  });
});
