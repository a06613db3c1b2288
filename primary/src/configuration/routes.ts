import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  AdoptResult,
  CONFIGURATION_ROUTES,
  ConfigurationAudit,
  ConfigurationChange,
  ConfigurationDocument,
  StatusResponse,
  UserId,
  onStandin,
} from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withinMs } from '../platform/deadline';
import { PrimaryError } from '../platform/errors';
import { bearerToken, parseInput } from '../platform/http';
import type { PrimaryCredentials } from '../platform/credentials';
import { APP_TAG, BEARER, CONFIGURATION_TAG, ERROR_RESPONSES } from '../platform/api-docs';
import type { ConfigurationCache } from './configuration-cache';
import { configurationErrors, describeVersion } from './configuration-errors';
import type { ConfigurationStore } from './configuration-store';

/** A hung database must not hold the configuration API (the CLI waits 3 s per call): reads and writes wait this long at most. */
export const CONFIGURATION_READ_BUDGET_MS = 500;
export const CONFIGURATION_WRITE_BUDGET_MS = 1_000;

/** How the peer platform adopting with its own credential is recorded in the audit: `peer:standin`. */
export const PEER_CALLER_PREFIX = 'peer:';

const AuditQuery = z.object({
  limit: z.coerce
    .number({ error: 'expected a number' })
    .int({ error: 'expected a whole number' })
    .min(1, { error: 'expected at least 1' })
    .max(1_000, { error: 'expected at most 1,000' })
    .default(100),
});

const StatusQuery = z.object({ user: UserId.optional() });

/** parseInput's validation, answered with the configuration API's own error code as on stand-in. */
function parseConfigurationInput<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  try {
    return parseInput(what, schema, input);
  } catch (error) {
    if (error instanceof PrimaryError && error.issues) throw configurationErrors.invalid(what, error.issues);
    throw error;
  }
}

/** The configuration API, as CONFIGURATION_ROUTES describes it; the same on stand-in. */
export function configurationRoutes(
  app: FastifyInstance,
  deps: { store: ConfigurationStore; cache: ConfigurationCache; credentials: PrimaryCredentials },
): void {
  const { store, cache } = deps;

  /** The operator's name, from the credential (never from the body): what the audit records. */
  const operator = (request: FastifyRequest): string => {
    const credential = deps.credentials.identify(bearerToken(request));
    if (credential?.kind !== 'operator') throw configurationErrors.operatorTokenRequired(false);
    return credential.name;
  };
  /** An operator, or the peer platform (stand-in) with its own credential; the call map has already refused anyone else. */
  const operatorOrPeer = (request: FastifyRequest): string => {
    const credential = deps.credentials.identify(bearerToken(request));
    if (credential?.kind === 'operator') return credential.name;
    if (credential?.kind === 'service' && credential.identity === 'standin') return `${PEER_CALLER_PREFIX}${credential.identity}`;
    throw configurationErrors.operatorTokenRequired(true);
  };

  app.get(
    CONFIGURATION_ROUTES.current,
    {
      schema: {
        summary: 'The current stand-in configuration (operator, or stand-in with its own credential)',
        tags: [CONFIGURATION_TAG],
        security: BEARER,
        response: { 200: ConfigurationDocument, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ConfigurationDocument> => {
      operatorOrPeer(request);
      // Through the cache: with the database down, or hung (the refresh waits a moment at most),
      // the answer is still what routing uses.
      await withinMs(cache.refresh(), CONFIGURATION_READ_BUDGET_MS, 'reading the configuration').catch(() => undefined);
      return cache.current();
    },
  );

  app.post(
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
    async (request): Promise<ConfigurationDocument> => {
      const name = operator(request);
      const change = parseConfigurationInput('configuration change', ConfigurationChange, request.body);
      const document = await withinMs(store.change(name, change), CONFIGURATION_WRITE_BUDGET_MS, 'recording the configuration change');
      cache.offer(document);
      request.log.warn({ operator: name, version: document.version, reason: document.reason }, 'stand-in configuration changed');
      return document;
    },
  );

  app.post(
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
    async (request): Promise<AdoptResult> => {
      const name = operatorOrPeer(request);
      const offered = parseConfigurationInput('configuration document', ConfigurationDocument, request.body);
      // A hung database answers 503 in time (the caller, the CLI, moves on); primary's peer sync
      // then takes the document from stand-in and routes by it from memory.
      const result = await withinMs(store.adopt(offered, name), CONFIGURATION_WRITE_BUDGET_MS, 'recording the adopted configuration');
      cache.offer(result.current);
      switch (result.kind) {
        case 'adopted':
          request.log.warn({ by: name, version: offered.version, updatedBy: offered.updatedBy, reason: offered.reason }, 'stand-in configuration adopted');
          return { adopted: true, current: result.current };
        case 'already_current':
          return { adopted: false, reason: `primary already holds version ${offered.version} with the same content`, current: result.current };
        case 'stale':
          throw configurationErrors.stale(
            offered.version === result.current.version
              ? `primary holds a different document at version ${offered.version}: ${describeVersion(result.current)}; nothing was adopted: make a new change (based on version ${result.current.version}) to settle which one stands`
              : `the offered version ${offered.version} is older than primary's ${describeVersion(result.current)}; nothing was adopted: read primary's configuration instead`,
          );
      }
    },
  );

  app.get(
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
    async (request): Promise<ConfigurationAudit> => {
      operator(request);
      const { limit } = parseConfigurationInput('configuration audit query', AuditQuery, request.query);
      return { entries: await store.audit(limit) };
    },
  );
}

/** What an app polls to know which experience to show and which platform to call. No token: every app asks. */
export function statusRoutes(app: FastifyInstance, deps: { cache: ConfigurationCache; clock: Clock }): void {
  app.get(
    '/status',
    {
      schema: {
        summary: "Which experience and platform this user's app should use",
        tags: [APP_TAG],
        querystring: StatusQuery,
        response: { 200: StatusResponse, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<StatusResponse> => {
      const { user } = parseInput('status query', StatusQuery, request.query);
      const document = deps.cache.current();
      const now = deps.clock.now();
      // The app's own targeting or today's cohort, with the day from the same clock that stamps the answer.
      const standin = onStandin(document, 'app', user, now);
      return {
        platform: 'primary',
        configurationVersion: document.version,
        ...(user === undefined ? {} : { user }),
        experience: standin ? 'standin' : 'full',
        talkTo: standin ? 'standin' : 'primary',
        checkedAt: now.toISOString(),
      };
    },
  );
}
