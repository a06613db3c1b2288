import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance (no global default registry: tests build several apps). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'primary_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'primary_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: [registry],
    }),
    databaseRoundTrips: new Counter({
      name: 'primary_database_round_trips_total',
      help: "Queries sent to primary's PostgreSQL, one round trip each, by pool (card: the card authorisation path; main: everything else)",
      labelNames: ['pool'],
      registers: [registry],
    }),
    cardDecisions: new Counter({
      name: 'primary_card_decisions_total',
      help: 'Card authorisation decisions by response code',
      labelNames: ['response_code'],
      registers: [registry],
    }),
    timeoutReversals: new Counter({
      name: 'primary_standin_timeout_reversals_total',
      help: 'Timeout reversals owed to stand-in for authorisations it did not answer in time, by outcome (scheduled; recorded_late: kept in memory until the database answered; acknowledged; flagged: past the attempts after which operators are told; dropped: not recordable and too many waiting)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    lateApprovalReversals: new Counter({
      name: 'primary_late_approval_reversals_total',
      help: 'Reversals primary owes its own approvals that committed after the card budget, when the network had been answered 91 (rows in timeout_reversals_owed, owed_to primary), by outcome (scheduled, recorded_late, acknowledged, flagged, dropped)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    cardBudgetExceeded: new Counter({
      name: 'primary_card_budget_exceeded_total',
      help: 'Card messages primary could not answer within PRIMARY_CARD_BUDGET_MS (its database slow or hung), answered 91 (authorisations, reversals) or 503 with Retry-After (clearings), by message',
      labelNames: ['message'],
      registers: [registry],
    }),
    cardHoldsExpired: new Counter({
      name: 'primary_card_holds_expired_total',
      help: 'Authorisation holds released because no clearing came within HOLD_EXPIRY_DAYS',
      registers: [registry],
    }),
    clearingsDeferred: new Counter({
      name: 'primary_clearings_deferred_total',
      help: 'Clearings sent back to be presented again because their authorisation is not known yet (CLEARING_MATCH_WAIT_MS)',
      registers: [registry],
    }),
    outboxPublished: new Counter({ name: 'primary_outbox_events_published_total', help: 'Outbox events published to Kafka', registers: [registry] }),
    paymentsRouted: new Counter({
      name: 'primary_payments_routed_total',
      help: 'Payment messages by stand-in component and the platform chosen to process them',
      labelNames: ['component', 'destination'],
      registers: [registry],
    }),
    standinProxyFailures: new Counter({
      name: 'primary_standin_proxy_failures_total',
      help: 'Payment messages routed to stand-in that it did not answer, by component and reason (timeout, unreachable, circuit_open, bad_answer, reset)',
      labelNames: ['component', 'reason'],
      registers: [registry],
    }),
    advicesQuarantined: new Gauge({
      name: 'primary_advices_quarantined',
      help: "Stand-in advices primary could not apply, set aside with their reason and not re-driven yet (alert above 0: a customer's stand-in activity is missing from primary's ledger)",
      registers: [registry],
    }),
    timeoutReversalsOwed: new Gauge({
      name: 'primary_standin_timeout_reversals_owed',
      help: 'Timeout reversals primary owes and that are not acknowledged yet: to stand-in, and of its own approvals that committed after its card budget (read from the table at scrape time)',
      registers: [registry],
    }),
    timeoutReversalsFlagged: new Gauge({
      name: 'primary_standin_timeout_reversals_flagged',
      help: 'Of the timeout reversals owed, those unacknowledged after many attempts (alert above 0: money approved after a 91 may stay held; still retried)',
      registers: [registry],
    }),
    configurationVersion: new Gauge({
      name: 'primary_configuration_version',
      help: 'Version of the stand-in configuration this process routes with; compare with stand-in to see convergence',
      registers: [registry],
    }),
    shadowMessages: new Counter({
      name: 'primary_shadow_messages_total',
      help: 'Card authorisations primary decided and copied to stand-in for shadow decisioning, by outcome (sent: stand-in gave a verdict; disagreed: of those, stand-in decided differently; dropped: the queue was full; failed: no verdict)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    shadowQueueDepth: new Gauge({
      name: 'primary_shadow_queue_depth',
      help: 'Shadow messages waiting to be sent to stand-in (not counting those in flight)',
      registers: [registry],
    }),
    configurationPeerSync: new Counter({
      name: 'primary_configuration_peer_sync_total',
      help: "Reads of stand-in's configuration by outcome (adopted, adopted_unrecorded, current, behind, conflict, unavailable, no_service, refused, invalid)",
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

export type PrimaryMetrics = ReturnType<typeof createMetrics>;
