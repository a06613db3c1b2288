import { API_DOCS_PREFIX } from './api-docs';

// Who may call which of the gateway's routes: declared here, once, and enforced on every route by
// call-guard.ts. The scheme routes are the payment network's only (NETWORK_TOKEN): the gateway
// forwards what it admits to the platforms with its own credential, so a caller that is not the
// network must not get one of its messages presented as the gateway's. A route without an entry
// stops the server from being built.

/** The callers the gateway tells apart: the payment network and stand-in, each by its credential; `anyone` needs none. */
export type GatewayCaller = 'anyone' | 'network' | 'standin';

export const GATEWAY_CALLERS: readonly GatewayCaller[] = ['anyone', 'network', 'standin'];

export const GATEWAY_CALL_MAP: Readonly<Record<string, readonly GatewayCaller[]>> = {
  // The payment network's messages.
  'POST /scheme/card/authorisations': ['network'],
  'POST /scheme/card/reversals': ['network'],
  'POST /scheme/card/clearings': ['network'],
  'POST /scheme/faster-payments/inbound': ['network'],
  // Operations: where traffic goes and whether the gateway is up, for load balancers, monitoring and engineers; nothing private.
  'GET /routing': ['anyone'],
  // What the gateway sees of primary, for stand-in's autopilot (STANDIN_TOKEN): not for the network.
  'GET /primary-view': ['standin'],
  'GET /health': ['anyone'],
  'GET /health/live': ['anyone'],
  'GET /health/ready': ['anyone'],
  'GET /metrics': ['anyone'],
};

/** Who may call a route, or undefined without an entry. HEAD is its GET; the local-only API browser is open. */
export function gatewayCallersOf(method: string, url: string): readonly GatewayCaller[] | undefined {
  if (url === API_DOCS_PREFIX || url.startsWith(`${API_DOCS_PREFIX}/`)) return ['anyone'];
  return GATEWAY_CALL_MAP[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
