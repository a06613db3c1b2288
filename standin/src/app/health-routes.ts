import type { FastifyInstance } from 'fastify';
import { Liveness, Readiness } from '@bank/shared-contracts';
import type { Database } from '../store/database';
import { OPERATIONS_TAG } from './api-docs';

/** A paused database must not hold a load balancer's check past its own timeout. */
const READY_DATABASE_BUDGET_MS = 1_000;

/** `select 1` answered within the budget; a hung database counts as unreachable. */
async function databaseAnswers(database: Database): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), READY_DATABASE_BUDGET_MS)));
  const answered = database.query('select 1').then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For a load balancer and an orchestrator, asked separately: /health/live never touches a
 * dependency (a database outage must not get every replica restarted); /health/ready takes this
 * replica out of rotation while its database does not answer. Stand-in decides from its own
 * database alone: Pub/Sub is behind the advice outbox, so it does not make a replica unready.
 */
export function healthRoutes(server: FastifyInstance, deps: { database: Database }): void {
  server.get(
    '/health/live',
    { schema: { summary: 'Does the stand-in process run? (no dependency asked)', tags: [OPERATIONS_TAG], response: { 200: Liveness } } },
    async (): Promise<Liveness> => ({ status: 'live' }),
  );
  server.get(
    '/health/ready',
    {
      schema: {
        summary: 'Should this replica take traffic? (its database answers within 1 s; else 503)',
        tags: [OPERATIONS_TAG],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply): Promise<Readiness> => {
      const database = (await databaseAnswers(deps.database)) ? 'ok' : 'unreachable';
      reply.code(database === 'ok' ? 200 : 503);
      return { status: database === 'ok' ? 'ready' : 'unready', checks: { database } };
    },
  );
}
