import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppRefusal } from '../app/app-routes';
import { BEARER, ERROR_RESPONSES, OPERATIONS_TAG } from '../app/api-docs';
import type { Database } from '../store/database';
import { INCIDENT_ROUTES, IncidentReport, IncidentSummary, incidentReport, listIncidents } from './incident-report';

// `standin incident list` and `standin incident report <id>` read these.

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const ReportPath = z.object({ incidentId: z.uuid().toLowerCase() });

type Parse = <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;

export function incidentRoutes(server: FastifyInstance, deps: { database: Database; now: () => Date; parse: Parse }): void {
  server.get(
    INCIDENT_ROUTES.list,
    {
      schema: {
        summary: 'Incidents: each time stand-in served anyone, newest first (operator)',
        tags: [OPERATIONS_TAG],
        security: BEARER,
        querystring: ListQuery,
        response: { 200: z.object({ incidents: z.array(IncidentSummary) }), ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ incidents: await listIncidents(deps.database, deps.parse('incident list query', ListQuery, request.query).limit) }),
  );
  server.get(
    INCIDENT_ROUTES.report,
    {
      schema: {
        summary: "An incident's report: timeline, impact, money stand-in decided, peaks (operator)",
        tags: [OPERATIONS_TAG],
        security: BEARER,
        params: ReportPath,
        response: { 200: IncidentReport, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { incidentId } = deps.parse('incident path', ReportPath, request.params);
      const report = await incidentReport(deps.database, incidentId, deps.now());
      if (!report) throw new AppRefusal(404, 'STANDIN_NOT_FOUND', 'no such incident');
      return report;
    },
  );
}
