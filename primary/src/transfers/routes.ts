import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BankAccountParty, FasterPaymentInboundCredit, FasterPaymentResponse, PaymentReference, PositiveAmountMinor } from '@bank/shared-contracts';
import type { Db } from '../platform/db';
import { parseInput } from '../platform/http';
import { IdempotencyKeyHeader, idempotencyKeyOf, once } from '../platform/idempotency';
import { APP_TAG, BEARER, ERROR_RESPONSES, SCHEME_TAG } from '../platform/api-docs';
import type { PaymentRouter } from '../routing/payment-router';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { InboundFasterPayments } from './inbound-faster-payments';
import type { TransferOutcome, TransfersService } from './transfers-service';

export const TransferRequest = z.strictObject({
  amountMinor: PositiveAmountMinor,
  creditor: BankAccountParty,
  reference: PaymentReference.default(''),
});

/** Headers stand-in needs to act for the customer exactly as primary would: who they are, and which request this is. */
const FORWARDED_APP_HEADERS = ['authorization', 'idempotency-key'] as const;

function forwardedAppHeaders(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_APP_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

export function schemeFasterPaymentRoutes(app: FastifyInstance, deps: { inbound: InboundFasterPayments; router: PaymentRouter }): void {
  app.post(
    '/scheme/faster-payments/inbound',
    {
      schema: {
        summary: 'An inbound Faster Payments credit (one answer per fpsId)',
        tags: [SCHEME_TAG],
        body: FasterPaymentInboundCredit,
        response: { 200: FasterPaymentResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const credit = parseInput('Faster Payments inbound credit', FasterPaymentInboundCredit, request.body);
      const routed = await deps.router.fasterPaymentInbound(credit, { path: request.url, body: request.body });
      if (routed.destination === 'standin') return reply.code(routed.answer.statusCode).send(routed.answer.body);
      return deps.inbound.credit(credit);
    },
  );
}

export function transferRoutes(
  app: FastifyInstance,
  deps: { db: Db; transfers: TransfersService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string>; router: PaymentRouter },
): void {
  const { db, transfers, accounts, customer, router } = deps;

  app.post(
    '/accounts/:accountId/transfers',
    {
      schema: {
        summary: 'Send money (Faster Payments, or between own accounts): 201 done, 202 submitted',
        tags: [APP_TAG],
        security: BEARER,
        params: AccountIdParams,
        headers: IdempotencyKeyHeader,
        body: TransferRequest,
        response: ERROR_RESPONSES,
      },
    },
    async (request, reply) => {
      // Routing may need to know who is asking; the answer is reused, never looked up twice.
      let authenticated: Promise<string> | undefined;
      const caller = () => (authenticated ??= customer(request));
      const routed = await router.appTransfer({ path: request.url, body: request.body, headers: forwardedAppHeaders(request) }, caller);
      if (routed.destination === 'standin') return reply.code(routed.answer.statusCode).send(routed.answer.body);
      const customerId = await caller();
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const key = idempotencyKeyOf(request);
      const body = parseInput('transfer request', TransferRequest, request.body);
      const from = await accounts.findOwned(customerId, accountId);
      const booked = await once<TransferOutcome>(db, customerId, key, { accountId, body }, async (tx) => ({
        statusCode: 201,
        body: await transfers.book(tx, from, body),
      }));
      let outcome = booked.body;
      if (outcome.kind === 'faster_payment') {
        // Ask the scheme now (bounded by its timeout); a retry of the request reports the latest state.
        const payment = outcome.status === 'submitted' ? await transfers.submit(outcome.fpsId) : await transfers.findOutbound(outcome.fpsId);
        outcome = { ...outcome, status: payment!.status, ...(payment!.reject_reason ? { rejectReason: payment!.reject_reason } : {}) };
      }
      return reply.code(outcome.kind === 'faster_payment' && outcome.status === 'submitted' ? 202 : 201).send(outcome);
    },
  );
}
