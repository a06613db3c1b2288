import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ADVICES_BATCH_ROUTE,
  ADVICES_KNOWN_ROUTE,
  APPLIED_ADVICES_ROUTE,
  AppliedAdvicesPage,
  AppliedAdvicesQuery,
  Advice,
  AdviceBatchOutcomes,
  AdviceBatchRequest,
  type AdviceOutcome,
  AdvicesKnown,
  AdvicesKnownRequest,
  QUARANTINED_ADVICES_ROUTE,
  QuarantinedAdvicesReport,
  Uuid,
} from '@bank/shared-contracts';
import { z } from 'zod';
import { parseInput } from '../platform/http';
import { BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../platform/api-docs';
import type { AdviceApplier } from './advice-applier';

const QuarantinedAdviceParams = z.strictObject({ adviceId: Uuid });
const QuarantinedQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(100) });

/** What an operator must hear of an advice's outcome. */
function logOutcome(request: FastifyRequest, advice: Advice, outcome: AdviceOutcome): void {
  const context = { adviceId: advice.adviceId, type: advice.type, accountId: advice.accountId, sequence: advice.sequence };
  if (outcome.outcome === 'applied' && outcome.note) request.log.warn(context, `advice applied without moving money: ${outcome.note}`);
  if (outcome.outcome === 'quarantined')
    request.log.error(
      { ...context, event: 'advice_quarantined', reason: outcome.reason },
      "advice quarantined: primary cannot apply it; the account's later advices go on; an operator must fix the cause and re-drive it",
    );
  if (outcome.outcome === 'conflict')
    request.log.error(
      { ...context, event: 'advice_conflict', heldBy: outcome.heldBy },
      "advice refused: its place in the account's sequence is taken by another advice (stand-in's database restored from a backup?); an operator must reconcile it",
    );
}

/** Internal API for the advice consumer and for operations (never reachable with a customer token). */
export function adviceRoutes(
  app: FastifyInstance,
  deps: { applier: AdviceApplier; internal: (request: FastifyRequest) => void; operatorOrInternal: (request: FastifyRequest) => void },
): void {
  app.post(
    '/internal/advices',
    {
      schema: {
        summary: "Apply one of stand-in's advices, exactly once (the advice consumer)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        body: Advice,
        response: ERROR_RESPONSES,
      },
    },
    async (request, reply) => {
      deps.internal(request);
      const advice = parseInput('advice', Advice, request.body);
      const outcome = await deps.applier.apply(advice);
      logOutcome(request, advice, outcome);
      return reply.code(outcome.outcome === 'out_of_order' || outcome.outcome === 'conflict' ? 409 : 200).send(outcome);
    },
  );
  // The advice consumer's path: a batch in one transaction, one outcome per advice (always 200:
  // out of order and conflict are outcomes of single advices, not of the batch).
  app.post(
    ADVICES_BATCH_ROUTE,
    {
      // A full batch of card advices is a megabyte or two of JSON: above fastify's default limit (1 MiB).
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        summary: "Apply a batch of stand-in's advices in one transaction, each exactly once and in its account's order (the advice consumer)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        body: AdviceBatchRequest,
        response: { 200: AdviceBatchOutcomes, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<AdviceBatchOutcomes> => {
      deps.internal(request);
      const { advices } = parseInput('advice batch', AdviceBatchRequest, request.body);
      const outcomes = await deps.applier.applyBatch(advices);
      outcomes.forEach(({ result }, index) => logOutcome(request, advices[index]!, result));
      return { outcomes };
    },
  );
  app.get(
    APPLIED_ADVICES_ROUTE,
    {
      schema: {
        summary: "The advices primary applied, a page at a time, optionally only some accounts' (reconciliation)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        querystring: AppliedAdvicesQuery,
        response: { 200: AppliedAdvicesPage, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<AppliedAdvicesPage> => {
      deps.internal(request);
      return deps.applier.applied(parseInput('applied advices query', AppliedAdvicesQuery, request.query));
    },
  );
  // The re-drive loop's question: which of its candidates primary has already, in one call.
  app.post(
    ADVICES_KNOWN_ROUTE,
    {
      // Up to 10,000 ids (~400 KB): above fastify's usual limit here (64 KiB).
      bodyLimit: 1024 * 1024,
      schema: {
        summary: 'Which of these advices primary has applied or quarantined (the re-drive loop)',
        tags: [INTERNAL_TAG],
        security: BEARER,
        body: AdvicesKnownRequest,
        response: { 200: AdvicesKnown, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<AdvicesKnown> => {
      deps.internal(request);
      const { adviceIds } = parseInput('advice ids', AdvicesKnownRequest, request.body);
      return deps.applier.known(adviceIds.map((id) => id.toLowerCase()));
    },
  );
  app.get(
    QUARANTINED_ADVICES_ROUTE,
    {
      schema: {
        summary: 'Advices primary could not apply, set aside with their reasons (operator or internal token)',
        tags: [INTERNAL_TAG],
        security: BEARER,
        querystring: QuarantinedQuery,
        response: { 200: QuarantinedAdvicesReport, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<QuarantinedAdvicesReport> => {
      deps.operatorOrInternal(request);
      const { limit } = parseInput('quarantined advices query', QuarantinedQuery, request.query);
      const [count, advices] = await Promise.all([deps.applier.quarantinedCount(), deps.applier.quarantined(limit)]);
      return { count, advices };
    },
  );
  app.post(
    `${QUARANTINED_ADVICES_ROUTE}/:adviceId/redrive`,
    {
      schema: {
        summary: 'Apply a quarantined advice once its cause is fixed (operator or internal token)',
        tags: [INTERNAL_TAG],
        security: BEARER,
        params: QuarantinedAdviceParams,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      deps.operatorOrInternal(request);
      const { adviceId } = parseInput('quarantined advice', QuarantinedAdviceParams, request.params);
      const outcome = await deps.applier.redrive(adviceId.toLowerCase());
      request.log.warn({ event: 'advice_redriven', adviceId, outcome: outcome.outcome }, 'quarantined advice re-driven');
      return outcome;
    },
  );
  app.get(
    '/internal/unapproved-overdrafts',
    {
      schema: { summary: "Accounts stand-in's advices pushed into an unapproved overdraft", tags: [INTERNAL_TAG], security: BEARER, response: ERROR_RESPONSES },
    },
    async (request) => {
      deps.internal(request);
      return { accounts: await deps.applier.unapprovedOverdrafts() };
    },
  );
}
