import type { Platform, StatusResponse } from '@bank/shared-contracts';
import type { PlatformUrls } from '../stack/services';
import { sleep } from './concurrency';
import { timedRequest } from './timed-request';

// Customers' apps as they behave in the field: each polls both platforms' `GET /status?user=`,
// follows the answer (talkTo) and calls that platform; when one platform does not answer it goes
// by the other's. Records, per user, which platform it talked to over time and every switch.

export interface AppUser {
  readonly customerId: string;
  readonly accountId: string;
  readonly token: string;
}

export interface AppDecision {
  readonly talkTo: Platform;
  readonly experience: 'full' | 'standin';
  readonly configurationVersion: number;
  /** Which platforms answered the status poll. */
  readonly answeredBy: readonly Platform[];
}

export interface AppObservation {
  readonly atMs: number;
  readonly user: string;
  readonly decision?: AppDecision;
  /** The app's call to the platform it was told to use (its balance screen): answered 200 or not. */
  readonly callOk: boolean;
}

export interface AppSwitch {
  readonly user: string;
  readonly at: string;
  readonly from: Platform | 'offline';
  readonly to: Platform | 'offline';
  readonly configurationVersion?: number;
}

export interface AppUserSummary {
  readonly user: string;
  readonly polls: number;
  readonly talkedTo: Readonly<Record<Platform | 'offline', number>>;
  readonly failedCalls: number;
  readonly switches: readonly AppSwitch[];
}

const STATUS_TIMEOUT_MS = 1_000;

/**
 * The app's rule: with both answers, the one from the newer configuration (equal versions say the
 * same); with one, that one; with none, the app is offline.
 */
export function decideFromStatuses(answers: { readonly primary?: StatusResponse; readonly standin?: StatusResponse }): AppDecision | undefined {
  const answered = (['primary', 'standin'] as const).filter((platform) => answers[platform] !== undefined);
  const chosen =
    answers.primary && answers.standin
      ? answers.standin.configurationVersion > answers.primary.configurationVersion
        ? answers.standin
        : answers.primary
      : (answers.primary ?? answers.standin);
  if (!chosen) return undefined;
  return { talkTo: chosen.talkTo, experience: chosen.experience, configurationVersion: chosen.configurationVersion, answeredBy: answered };
}

async function statusOf(url: string, user: string): Promise<StatusResponse | undefined> {
  const result = await timedRequest({ method: 'GET', url: `${url}/status?user=${encodeURIComponent(user)}`, giveUpMs: STATUS_TIMEOUT_MS });
  return result.kind === 'answer' && result.status === 200 ? (result.body as StatusResponse) : undefined;
}

/** One poll of both platforms for this user, as the app does before it acts. */
export async function decideForUser(urls: PlatformUrls, user: string): Promise<AppDecision | undefined> {
  const [primary, standin] = await Promise.all([statusOf(urls.primary, user), statusOf(urls.standin, user)]);
  return decideFromStatuses({ ...(primary ? { primary } : {}), ...(standin ? { standin } : {}) });
}

export function summariseAppUser(user: string, observations: readonly AppObservation[]): AppUserSummary {
  const talkedTo = { primary: 0, standin: 0, offline: 0 };
  const switches: AppSwitch[] = [];
  let previous: Platform | 'offline' | undefined;
  let failedCalls = 0;
  for (const observation of observations) {
    const now = observation.decision?.talkTo ?? 'offline';
    talkedTo[now]++;
    if (!observation.callOk) failedCalls++;
    if (previous !== undefined && now !== previous) {
      switches.push({
        user,
        at: new Date(observation.atMs).toISOString(),
        from: previous,
        to: now,
        ...(observation.decision ? { configurationVersion: observation.decision.configurationVersion } : {}),
      });
    }
    previous = now;
  }
  return { user, polls: observations.length, talkedTo, failedCalls, switches };
}

export interface AppClients {
  stop(): Promise<void>;
  observations(): readonly AppObservation[];
  summaries(): AppUserSummary[];
}

/** Starts one polling app per user; every `intervalMs` each polls, decides and makes its call. */
export function startAppClients(options: { urls: PlatformUrls; users: readonly AppUser[]; intervalMs: number }): AppClients {
  const observations: AppObservation[] = [];
  let running = true;
  const loop = async (user: AppUser, offsetMs: number) => {
    // Spread the polls over the interval, as real apps' are.
    await sleep(offsetMs);
    while (running) {
      const began = Date.now();
      const decision = await decideForUser(options.urls, user.customerId);
      let callOk = false;
      if (decision) {
        const call = await timedRequest({
          method: 'GET',
          url: `${options.urls[decision.talkTo]}/accounts/${user.accountId}`,
          token: user.token,
          giveUpMs: STATUS_TIMEOUT_MS,
        });
        callOk = call.kind === 'answer' && call.status === 200;
      }
      observations.push({ atMs: began, user: user.customerId, ...(decision ? { decision } : {}), callOk });
      await sleep(Math.max(0, options.intervalMs - (Date.now() - began)));
    }
  };
  const loops = options.users.map((user, index) => loop(user, Math.floor((index * options.intervalMs) / Math.max(1, options.users.length))));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    observations: () => observations,
    summaries: () =>
      options.users.map((user) =>
        summariseAppUser(
          user.customerId,
          observations.filter((observation) => observation.user === user.customerId),
        ),
      ),
  };
}
