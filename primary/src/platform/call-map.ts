import { ADVICES_KNOWN_ROUTE, APPLIED_ADVICES_ROUTE, CONFIGURATION_ROUTES, QUARANTINED_ADVICES_ROUTE, TIMEOUT_REVERSALS_ROUTE } from '@bank/shared-contracts';
import { SERVICE_IDENTITIES, type ServiceIdentity } from '@bank/shared-contracts';
import { API_DOCS_PREFIX } from './api-docs';

// Who may call which of primary's routes: declared here, once, and enforced on every route by
// call-guard.ts (401 for a caller primary does not know, 403 for one it knows but the map does not
// allow). A route without an entry here fails the build of the app, so none is added unguarded.

/**
 * The callers primary tells apart: a customer (their app token), a named operator (OPERATOR_TOKENS),
 * and each service identity by its own credential (GATEWAY_TOKEN, STANDIN_TOKEN,
 * ADVICE_CONSUMER_TOKEN, CARD_MANUFACTURER_TOKEN, ONBOARDING_TOKEN: shared-contracts/identities.ts).
 * `anyone` needs no credential.
 */
export type Caller = 'anyone' | 'customer' | 'operator' | ServiceIdentity;

export const CALLERS: readonly Caller[] = ['anyone', 'customer', 'operator', ...SERVICE_IDENTITIES];

/** `METHOD /path` as fastify registers it (`:param` segments), to the callers allowed. */
export const PRIMARY_CALL_MAP: Readonly<Record<string, readonly Caller[]>> = {
  // The app API: a customer, and only their own accounts (each handler answers 404 for anyone else's).
  'GET /accounts': ['customer'],
  'GET /accounts/:accountId': ['customer'],
  'GET /accounts/:accountId/cards': ['customer'],
  'POST /cards/:cardId/freeze': ['customer'],
  'POST /cards/:cardId/unfreeze': ['customer'],
  'POST /cards/:cardId/cancel': ['customer'],
  'GET /accounts/:accountId/transactions': ['customer'],
  'POST /accounts/:accountId/transfers': ['customer'],
  'GET /accounts/:accountId/pots': ['customer'],
  'POST /accounts/:accountId/pots': ['customer'],
  'POST /accounts/:accountId/pots/:potId/:direction': ['customer'],
  'GET /accounts/:accountId/payees': ['customer'],
  'POST /accounts/:accountId/payees': ['customer'],
  'DELETE /accounts/:accountId/payees/:payeeId': ['customer'],
  'GET /accounts/:accountId/notifications': ['customer'],
  'GET /accounts/:accountId/notifications/stream': ['customer'],
  // Opening an account: the app's back end, once it has onboarded the customer.
  'POST /accounts': ['onboarding'],
  // A signed-in customer's fresh token, before theirs expires.
  'POST /customer/token': ['customer'],
  // Ending a customer's tokens is an operator's audited decision.
  'POST /internal/customers/:customerId/tokens/revoke': ['operator'],
  // An arranged overdraft is lent money: an operator's approved change, audited, never opening's.
  'POST /internal/accounts/:accountId/arranged-overdraft': ['operator'],
  'GET /internal/accounts/:accountId/arranged-overdraft': ['operator'],
  // The card manufacturer: the only answer with a plaintext card number.
  'POST /internal/accounts/:accountId/cards': ['card-manufacturer'],
  // The payment network's messages: only through the gateway, which checks the network's credential.
  'POST /scheme/card/authorisations': ['gateway'],
  'POST /scheme/card/reversals': ['gateway'],
  'POST /scheme/card/clearings': ['gateway'],
  'POST /scheme/faster-payments/inbound': ['gateway'],
  // The advice consumer: advices move money, so never an operator, a customer or another service.
  'POST /internal/advices': ['advice-consumer'],
  'POST /internal/advices/batch': ['advice-consumer'],
  [`GET ${APPLIED_ADVICES_ROUTE}`]: ['advice-consumer'],
  [`POST ${ADVICES_KNOWN_ROUTE}`]: ['advice-consumer'],
  'GET /internal/unapproved-overdrafts': ['operator'],
  [`GET ${QUARANTINED_ADVICES_ROUTE}`]: ['operator', 'advice-consumer'],
  [`POST ${QUARANTINED_ADVICES_ROUTE}/:adviceId/redrive`]: ['operator', 'advice-consumer'],
  // Configuration: only an operator changes it or reads its audit; of the services, only stand-in (the peer) reads it and pushes a whole document.
  [`GET ${CONFIGURATION_ROUTES.current}`]: ['operator', 'standin'],
  [`POST ${CONFIGURATION_ROUTES.changes}`]: ['operator'],
  [`POST ${CONFIGURATION_ROUTES.adopt}`]: ['operator', 'standin'],
  [`GET ${CONFIGURATION_ROUTES.audit}`]: ['operator'],
  // Operations: for load balancers and monitoring, nothing private.
  'GET /status': ['anyone'],
  'GET /health': ['anyone'],
  'GET /health/route': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  // Timeout reversals primary owes stand-in: operators (standin status) and the peer platform.
  [`GET ${TIMEOUT_REVERSALS_ROUTE}`]: ['operator', 'standin'],
  'GET /metrics': ['anyone'],
  // CORS preflights from the bank's browser app (platform/cors.ts, APP_ORIGINS): a browser sends
  // them without credentials, and they are answered (or refused) before any route runs.
  'OPTIONS *': ['anyone'],
};

/** The callers allowed on a route, or undefined when the map has no entry (HEAD is its GET; the local-only API browser is open). */
export function allowedCallers(method: string, url: string): readonly Caller[] | undefined {
  if (url === API_DOCS_PREFIX || url.startsWith(`${API_DOCS_PREFIX}/`)) return ['anyone'];
  return PRIMARY_CALL_MAP[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
