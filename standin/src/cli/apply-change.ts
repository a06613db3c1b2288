import { sameConfiguration, type ConfigurationDocument, type Platform } from '@bank/shared-contracts';
import { CliError } from './cli-error';
import { differences, type ChangeSpec, type Difference } from './change-plan';
import type { Confirm } from './confirm';
import { checkInFlight, mayMoveAnyoneBack, prospectiveConfiguration, type InFlightCheck } from './in-flight';
import { PLATFORM_LABEL, type PlatformClient, type Reading } from './platform-client';

// How a change reaches both configuration services, safely:
//  1. read both; the newer document is the base (a platform back from an outage is first brought
//     up to it, whole, never merged);
//  2. write the change to stand-in (it is the one that must work when primary is down; primary
//     when stand-in is unreachable), based on the base's version, so a concurrent change by
//     someone else is refused rather than overwritten;
//  3. hand the resulting document, whole, to the other platform. A platform that is down takes it
//     from its peer when it is back (each platform reads the other's configuration every few
//     seconds), and the CLI says so.
// Before writing, a change that moves users back to primary is checked against stand-in's advices
// in flight (in-flight.ts); the confirmation decides what a warning means (confirm.ts).

export interface PlatformOutcome {
  readonly platform: Platform;
  readonly reachable: boolean;
  /** What happened there, in words. */
  readonly outcome: string;
  readonly version?: number;
}

export interface ChangeOutcome {
  readonly changed: boolean;
  readonly before: ConfigurationDocument;
  readonly after: ConfigurationDocument;
  readonly differences: Difference[];
  readonly platforms: PlatformOutcome[];
  readonly notes: string[];
  /** Whether users this change moved back had effects primary had not applied yet. */
  readonly inFlight: InFlightCheck;
}

export interface Clients {
  readonly primary: PlatformClient;
  readonly standin: PlatformClient;
}

type Reachable = Extract<Reading, { reachable: true }>;

export async function readBoth(clients: Clients): Promise<{ primary: Reading; standin: Reading }> {
  const [primary, standin] = await Promise.all([clients.primary.read(), clients.standin.read()]);
  return { primary, standin };
}

export async function applyChange(
  clients: Clients,
  request: { reason: string; plan: (base: ConfigurationDocument) => ChangeSpec; confirm: Confirm; now?: () => Date },
): Promise<ChangeOutcome> {
  const readings = await readBoth(clients);
  const reachable = [readings.standin, readings.primary].filter((reading): reading is Reachable => reading.reachable);
  if (reachable.length === 0) {
    throw new CliError(
      'NO_PLATFORM',
      `neither platform answered, nothing changed:\n  stand-in: ${reason(readings.standin)}\n  primary:  ${reason(readings.primary)}`,
    );
  }
  const notes: string[] = [];
  const base = reachable.map((reading) => reading.configuration).reduce((newest, next) => (next.version > newest.version ? next : newest));
  const outcomes = new Map<Platform, PlatformOutcome>();

  for (const reading of reachable) {
    if (reading.configuration.version < base.version) {
      // Bringing a platform that is behind up to date is a courtesy, not the change: one that cannot
      // take it now (its database still recovering) catches up from its peer on its own.
      const brought = await clients[reading.platform].adopt(base).then(
        () => true,
        (failure: unknown) => {
          if (failure instanceof CliError && failure.code === 'OPERATOR_TOKEN_REFUSED') throw failure;
          notes.push(
            `${PLATFORM_LABEL[reading.platform]} is behind (version ${reading.configuration.version}) and could not take version ${base.version} now (${(failure as Error).message}); it catches up from its peer`,
          );
          return false;
        },
      );
      if (brought)
        notes.push(`${PLATFORM_LABEL[reading.platform]} was behind (version ${reading.configuration.version}); brought up to version ${base.version} first`);
    } else if (!sameConfiguration(reading.configuration, base)) {
      notes.push(`the platforms disagreed at version ${base.version}; this change settles it`);
    }
  }

  const spec = request.plan(base);
  const found = differences(base, spec);
  if (found.length === 0) {
    for (const reading of reachable)
      outcomes.set(reading.platform, { platform: reading.platform, reachable: true, outcome: `unchanged at version ${base.version}`, version: base.version });
    return { changed: false, before: base, after: base, differences: [], platforms: finish(readings, outcomes, base), notes, inFlight: { state: 'clear' } };
  }
  const inFlight = await inFlightFor(clients, readings.standin, base, prospectiveConfiguration(base, spec), (request.now ?? (() => new Date()))());
  await request.confirm(found, base, inFlight);

  // Stand-in first: if primary is down this is the only write, and it is the one that counts.
  const [writer, ...others] = reachable;
  const after = await clients[writer!.platform].change({ basedOnVersion: base.version, reason: request.reason, ...spec }).catch((failure: unknown) => {
    if (failure instanceof CliError && failure.code === 'STALE') {
      throw new CliError(
        'STALE',
        `${failure.message}\nSomeone changed the configuration while you were looking. Nothing of yours was applied: run \`standin status\` and decide again.`,
      );
    }
    throw failure;
  });
  outcomes.set(writer!.platform, { platform: writer!.platform, reachable: true, outcome: `changed to version ${after.version}`, version: after.version });
  for (const other of others) {
    try {
      await clients[other.platform].adopt(after);
      outcomes.set(other.platform, { platform: other.platform, reachable: true, outcome: `took version ${after.version}`, version: after.version });
    } catch (failure) {
      outcomes.set(other.platform, {
        platform: other.platform,
        reachable: true,
        outcome: `did not take version ${after.version} (${(failure as Error).message}); it reads ${PLATFORM_LABEL[writer!.platform]}'s every few seconds and will catch up`,
      });
    }
  }
  return { changed: true, before: base, after, differences: found, platforms: finish(readings, outcomes, after), notes, inFlight };
}

/** Stand-in's advices in flight against the users this change moves back; asked only when it may move anyone back. */
async function inFlightFor(clients: Clients, standin: Reading, before: ConfigurationDocument, after: ConfigurationDocument, now: Date): Promise<InFlightCheck> {
  if (!mayMoveAnyoneBack(before, after)) return { state: 'clear' };
  if (!standin.reachable) return checkInFlight(before, after, { unavailable: `stand-in is unreachable: ${standin.reason}` }, now);
  const report = await clients.standin.advicesInFlight().catch((failure: unknown) => {
    if (failure instanceof CliError && failure.code === 'OPERATOR_TOKEN_REFUSED') throw failure;
    const known = failure instanceof CliError && failure.code === 'NO_CONFIGURATION_SERVICE';
    return { unavailable: known ? 'this stand-in does not report its advices in flight (an older version?)' : (failure as Error).message };
  });
  return checkInFlight(before, after, report, now);
}

function finish(readings: { primary: Reading; standin: Reading }, outcomes: Map<Platform, PlatformOutcome>, target: ConfigurationDocument): PlatformOutcome[] {
  return [readings.standin, readings.primary].map(
    (reading) =>
      outcomes.get(reading.platform) ?? {
        platform: reading.platform,
        reachable: false,
        outcome: `UNREACHABLE (${reason(reading)}); it will take version ${target.version} from its peer when it is back`,
      },
  );
}

const reason = (reading: Reading) => (reading.reachable ? 'reachable' : reading.reason);
