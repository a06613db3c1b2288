import { PRIMARY_CALL_MAP } from '@bank/primary/dist/platform/call-map.js';
import { STANDIN_CALL_MAP } from '@bank/standin/dist/app/call-map.js';
import { GATEWAY_CALL_MAP } from '@bank/gateway/dist/call-map.js';
import type { ServiceName } from './services.js';

// Who may call each service, as the services themselves enforce it: primary's, stand-in's and the
// gateway's call maps are imported from their workspaces (never copied), so a caller added there is
// admitted by the network policies generated from them on the next synthesis.

/** `METHOD /path` to the callers allowed on it: a service identity, `customer`, `operator` or `anyone`. */
export type CallMap = Readonly<Record<string, readonly string[]>>;

/**
 * The syncer and the advice consumer enforce no call map of their own (their only routes are
 * operations, and the consumer's reconciliation checks an operator's token in the handler), so
 * their callers are declared here, from their servers' routes (syncer/src/server.ts,
 * advice-consumer/src/server.ts).
 */
const ADVICE_CONSUMER_ROUTES: CallMap = {
  'GET /internal/reconciliation': ['operator'],
  'POST /internal/reconciliation/redrive': ['operator'],
  'GET /health': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  'GET /metrics': ['anyone'],
};
const SYNCER_ROUTES: CallMap = {
  'GET /health': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  'GET /metrics': ['anyone'],
};

export const CALL_MAPS: Readonly<Record<ServiceName, CallMap>> = {
  primary: PRIMARY_CALL_MAP,
  standin: STANDIN_CALL_MAP,
  gateway: GATEWAY_CALL_MAP,
  'advice-consumer': ADVICE_CONSUMER_ROUTES,
  syncer: SYNCER_ROUTES,
};

/** Every caller a call map names on any of its routes, once each, in a stable order. */
export function callersIn(callMap: CallMap): string[] {
  return [...new Set(Object.values(callMap).flat())].sort();
}
