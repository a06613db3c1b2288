import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SCHEME_MESSAGES } from './scheme-messages';

/** What became of one message from the network. */
export type MessageOutcome =
  /** A platform answered; its answer was passed on. */
  | 'answered'
  /** Refused by the gateway (400): not a valid message. */
  | 'invalid'
  /** No platform answered in time (504, response code 91). */
  | 'no_answer'
  /** A clearing held back while traffic goes to stand-in (503). */
  | 'deferred';

export const TIMEOUT_REVERSAL_OUTCOMES = ['recorded', 'acknowledged', 'retried', 'gave_up', 'dropped', 'unrecorded'] as const;

/** One registry per gateway instance (tests run several in one process). */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' });
  const metrics = {
    registry,
    messages: new Counter({
      name: 'gateway_messages_total',
      help: 'Scheme messages received, by kind, the platform they went to (none when not sent) and outcome',
      labelNames: ['message', 'destination', 'outcome'],
      registers: [registry],
    }),
    forwardSeconds: new Histogram({
      name: 'gateway_forward_duration_seconds',
      help: 'Time from receiving a message to having its answer (or giving up), by kind and destination',
      labelNames: ['message', 'destination'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
      registers: [registry],
    }),
    failovers: new Counter({
      name: 'gateway_failovers_total',
      help: 'Messages primary never received (connection refused, breaker open) sent to stand-in instead, by kind',
      labelNames: ['message'],
      registers: [registry],
    }),
    switches: new Counter({
      name: 'gateway_destination_switches_total',
      help: 'Changes of where payment traffic goes, by from, to and cause',
      labelNames: ['from', 'to', 'cause'],
      registers: [registry],
    }),
    destination: new Gauge({
      name: 'gateway_destination',
      help: '1 for the platform payment traffic currently goes to, 0 for the other',
      labelNames: ['platform'],
      registers: [registry],
    }),
    primaryBreakerOpen: new Gauge({
      name: 'gateway_primary_breaker_open',
      help: "1 while primary's circuit breaker is open or half open",
      registers: [registry],
    }),
    configurationVersion: new Gauge({
      name: 'gateway_configuration_version',
      help: "Version of stand-in's configuration document last read (-1: never read)",
      registers: [registry],
    }),
    configurationReachable: new Gauge({
      name: 'gateway_configuration_reachable',
      help: "1 when the last read of stand-in's configuration succeeded",
      registers: [registry],
    }),
    timeoutReversals: new Counter({
      name: 'gateway_timeout_reversals_total',
      help: 'Timeout reversals the gateway owes a platform after answering a card authorisation 91: recorded, acknowledged, retried (an attempt failed), gave_up, dropped (too many owed), unrecorded (storage failed)',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    }),
    timeoutReversalsPending: new Gauge({
      name: 'gateway_timeout_reversals_pending',
      help: 'Timeout reversals owed and not yet acknowledged, by the platform they are owed to',
      labelNames: ['target'],
      registers: [registry],
    }),
    timeoutReversalOldestSeconds: new Gauge({
      name: 'gateway_timeout_reversal_oldest_seconds',
      help: 'Age of the oldest timeout reversal still owed (0: none)',
      registers: [registry],
    }),
  };
  for (const target of ['primary', 'standin']) {
    for (const outcome of TIMEOUT_REVERSAL_OUTCOMES) metrics.timeoutReversals.inc({ target, outcome }, 0);
    metrics.timeoutReversalsPending.set({ target }, 0);
  }
  for (const kind of SCHEME_MESSAGES) metrics.failovers.inc({ message: kind.name }, 0);
  metrics.configurationVersion.set(-1);
  metrics.configurationReachable.set(0);
  return metrics;
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
