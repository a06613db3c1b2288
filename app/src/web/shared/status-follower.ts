// Which platform the customer's app talks to, and which experience it shows, from polling both
// platforms' GET /status?user= (the same rule as the simulator's app clients, plus what a real
// app on a real network needs: it must not flap).
//
// - Both answer: the answer from the newer configuration wins (equal versions say the same).
// - One answers: that one, unless it is older than the newest configuration this app has already
//   seen. Configurations only move forward, so an older one is stale information: a platform slow
//   under an incident's load, or one poll lost, must not move the customer back (perhaps onto a
//   platform that has not yet applied what they did on the other). The app stays, and after
//   `staleAfterPolls` such polls in a row says it cannot reach the bank. Engineers stay in control:
//   a change they make reaches the app as a newer configuration from whichever platform answers.
// - Neither answers: nothing changes; after `offlineAfterPolls` such polls the app says it is offline.
//
// Pure: no clock, no network. The app feeds it one poll at a time.

export type Platform = 'primary' | 'standin';
export type Experience = 'full' | 'standin';

export interface PlatformStatus {
  readonly platform: Platform;
  readonly configurationVersion: number;
  readonly experience: Experience;
  readonly talkTo: Platform;
  readonly sync?: { readonly lagMs: number; readonly alerting: boolean };
}

export type PollAnswer = { readonly ok: true; readonly status: PlatformStatus } | { readonly ok: false; readonly why: string };

export interface Poll {
  readonly primary: PollAnswer;
  readonly standin: PollAnswer;
}

export interface FollowRules {
  readonly staleAfterPolls: number;
  readonly offlineAfterPolls: number;
}

export const DEFAULT_FOLLOW_RULES: FollowRules = { staleAfterPolls: 3, offlineAfterPolls: 2 };

export interface Following {
  /** False until a platform has answered once: the app shows a sign of life, not a guess. */
  readonly decided: boolean;
  readonly talkTo: Platform;
  readonly experience: Experience;
  /** The configuration version the current decision came from. */
  readonly configurationVersion: number;
  /** Polls in a row in which only an older configuration was heard (the platform the app follows did not answer). */
  readonly stalePolls: number;
  /** Polls in a row in which neither platform answered. */
  readonly silentPolls: number;
  /** The platform the app follows has not answered for a while (or neither has): say so, change nothing. */
  readonly offline: boolean;
  readonly reachable: { readonly primary: boolean; readonly standin: boolean };
  /** Stand-in's sync lag as it last said (it is what "as of" means in the stand-in experience). */
  readonly standinSync?: { readonly lagMs: number; readonly alerting: boolean };
  /** How many times the decision has changed (for the app's own metrics and tests). */
  readonly flips: number;
}

export const NOT_YET_DECIDED: Following = {
  decided: false,
  talkTo: 'primary',
  experience: 'full',
  configurationVersion: -1,
  stalePolls: 0,
  silentPolls: 0,
  offline: false,
  reachable: { primary: false, standin: false },
  flips: 0,
};

/** The answer of the newer configuration; on equal versions primary's (they say the same). */
function newestAnswer(poll: Poll): PlatformStatus | undefined {
  const primary = poll.primary.ok ? poll.primary.status : undefined;
  const standin = poll.standin.ok ? poll.standin.status : undefined;
  if (primary && standin) return standin.configurationVersion > primary.configurationVersion ? standin : primary;
  return primary ?? standin;
}

export function follow(previous: Following, poll: Poll, rules: FollowRules = DEFAULT_FOLLOW_RULES): Following {
  const reachable = { primary: poll.primary.ok, standin: poll.standin.ok };
  const standinSync = poll.standin.ok ? poll.standin.status.sync : previous.standinSync;
  const base = { ...previous, reachable, ...(standinSync ? { standinSync } : {}) };
  const answer = newestAnswer(poll);
  if (!answer) {
    const silentPolls = previous.silentPolls + 1;
    return { ...base, silentPolls, offline: silentPolls >= rules.offlineAfterPolls };
  }
  const heard = { ...base, silentPolls: 0, offline: false };
  if (previous.decided && answer.configurationVersion < previous.configurationVersion) {
    const stalePolls = previous.stalePolls + 1;
    return { ...heard, stalePolls, offline: stalePolls >= rules.staleAfterPolls };
  }
  const changed = previous.decided && (answer.talkTo !== previous.talkTo || answer.experience !== previous.experience);
  return {
    ...heard,
    decided: true,
    talkTo: answer.talkTo,
    experience: answer.experience,
    configurationVersion: answer.configurationVersion,
    stalePolls: 0,
    flips: previous.flips + (changed ? 1 : 0),
  };
}

/** A /status answer as the app needs it, or undefined for anything else (an HTML error page, a proxy's answer). */
export function statusFromBody(body: unknown): PlatformStatus | undefined {
  const candidate = body as Partial<PlatformStatus> | null | undefined;
  const platform = (value: unknown): value is Platform => value === 'primary' || value === 'standin';
  if (!candidate || typeof candidate !== 'object') return undefined;
  if (!platform(candidate.platform) || !platform(candidate.talkTo)) return undefined;
  if (candidate.experience !== 'full' && candidate.experience !== 'standin') return undefined;
  if (!Number.isInteger(candidate.configurationVersion) || (candidate.configurationVersion as number) < 0) return undefined;
  const sync = candidate.sync;
  const validSync = sync && Number.isFinite(sync.lagMs) && typeof sync.alerting === 'boolean' ? { sync: { lagMs: sync.lagMs, alerting: sync.alerting } } : {};
  return {
    platform: candidate.platform,
    configurationVersion: candidate.configurationVersion as number,
    experience: candidate.experience,
    talkTo: candidate.talkTo,
    ...validSync,
  };
}
