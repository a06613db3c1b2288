import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  AdoptResult,
  CONFIGURATION_ERROR_CODES,
  CONFIGURATION_ROUTES,
  ConfigurationAudit,
  ConfigurationChange,
  ConfigurationDocument,
  cohortDay,
  DAILY_COHORT_ROUTE,
  DailyCohortQuery,
  DailyCohortMembers,
  inDailyCohort,
} from '@bank/shared-contracts';
import type { Database } from '../store/database';
import { AppRefusal } from '../app/app-routes';
import { adoptConfiguration, changeConfiguration, configurationAudit, currentConfiguration, StaleConfiguration } from './configuration-store';
import type { Operators } from './operators';
import type { StandinCredentials } from '../app/credentials';
import { BEARER, CONFIGURATION_TAG, ERROR_RESPONSES } from '../app/api-docs';

// The configuration API, the same routes and documents as primary's (shared-contracts). Reads are
// for operators and for the gateway and primary (each with its own credential); changes are for
// operators only; a whole document is adopted from an operator or primary (the peer).

export interface ConfigurationRouteDependencies {
  readonly database: Database;
  readonly operators: Operators;
  readonly credentials: StandinCredentials;
  readonly now: () => Date;
  readonly parse: <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;
  /** Told of every document that became current here, so effects (prescale) follow at once. */
  readonly onCurrent?: (document: ConfigurationDocument) => void;
}

/** The audit's query for the reference; the route checks it by hand, with its own message. */
const AuditQuery = z.object({ limit: z.number().int().min(1).max(1_000).default(50).describe('how many versions, newest first') });

const bearer = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
};

const operatorRequired = () =>
  new AppRefusal(
    401,
    CONFIGURATION_ERROR_CODES.operatorTokenRequired,
    'the configuration API needs an operator token (Authorization: Bearer <token>); a customer token is not one',
  );

export function configurationRoutes(server: FastifyInstance, deps: ConfigurationRouteDependencies): void {
  const { database, operators, parse } = deps;
  const operator = (request: FastifyRequest) => {
    const name = operators.identify(bearer(request));
    if (!name) throw operatorRequired();
    return name;
  };
  /** An operator (by name, from the credential), or a service the call map admitted here (`peer:primary`, `peer:gateway`). */
  const reader = (request: FastifyRequest) => {
    const credential = deps.credentials.whoIs(bearer(request));
    if (credential && 'operator' in credential) return credential.operator;
    if (credential) return `peer:${credential.service}`;
    throw operatorRequired();
  };
  const stale = (failure: unknown) => {
    if (failure instanceof StaleConfiguration) throw new AppRefusal(409, CONFIGURATION_ERROR_CODES.stale, failure.message);
    throw failure;
  };

  server.get(
    CONFIGURATION_ROUTES.current,
    {
      schema: {
        summary: 'The current stand-in configuration (operator, or the peer platform or gateway with its own credential)',
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        response: { 200: ConfigurationDocument, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      reader(request);
      return currentConfiguration(database);
    },
  );

  server.post(
    CONFIGURATION_ROUTES.changes,
    {
      schema: {
        summary: 'Change the configuration (operator; 409 CONFIGURATION_STALE unless based on the current version)',
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        body: ConfigurationChange,
        response: { 200: ConfigurationDocument, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const name = operator(request);
      const change = parse('configuration change', ConfigurationChange, request.body);
      const document = await changeConfiguration(database, { operator: name, change, now: deps.now() }).catch(stale);
      request.log.warn({ operator: name, version: document.version, reason: document.reason }, 'stand-in configuration changed');
      deps.onCurrent?.(document);
      return document;
    },
  );

  server.post(
    CONFIGURATION_ROUTES.adopt,
    {
      schema: {
        summary: "Adopt the other platform's document if its version is higher",
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        body: ConfigurationDocument,
        response: { 200: AdoptResult, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const name = reader(request);
      const offered = parse('configuration document', ConfigurationDocument, request.body);
      const result = await adoptConfiguration(database, offered, name).catch(stale);
      if (result.adopted) {
        request.log.warn({ by: name, version: offered.version, reason: offered.reason }, 'stand-in adopted a newer configuration');
        deps.onCurrent?.(result.current);
      }
      return result;
    },
  );

  // Who is on stand-in today because of the always-on cohort: what `standin status --cohort` shows.
  // In pages: the bank's customers are too many for one answer (or one read of them).
  server.get(
    DAILY_COHORT_ROUTE,
    {
      schema: {
        summary:
          "Today's always-on cohort: the day, the percentage, the customers stand-in knows in it, in pages (?limit, at most 1,000; ?after: the previous page's next) (operator)",
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        querystring: DailyCohortQuery,
        response: { 200: DailyCohortMembers, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<DailyCohortMembers> => {
      operator(request);
      const query = parse('cohort query', DailyCohortQuery, request.query ?? {});
      const now = deps.now();
      const configuration = await currentConfiguration(database);
      const { rows: known } = await database.query<{ n: string }>('select count(distinct customer_id) as n from synced_accounts');
      const header = { day: cohortDay(now), percent: configuration.dailyCohort.percent, customersKnown: Number(known[0]?.n ?? 0) };
      if (configuration.dailyCohort.percent === 0) return { ...header, members: [] };
      const page = await cohortPage(database, (customer) => inDailyCohort(configuration, customer, now), query);
      return { ...header, ...page };
    },
  );

  server.get(
    CONFIGURATION_ROUTES.audit,
    {
      schema: {
        summary: 'Every configuration version, newest first (operator)',
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        querystring: AuditQuery,
        response: { 200: ConfigurationAudit, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      operator(request);
      const limit = Number((request.query as { limit?: string }).limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1_000)
        throw new AppRefusal(400, CONFIGURATION_ERROR_CODES.invalid, 'limit must be a whole number from 1 to 1000');
      return { entries: await configurationAudit(database, limit) };
    },
  );
}

/** Customers read from the database at a time while a page of the cohort is gathered. */
const COHORT_SCAN_BATCH = 5_000;
/** The most customers one page looks through: a small cohort's page ends here, with a `next`, rather than reading every customer. */
const COHORT_SCAN_MAX = 50_000;

/** One page of today's cohort: customers in id order after `after`, at most `limit` of them in it. */
async function cohortPage(
  database: Database,
  inCohort: (customerId: string) => boolean,
  query: DailyCohortQuery,
): Promise<{ members: string[]; next?: string }> {
  const members: string[] = [];
  let after = query.after ?? null;
  let scanned = 0;
  for (;;) {
    const { rows } = await database.query<{ customer_id: string }>(
      `select distinct customer_id from synced_accounts where ($1::uuid is null or customer_id > $1::uuid) order by customer_id limit $2`,
      [after, COHORT_SCAN_BATCH],
    );
    for (const { customer_id: customer } of rows) {
      if (!inCohort(customer)) continue;
      members.push(customer);
      // Full: the next page starts after this member (the rest of this batch is read again then).
      if (members.length === query.limit) return { members, next: customer };
    }
    scanned += rows.length;
    const last = rows.at(-1)?.customer_id;
    if (rows.length < COHORT_SCAN_BATCH || last === undefined) return { members };
    after = last;
    if (scanned >= COHORT_SCAN_MAX) return { members, next: last };
  }
}
