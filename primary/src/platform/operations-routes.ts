import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Liveness, Readiness, TIMEOUT_REVERSALS_ROUTE, TimeoutReversalsReport, type ConfigurationDocument } from '@bank/shared-contracts';
import type { TimeoutReversals } from '../routing/timeout-reversals';
import { withinMs } from './deadline';
import type { Db } from './db';
import { errors } from './errors';
import { parseInput } from './http';
import type { PrimaryMetrics } from './metrics';
import { BEARER, ERROR_RESPONSES, ErrorEnvelope, OPERATIONS_TAG } from './api-docs';

/** How long /health waits for `select 1` before saying primary's database does not answer. */
const HEALTH_DATABASE_BUDGET_MS = 1_000;
const ROUTE_HEALTH_DATABASE_BUDGET_MS = 250;

const TimeoutReversalsQuery = z.strictObject({ limit: z.coerce.number().int().min(0).max(1_000).default(20) });
const NO_TIMEOUT_REVERSALS: TimeoutReversalsReport = { owed: 0, flagged: 0, oldestFlagged: [] };

const Health = z.object({ status: z.literal('ok') });
const RouteHealth = z.object({
  status: z.literal('ok'),
  canRoute: z.literal(true).describe('answered from memory: primary can answer every payment message in time'),
  canDecide: z.boolean().describe("primary's database answered within 250 ms"),
  configurationVersion: z.number().int(),
});

/**
 * Two questions, for two callers. /health: can primary decide (its database answers, within a
 * second even when it hangs)? /health/route: can primary route (answer every payment message in
 * time, from the configuration in memory: its own 91, or stand-in's answer for users routed
 * there)? The gateway's breaker asks the second when it has nowhere else to send traffic.
 */
export function operationsRoutes(
  app: FastifyInstance,
  deps: {
    db: Db;
    configuration: { current(): ConfigurationDocument };
    metrics: PrimaryMetrics;
    quarantinedAdvices: () => Promise<number>;
    /** Refuses a caller with neither an operator's token nor the internal one. */
    operatorOrInternal: (request: FastifyRequest) => void;
    /** None (an app built without stand-in): nothing is ever owed. */
    timeoutReversals?: Pick<TimeoutReversals, 'report'>;
  },
): void {
  const timeoutReversals = (limit: number) => deps.timeoutReversals?.report(limit) ?? Promise.resolve(NO_TIMEOUT_REVERSALS);
  const databaseAnswers = async (budgetMs = HEALTH_DATABASE_BUDGET_MS): Promise<boolean> =>
    withinMs(deps.db.query('select 1'), budgetMs, "primary's database").then(
      () => true,
      () => false,
    );
  app.get(
    '/health',
    {
      schema: {
        summary: 'Can primary decide? (its database answers within 1 s; else 503)',
        tags: [OPERATIONS_TAG],
        response: { 200: Health, 503: ErrorEnvelope },
      },
    },
    async () => {
      if (!(await databaseAnswers())) throw errors.dependencyUnavailable("primary's database");
      return { status: 'ok' };
    },
  );
  // For a load balancer and an orchestrator: /health/live never touches a dependency (a database
  // outage must not get every replica restarted); /health/ready takes this replica out of rotation
  // while its database does not answer. Redis is a best-effort cache and Kafka is behind the
  // outbox: neither keeps primary from deciding, so neither makes it unready.
  app.get(
    '/health/live',
    { schema: { summary: 'Does the primary process run? (no dependency asked)', tags: [OPERATIONS_TAG], response: { 200: Liveness } } },
    async (): Promise<Liveness> => ({ status: 'live' }),
  );
  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Should this replica take traffic? (its database answers within 1 s; else 503)',
        tags: [OPERATIONS_TAG],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply): Promise<Readiness> => {
      const database = (await databaseAnswers()) ? 'ok' : 'unreachable';
      reply.code(database === 'ok' ? 200 : 503);
      return { status: database === 'ok' ? 'ready' : 'unready', checks: { database } };
    },
  );
  app.get(
    '/health/route',
    { schema: { summary: 'Can primary route? (answered from memory)', tags: [OPERATIONS_TAG], response: { 200: RouteHealth } } },
    async () => {
      const document = deps.configuration.current();
      // Informational here, and quick: routing does not wait on the database.
      return { status: 'ok', canRoute: true, canDecide: await databaseAnswers(ROUTE_HEALTH_DATABASE_BUDGET_MS), configurationVersion: document.version };
    },
  );
  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text exposition format)', tags: [OPERATIONS_TAG] } }, async (_request, reply) => {
    // Read at scrape time, so the alert sees the table, not a counter a restart would reset; a
    // database too slow to count keeps the last figure rather than the scrape.
    await withinMs(deps.quarantinedAdvices(), 500, 'counting quarantined advices')
      .then((count) => deps.metrics.advicesQuarantined.set(count))
      .catch(() => undefined);
    await withinMs(timeoutReversals(0), 500, 'counting timeout reversals owed')
      .then((report) => {
        deps.metrics.timeoutReversalsOwed.set(report.owed);
        deps.metrics.timeoutReversalsFlagged.set(report.flagged);
      })
      .catch(() => undefined);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get(
    TIMEOUT_REVERSALS_ROUTE,
    {
      schema: {
        summary: 'Timeout reversals primary owes stand-in, and those flagged after many attempts (operator or internal token)',
        tags: [OPERATIONS_TAG],
        security: BEARER,
        querystring: TimeoutReversalsQuery,
        response: { 200: TimeoutReversalsReport, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<TimeoutReversalsReport> => {
      deps.operatorOrInternal(request);
      const { limit } = parseInput('timeout reversals query', TimeoutReversalsQuery, request.query);
      return timeoutReversals(limit);
    },
  );
}
