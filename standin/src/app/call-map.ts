import { ADVICES_IN_FLIGHT_ROUTE, CONFIGURATION_ROUTES, DAILY_COHORT_ROUTE, SHADOW_ROUTES } from '@bank/shared-contracts';
import { API_DOCS_PREFIX } from './api-docs';

// Stand-in's call map: which caller may call which route. call-guard.ts enforces it on every route
// (401 for a credential stand-in does not know, 403 for one it knows that is not allowed), and a
// route added without an entry here stops the server from being built.

/**
 * The callers stand-in tells apart. `internal` is whoever holds STANDIN_INTERNAL_TOKEN (primary,
 * the gateway reading the configuration, the advice consumer): still one credential, to be split
 * into one identity per caller. `anyone` needs no credential.
 */
export type StandinCaller = 'anyone' | 'customer' | 'operator' | 'internal';

export const STANDIN_CALLERS: readonly StandinCaller[] = ['anyone', 'customer', 'operator', 'internal'];

export const STANDIN_CALL_MAP: Readonly<Record<string, readonly StandinCaller[]>> = {
  // The payment network's messages (through the gateway, or routed by primary): not yet authenticated.
  'POST /scheme/card/authorisations': ['anyone'],
  'POST /scheme/card/reversals': ['anyone'],
  'POST /scheme/faster-payments/inbound': ['anyone'],
  // The app API: a customer, and only their own accounts (404 for anyone else's).
  'GET /accounts/:accountId': ['customer'],
  'GET /accounts/:accountId/transactions': ['customer'],
  'GET /accounts/:accountId/cards': ['customer'],
  'POST /cards/:cardId/:action': ['customer'],
  'POST /accounts/:accountId/transfers': ['customer'],
  // Configuration: only an operator changes it, sees the audit or the cohort; the peer reads and adopts.
  [`GET ${CONFIGURATION_ROUTES.current}`]: ['operator', 'internal'],
  [`POST ${CONFIGURATION_ROUTES.changes}`]: ['operator'],
  [`POST ${CONFIGURATION_ROUTES.adopt}`]: ['operator', 'internal'],
  [`GET ${DAILY_COHORT_ROUTE}`]: ['operator'],
  [`GET ${CONFIGURATION_ROUTES.audit}`]: ['operator'],
  // Primary's copies of its card decisions, and the report on them for operators.
  [`POST ${SHADOW_ROUTES.cardAuthorisations}`]: ['internal'],
  [`GET ${SHADOW_ROUTES.report}`]: ['operator'],
  // The advice log, for the advice consumer's reconciliation; who is still waiting, for operators.
  'GET /internal/advices': ['internal'],
  [`GET ${ADVICES_IN_FLIGHT_ROUTE}`]: ['operator'],
  // Operations.
  'GET /health': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  'GET /metrics': ['anyone'],
  'GET /status': ['anyone'],
};

/** Who may call a route, or undefined without an entry. HEAD is its GET; the local-only API browser is open. */
export function standinCallersOf(method: string, url: string): readonly StandinCaller[] | undefined {
  if (url === API_DOCS_PREFIX || url.startsWith(`${API_DOCS_PREFIX}/`)) return ['anyone'];
  return STANDIN_CALL_MAP[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
