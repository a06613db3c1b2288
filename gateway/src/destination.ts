// Where payment traffic goes, as pure functions of what the gateway knows, so every combination
// can be checked without a network.

export type Platform = 'primary' | 'standin';

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface RoutingInputs {
  /** From stand-in's configuration document; undefined while no document has ever been read. */
  readonly directConnect: boolean | undefined;
  readonly configurationVersion: number | undefined;
  readonly autoFailover: boolean;
  readonly primaryBreaker: BreakerState;
}

/** Why traffic goes where it goes: a metric label, stable. */
export type RouteCause = 'normal' | 'configuration_never_read' | 'primary_breaker_open_failover_off' | 'direct_connect' | 'auto_failover';

export interface Route {
  readonly destination: Platform;
  readonly cause: RouteCause;
  /** For operators, in the switch log and GET /routing. */
  readonly reason: string;
}

const breakerWords: Record<BreakerState, string> = { closed: 'closed', open: 'open', halfOpen: 'half open (probing primary)' };

/** Where payment traffic goes as a whole. Direct connect wins over everything: an operator chose it. */
export function routeFor(inputs: RoutingInputs): Route {
  if (inputs.directConnect === true) {
    return {
      destination: 'standin',
      cause: 'direct_connect',
      reason: `direct connect is on in stand-in's configuration (version ${inputs.configurationVersion})`,
    };
  }
  if (inputs.primaryBreaker !== 'closed') {
    if (inputs.autoFailover) {
      return {
        destination: 'standin',
        cause: 'auto_failover',
        reason: `automatic failover: primary's circuit breaker is ${breakerWords[inputs.primaryBreaker]}`,
      };
    }
    return {
      destination: 'primary',
      cause: 'primary_breaker_open_failover_off',
      reason: `primary's circuit breaker is ${breakerWords[inputs.primaryBreaker]} but automatic failover is off: messages primary cannot take are answered 504`,
    };
  }
  if (inputs.directConnect === undefined) {
    return { destination: 'primary', cause: 'configuration_never_read', reason: "stand-in's configuration has never been read, so traffic goes to primary" };
  }
  return {
    destination: 'primary',
    cause: 'normal',
    reason: `direct connect is off (configuration version ${inputs.configurationVersion}) and primary's circuit breaker is closed`,
  };
}

export type MessageDestination =
  | { readonly destination: Platform; readonly route: Route }
  /** Not sent anywhere: the network presents it again later. */
  | { readonly destination: 'deferred'; readonly route: Route };

/** Where one message goes. Stand-in takes no clearings, so while traffic goes there they wait. */
export function decideDestination(inputs: RoutingInputs, message: { readonly standinTakesIt: boolean }): MessageDestination {
  const route = routeFor(inputs);
  if (route.destination === 'standin' && !message.standinTakesIt) return { destination: 'deferred', route };
  return { destination: route.destination, route };
}

/**
 * How a forward to primary failed:
 * - `not_sent`: primary never received a byte (connection refused, no route to it, or the breaker
 *   refused to try). The message has no effect anywhere yet.
 * - `no_answer`: the request may have reached primary (timed out, or the connection broke while
 *   waiting). Primary may have approved it: its outcome is unknown.
 */
export type PrimaryFailure = 'not_sent' | 'no_answer';

export type AfterPrimaryFailure = 'standin' | 'no_answer' | 'deferred';

/**
 * What to do with a message primary did not answer. Only a message primary never received may go
 * to stand-in: after a timeout primary may have approved it, and stand-in approving it too would
 * take the customer's money twice (the network sees one approval, both ledgers post one). The
 * network's own stand-in rules are safer than that.
 */
export function afterPrimaryFailure(failure: PrimaryFailure, autoFailover: boolean, message: { readonly standinTakesIt: boolean }): AfterPrimaryFailure {
  if (failure === 'no_answer' || !autoFailover) return 'no_answer';
  return message.standinTakesIt ? 'standin' : 'deferred';
}

/** A stable label for why traffic moved, for the switch counter. */
export function switchCause(previous: Route, next: Route): string {
  if (next.destination === 'standin') return next.cause === 'direct_connect' ? 'direct_connect_on' : 'auto_failover';
  return previous.cause === 'direct_connect' ? 'direct_connect_off' : 'primary_recovered';
}
