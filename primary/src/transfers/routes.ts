import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BankAccountParty, FasterPaymentInboundCredit, PositiveAmountMinor } from '@bank/shared-contracts';
import type { Db } from '../platform/db';
import { parseInput } from '../platform/http';
import { idempotencyKeyOf, once } from '../platform/idempotency';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { InboundFasterPayments } from './inbound-faster-payments';
import type { TransferOutcome, TransfersService } from './transfers-service';

export const TransferRequest = z.strictObject({
  amountMinor: PositiveAmountMinor,
  creditor: BankAccountParty,
  reference: z.string().max(18, { error: 'expected a payment reference of at most 18 characters' }).default(''),
});

export function schemeFasterPaymentRoutes(app: FastifyInstance, deps: { inbound: InboundFasterPayments }): void {
  app.post('/scheme/faster-payments/inbound', async (request) => deps.inbound.credit(parseInput('Faster Payments inbound credit', FasterPaymentInboundCredit, request.body)));
}

export function transferRoutes(app: FastifyInstance, deps: { db: Db; transfers: TransfersService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> }): void {
  const { db, transfers, accounts, customer } = deps;

  app.post('/accounts/:accountId/transfers', async (request, reply) => {
    const customerId = await customer(request);
    const { accountId } = parseInput('account path', AccountIdParams, request.params);
    const key = idempotencyKeyOf(request);
    const body = parseInput('transfer request', TransferRequest, request.body);
    const from = await accounts.findOwned(customerId, accountId);
    const booked = await once<TransferOutcome>(db, customerId, key, { accountId, body }, async (tx) => ({ statusCode: 201, body: await transfers.book(tx, from, body) }));
    let outcome = booked.body;
    if (outcome.kind === 'faster_payment') {
      // Ask the scheme now (bounded by its timeout); a retry of the request reports the latest state.
      const payment = outcome.status === 'submitted' ? await transfers.submit(outcome.fpsId) : await transfers.findOutbound(outcome.fpsId);
      outcome = { ...outcome, status: payment!.status, ...(payment!.reject_reason ? { rejectReason: payment!.reject_reason } : {}) };
    }
    return reply.code(outcome.kind === 'faster_payment' && outcome.status === 'submitted' ? 202 : 201).send(outcome);
  });
}
