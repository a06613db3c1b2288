import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
    cardDecisions: new Counter({
      name: 'primary_card_decisions_total',
      help: 'Card authorisation decisions by response code',
      labelNames: ['response_code'],
      registers: [registry],
    }),
    outboxPublished: new Counter({ name: 'primary_outbox_events_published_total', help: 'Outbox events published to Kafka', registers: [registry] }),
  };
}

export type PrimaryMetrics = ReturnType<typeof createMetrics>;
