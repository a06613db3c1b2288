import { ADVICES_KNOWN_ROUTE, CONFIGURATION_ROUTES, QUARANTINED_ADVICES_ROUTE, TIMEOUT_REVERSALS_ROUTE } from '@bank/shared-contracts';
import { API_DOCS_PREFIX } from './api-docs';

// Who may call which of primary's routes: declared here, once, and enforced on every route by
// call-guard.ts (401 for a caller primary does not know, 403 for one it knows but the map does not
// allow). A route without an entry here fails the build of the app, so none is added unguarded.

/**
 * The callers primary tells apart today. `internal` is whoever holds PRIMARY_INTERNAL_TOKEN (the
 * advice consumer, the card manufacturer, stand-in reading primary's configuration): one credential
 * still, to be split into one identity per caller. `anyone` needs no credential.
 */
export type Caller = 'anyone' | 'customer' | 'operator' | 'internal';

export const CALLERS: readonly Caller[] = ['anyone', 'customer', 'operator', 'internal'];

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
  // Opening an account: still open to anyone (an onboarding identity is yet to come).
  'POST /accounts': ['anyone'],
  // The card manufacturer: the only answer with a plaintext card number.
  'POST /internal/accounts/:accountId/cards': ['internal'],
  // The payment network's messages, through the gateway: not yet authenticated (a gateway identity is yet to come).
  'POST /scheme/card/authorisations': ['anyone'],
  'POST /scheme/card/reversals': ['anyone'],
  'POST /scheme/card/clearings': ['anyone'],
  'POST /scheme/faster-payments/inbound': ['anyone'],
  // The advice consumer: advices move money, so never an operator or a customer.
  'POST /internal/advices': ['internal'],
  'POST /internal/advices/batch': ['internal'],
  'GET /internal/advices/applied': ['internal'],
  [`POST ${ADVICES_KNOWN_ROUTE}`]: ['internal'],
  'GET /internal/unapproved-overdrafts': ['internal'],
  [`GET ${QUARANTINED_ADVICES_ROUTE}`]: ['operator', 'internal'],
  [`POST ${QUARANTINED_ADVICES_ROUTE}/:adviceId/redrive`]: ['operator', 'internal'],
  // Configuration: only an operator changes it or reads its audit; the peer platform reads and adopts.
  [`GET ${CONFIGURATION_ROUTES.current}`]: ['operator', 'internal'],
  [`POST ${CONFIGURATION_ROUTES.changes}`]: ['operator'],
  [`POST ${CONFIGURATION_ROUTES.adopt}`]: ['operator', 'internal'],
  [`GET ${CONFIGURATION_ROUTES.audit}`]: ['operator'],
  // Operations: for load balancers and monitoring, nothing private.
  'GET /status': ['anyone'],
  'GET /health': ['anyone'],
  'GET /health/route': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  // Timeout reversals primary owes stand-in: operators (standin status) and the peer platform.
  [`GET ${TIMEOUT_REVERSALS_ROUTE}`]: ['operator', 'internal'],
  'GET /metrics': ['anyone'],
};

/** The callers allowed on a route, or undefined when the map has no entry (HEAD is its GET; the local-only API browser is open). */
export function allowedCallers(method: string, url: string): readonly Caller[] | undefined {
  if (url === API_DOCS_PREFIX || url.startsWith(`${API_DOCS_PREFIX}/`)) return ['anyone'];
  return PRIMARY_CALL_MAP[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
