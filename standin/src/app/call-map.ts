import {
  ADVICES_IN_FLIGHT_ROUTE,
  AUTOPILOT_ROUTE,
  CONFIGURATION_ROUTES,
  DAILY_COHORT_ROUTE,
  RECONCILIATIONS_ROUTE,
  SHADOW_ROUTES,
} from '@bank/shared-contracts';
import { SERVICE_IDENTITIES, type ServiceIdentity } from '@bank/shared-contracts';
import { API_DOCS_PREFIX } from './api-docs';
import { OPERATOR_CARD_ROUTE } from '../cards/card-view-routes';

// Stand-in's call map: which caller may call which route. call-guard.ts enforces it on every route
// (401 for a credential stand-in does not know, 403 for one it knows that is not allowed), and a
// route added without an entry here stops the server from being built.

/**
 * The callers stand-in tells apart: a customer (their primary app token, synced), a named operator
 * (OPERATOR_TOKENS), and each service identity by its own credential (PRIMARY_TOKEN, GATEWAY_TOKEN,
 * ADVICE_CONSUMER_TOKEN: shared-contracts/identities.ts). `anyone` needs no credential.
 */
export type StandinCaller = 'anyone' | 'customer' | 'operator' | ServiceIdentity;

export const STANDIN_CALLERS: readonly StandinCaller[] = ['anyone', 'customer', 'operator', ...SERVICE_IDENTITIES];

export const STANDIN_CALL_MAP: Readonly<Record<string, readonly StandinCaller[]>> = {
  // The payment network's messages: through the gateway (direct connect), or routed by primary.
  'POST /scheme/card/authorisations': ['gateway', 'primary'],
  'POST /scheme/card/reversals': ['gateway', 'primary'],
  'POST /scheme/faster-payments/inbound': ['gateway', 'primary'],
  // The app API: a customer, and only their own accounts (404 for anyone else's).
  'GET /accounts': ['customer'],
  'GET /accounts/:accountId': ['customer'],
  'GET /accounts/:accountId/payees': ['customer'],
  'GET /accounts/:accountId/transactions': ['customer'],
  'GET /accounts/:accountId/cards': ['customer'],
  'POST /cards/:cardId/:action': ['customer'],
  'POST /accounts/:accountId/transfers': ['customer'],
  // Configuration: only an operator changes it, sees the audit or the cohort; primary (the peer) and
  // the gateway read it; of the services only primary pushes a whole document.
  [`GET ${CONFIGURATION_ROUTES.current}`]: ['operator', 'primary', 'gateway'],
  [`POST ${CONFIGURATION_ROUTES.changes}`]: ['operator'],
  [`POST ${CONFIGURATION_ROUTES.adopt}`]: ['operator', 'primary'],
  [`GET ${DAILY_COHORT_ROUTE}`]: ['operator'],
  [`GET ${CONFIGURATION_ROUTES.audit}`]: ['operator'],
  // The autopilot: only an operator reads or changes its settings (it may move every customer).
  [`GET ${AUTOPILOT_ROUTE}`]: ['operator'],
  [`PUT ${AUTOPILOT_ROUTE}`]: ['operator'],
  // Primary's copies of its card decisions, and the report on them for operators.
  [`POST ${SHADOW_ROUTES.cardAuthorisations}`]: ['primary'],
  [`GET ${SHADOW_ROUTES.report}`]: ['operator'],
  // The advice log, for the advice consumer's reconciliation; who is still waiting, for operators.
  'GET /internal/advices': ['advice-consumer'],
  [`POST ${RECONCILIATIONS_ROUTE}`]: ['advice-consumer'],
  [`GET ${ADVICES_IN_FLIGHT_ROUTE}`]: ['operator'],
  // A card by its id, for an engineer about to block it in stand-in's rules.
  [`GET ${OPERATOR_CARD_ROUTE}`]: ['operator'],
  // The incident records, for the engineer's reports.
  'GET /incidents': ['operator'],
  'GET /incidents/:incidentId': ['operator'],
  // Operations.
  'GET /health': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  'GET /metrics': ['anyone'],
  'GET /status': ['anyone'],
  // CORS preflights from the browser app (app/cors.ts): sent without credentials, answered before any route runs.
  'OPTIONS *': ['anyone'],
};

/** Who may call a route, or undefined without an entry. HEAD is its GET; the local-only API browser is open. */
export function standinCallersOf(method: string, url: string): readonly StandinCaller[] | undefined {
  if (url === API_DOCS_PREFIX || url.startsWith(`${API_DOCS_PREFIX}/`)) return ['anyone'];
  return STANDIN_CALL_MAP[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
