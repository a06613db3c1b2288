import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SHADOW_ROUTES, ShadowCardAuthorisation, ShadowReport, ShadowVerdict, Timestamp } from '@bank/shared-contracts';
import { AppRefusal } from '../app/app-routes';
import { BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../app/api-docs';
import type { Operators } from '../configuration/operators';
import type { StandinCredentials } from '../app/credentials';
import type { CardDesk } from '../payments/card-desk';
import type { Database } from '../store/database';
import { shadowMessageType } from './disagreement';
import { buildShadowReport, decideInShadow } from './shadow-desk';

// The shadow API: primary posts copies of the card messages it decided (its own credential), and
// operators read how often the two platforms agree (operator token).

export interface ShadowRouteDependencies {
  readonly database: Database;
  readonly cards: Pick<CardDesk, 'assessWithoutEffect'>;
  readonly credentials: StandinCredentials;
  readonly operators: Operators;
  readonly now: () => Date;
  readonly parse: <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;
}

export const SHADOW_ERROR_CODES = {
  internalTokenRequired: 'STANDIN_UNAUTHENTICATED',
  operatorTokenRequired: 'STANDIN_SHADOW_OPERATOR_TOKEN_REQUIRED',
} as const;

const isShadowed = (processingCode: string) => {
  try {
    shadowMessageType({ mti: '0100', processingCode });
    return true;
  } catch {
    return false;
  }
};

/** The contract, plus what only this route can say: a message type the report counts, and an answer to this very message. */
const ShadowedMessage = ShadowCardAuthorisation.refine((shadow) => isShadowed(shadow.request.processingCode), {
  path: ['request', 'processingCode'],
  error: 'only purchases (00), cash (01) and refunds (20) are shadowed',
}).refine(
  ({ request, primaryAnswer }) => request.stan === primaryAnswer.stan && request.rrn === primaryAnswer.rrn && request.terminalId === primaryAnswer.terminalId,
  { path: ['primaryAnswer'], error: "primary's answer must carry the request's stan, rrn and terminalId" },
);

const ReportQuery = z.object({ since: Timestamp.optional().describe('only decisions since then (ISO 8601)') });

const bearer = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
};

export function shadowRoutes(server: FastifyInstance, deps: ShadowRouteDependencies): void {
  const { database, parse } = deps;

  server.post(
    SHADOW_ROUTES.cardAuthorisations,
    {
      schema: {
        summary: "Decide a copy of primary's card authorisation in shadow, read-only (primary's credential)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        body: ShadowedMessage,
        response: { 200: ShadowVerdict, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ShadowVerdict> => {
      const credential = deps.credentials.whoIs(bearer(request));
      if (!credential || !('service' in credential) || credential.service !== 'primary')
        throw new AppRefusal(401, SHADOW_ERROR_CODES.internalTokenRequired, "shadow decisioning is primary's: Authorization: Bearer <PRIMARY_TOKEN>");
      const shadow = parse('shadow card authorisation', ShadowedMessage, request.body);
      const verdict = await decideInShadow({ database, cards: deps.cards }, shadow);
      if (verdict.disagreement === 'unexplained') {
        // The message key, never the PAN: enough to find the row in shadow_decisions.
        const { stan, rrn, terminalId } = shadow.request;
        request.log.warn(
          {
            stan,
            rrn,
            terminalId,
            primaryResponseCode: shadow.primaryAnswer.responseCode,
            standinResponseCode: verdict.responseCode,
            standinReason: verdict.reason,
          },
          'shadow: stand-in and primary disagree with no explanation',
        );
      }
      return verdict;
    },
  );

  server.get(
    SHADOW_ROUTES.report,
    {
      schema: {
        summary: 'The shadow agreement report (operator)',
        tags: [INTERNAL_TAG],
        security: BEARER,
        querystring: ReportQuery,
        response: { 200: ShadowReport, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ShadowReport> => {
      if (!deps.operators.identify(bearer(request)))
        throw new AppRefusal(401, SHADOW_ERROR_CODES.operatorTokenRequired, 'the shadow report needs an operator token (Authorization: Bearer <token>)');
      const raw = (request.query as { since?: unknown }).since;
      const since = raw === undefined ? undefined : new Date(parse('shadow report since', ReportQuery.shape.since.unwrap(), raw));
      return buildShadowReport(database, { ...(since ? { since } : {}), now: deps.now() });
    },
  );
}
