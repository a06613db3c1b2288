import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AppRefusal } from './app-routes';
import { standinCallersOf, type StandinCaller } from './call-map';

export interface StandinCallGuard {
  /** The credentials stand-in knows (operators, service identities): which caller a token is, if any. */
  readonly credentialOf: (token: string) => Exclude<StandinCaller, 'anyone' | 'customer'> | undefined;
  /** Whether a token is a customer's: asked only to answer 403 rather than 401 where customers may not go. */
  readonly customerHolds: (token: string) => Promise<boolean>;
  /** Run after the check on routes only customers may call: the per-customer rate limit. */
  readonly customerLimit?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

export const tokenOf = (request: FastifyRequest) => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7).trim() || undefined : undefined;
};

const unknownCaller = () => new AppRefusal(401, 'STANDIN_UNAUTHENTICATED', 'missing or unknown bearer token: send Authorization: Bearer <token>');
const notAllowed = (caller: string) =>
  new AppRefusal(403, 'STANDIN_FORBIDDEN', `a ${caller} credential may not call this route: see stand-in's call map (app/call-map.ts)`);

async function admit(request: FastifyRequest, allowed: readonly StandinCaller[], guard: StandinCallGuard): Promise<void> {
  if (allowed.includes('anyone')) return;
  const token = tokenOf(request);
  if (!token) throw unknownCaller();
  const credential = guard.credentialOf(token);
  if (credential) {
    if (allowed.includes(credential)) return;
    throw notAllowed(credential);
  }
  // Customers' routes authenticate the customer in their handler and find only the customer's own accounts.
  if (allowed.includes('customer')) return;
  throw (await guard.customerHolds(token)) ? notAllowed('customer') : unknownCaller();
}

/**
 * Every route gets the call map's check before anything else runs on it; a route without an entry
 * fails the build, naming it. Install before any route is added.
 */
export function enforceCallMap(server: FastifyInstance, guard: StandinCallGuard): void {
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (!standinCallersOf(method, route.url))
        throw new Error(`${method} ${route.url} is not in stand-in's call map (app/call-map.ts): declare who may call it`);
    const check: onRequestAsyncHookHandler = async (request) => admit(request, standinCallersOf(request.method, route.url) ?? [], guard);
    const callers = standinCallersOf([route.method].flat()[0] ?? '', route.url) ?? [];
    const limit = guard.customerLimit && callers.length === 1 && callers[0] === 'customer' ? [guard.customerLimit] : [];
    route.onRequest = [check, ...limit, ...[route.onRequest ?? []].flat()];
  });
}
