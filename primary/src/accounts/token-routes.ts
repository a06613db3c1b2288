import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { storableText } from '@bank/shared-contracts';
import { errors } from '../platform/errors';
import { bearerToken, idParam, parseInput } from '../platform/http';
import type { PrimaryCredentials } from '../platform/credentials';
import { APP_TAG, BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../platform/api-docs';
import type { AccountsService } from './accounts-service';

// App tokens end: by their expiry (PRIMARY_CUSTOMER_TOKEN_TTL_DAYS), or by an operator revoking
// every token a customer holds (a lost phone, a suspected compromise), audited with the operator's
// name from their credential. Both reach stand-in as events, through the syncer.

export const RevokeTokensRequest = z.strictObject({
  reason: storableText(z.string().trim().min(1, { error: 'expected the reason for the revocation' }).max(500)),
});

const CustomerIdParams = z.strictObject({ customerId: idParam('a customer id') });

export function tokenRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; credentials: PrimaryCredentials; customer: (request: FastifyRequest) => Promise<string> },
): void {
  app.post(
    '/customer/token',
    {
      schema: {
        summary: "A fresh app token before the customer's expires (returned once; the one presented keeps working until its own expiry)",
        tags: [APP_TAG],
        security: BEARER,
        response: ERROR_RESPONSES,
      },
    },
    async (request, reply) => {
      const customerId = await deps.customer(request);
      return reply.code(201).send(await deps.accounts.refreshToken(customerId));
    },
  );

  app.post(
    '/internal/customers/:customerId/tokens/revoke',
    {
      schema: {
        summary: "Revoke every app token a customer holds (operator; audited with the operator's name from the credential; stand-in refuses them once synced)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        params: CustomerIdParams,
        body: RevokeTokensRequest,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      // The call map has admitted only operators; the name recorded is the credential's, never the body's.
      const credential = deps.credentials.identify(bearerToken(request));
      if (credential?.kind !== 'operator') throw errors.unauthenticated();
      const { customerId } = parseInput('customer path', CustomerIdParams, request.params);
      const { reason } = parseInput('token revocation', RevokeTokensRequest, request.body);
      const revocation = await deps.accounts.revokeTokens({ customerId, operator: credential.name, reason });
      request.log.warn({ customerId, revokedBy: revocation.revokedBy, tokensRevoked: revocation.tokensRevoked }, 'customer tokens revoked');
      return revocation;
    },
  );
}
