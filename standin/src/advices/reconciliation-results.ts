import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RECONCILIATIONS_ROUTE, ReconciliationResult } from '@bank/shared-contracts';
import { BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../app/api-docs';
import type { Database, Session } from '../store/database';

// What the advice consumer's reconciliation found, recorded as it reports it (append-only), so an
// incident's report can say whether every effect stand-in decided reached primary exactly once.

type Parse = <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;

export function reconciliationRoutes(server: FastifyInstance, deps: { database: Database; now: () => Date; parse: Parse }): void {
  server.post(
    RECONCILIATIONS_ROUTE,
    {
      schema: {
        summary: "A reconciliation's result, from the advice consumer's reconcile command (advice consumer)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        body: ReconciliationResult,
        response: { 200: z.object({ recorded: z.literal(true) }), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const result = deps.parse('reconciliation result', ReconciliationResult, request.body);
      await deps.database.query('insert into reconciliations (checked_at, result, recorded_at) values ($1, $2, $3)', [
        result.checkedAt,
        JSON.stringify(result),
        deps.now(),
      ]);
      return { recorded: true as const };
    },
  );
}

/** The newest result of a reconciliation checked at or after `since`. */
export async function latestReconciliation(database: Database | Session, since: Date): Promise<ReconciliationResult | undefined> {
  const { rows } = await database.query<{ result: unknown }>('select result from reconciliations where checked_at >= $1 order by checked_at desc limit 1', [
    since,
  ]);
  return rows[0] ? ReconciliationResult.parse(rows[0].result) : undefined;
}
