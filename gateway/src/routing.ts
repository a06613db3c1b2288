import type { Logger } from 'pino';
import type { ConfigurationDocument } from '@bank/shared-contracts';
import { routeFor, switchCause, type BreakerState, type Platform, type Route, type RouteCause, type RoutingInputs } from './destination';
import type { GatewayMetrics } from './metrics';

/** What GET /routing answers: where traffic goes, why, and what the gateway knows. */
export interface RoutingSnapshot {
  readonly destination: Platform;
  readonly cause: RouteCause;
  readonly reason: string;
  /** When traffic last switched to this destination (or the gateway started). */
  readonly since: string;
  readonly autoFailover: boolean;
  readonly primaryBreaker: BreakerState;
  readonly configuration: {
    /** The last document read from stand-in, or null when none ever was. */
    readonly version: number | null;
    readonly directConnect: boolean | null;
    readonly updatedAt: string | null;
    /** When the gateway first read this version. */
    readonly versionSeenAt: string | null;
    /** When the gateway last read it. */
    readonly readAt: string | null;
    readonly reachable: boolean;
    /** Why the last read failed, while it is failing. */
    readonly problem: string | null;
  };
}

export interface Routing {
  inputs(): RoutingInputs;
  route(): Route;
  configurationRead(document: ConfigurationDocument, at: Date): void;
  configurationUnreadable(problem: string): void;
  primaryBreakerChanged(state: BreakerState): void;
  snapshot(): RoutingSnapshot;
}

/**
 * Holds what decides the destination and notices every change of it, whatever the cause: each
 * switch is logged once at warn with its reason and counted, so an incident's timeline can be read
 * from the gateway's log and metrics.
 */
export function createRouting(deps: { autoFailover: boolean; logger: Logger; metrics: GatewayMetrics; now: () => Date }): Routing {
  let inputs: RoutingInputs = { directConnect: undefined, configurationVersion: undefined, autoFailover: deps.autoFailover, primaryBreaker: 'closed' };
  let route = routeFor(inputs);
  let since = deps.now();
  let document: ConfigurationDocument | undefined;
  let readAt: Date | undefined;
  let versionSeenAt: Date | undefined;
  let problem: string | undefined;

  const publish = () => {
    deps.metrics.destination.set({ platform: 'primary' }, route.destination === 'primary' ? 1 : 0);
    deps.metrics.destination.set({ platform: 'standin' }, route.destination === 'standin' ? 1 : 0);
  };
  publish();

  const update = (change: Partial<RoutingInputs>) => {
    inputs = { ...inputs, ...change };
    const next = routeFor(inputs);
    const previous = route;
    route = next;
    if (next.destination !== previous.destination) {
      since = deps.now();
      const cause = switchCause(previous, next);
      deps.metrics.switches.inc({ from: previous.destination, to: next.destination, cause });
      deps.logger.warn(
        { event: 'destination_switch', from: previous.destination, to: next.destination, cause, reason: next.reason },
        `payment traffic now goes to ${next.destination} (was ${previous.destination}): ${next.reason}`,
      );
      publish();
    } else if (next.cause !== previous.cause) {
      deps.logger.info(
        { event: 'route_reason_changed', destination: next.destination, cause: next.cause, reason: next.reason },
        `payment traffic still goes to ${next.destination}: ${next.reason}`,
      );
    }
  };

  return {
    inputs: () => inputs,
    route: () => route,
    configurationRead(read, at) {
      if (read.version !== document?.version) versionSeenAt = at;
      document = read;
      readAt = at;
      problem = undefined;
      deps.metrics.configurationVersion.set(read.version);
      deps.metrics.configurationReachable.set(1);
      if (read.directConnect !== inputs.directConnect || read.version !== inputs.configurationVersion)
        update({ directConnect: read.directConnect, configurationVersion: read.version });
    },
    configurationUnreadable(why) {
      // The last document stays in force: stand-in being unreachable is not a decision to change routing.
      problem = why;
      deps.metrics.configurationReachable.set(0);
    },
    primaryBreakerChanged(state) {
      deps.metrics.primaryBreakerOpen.set(state === 'closed' ? 0 : 1);
      if (state !== inputs.primaryBreaker) update({ primaryBreaker: state });
    },
    snapshot: () => ({
      destination: route.destination,
      cause: route.cause,
      reason: route.reason,
      since: since.toISOString(),
      autoFailover: inputs.autoFailover,
      primaryBreaker: inputs.primaryBreaker,
      configuration: {
        version: document?.version ?? null,
        directConnect: document?.directConnect ?? null,
        updatedAt: document?.updatedAt ?? null,
        versionSeenAt: versionSeenAt?.toISOString() ?? null,
        readAt: readAt?.toISOString() ?? null,
        reachable: problem === undefined && document !== undefined,
        problem: problem ?? null,
      },
    }),
  };
}
