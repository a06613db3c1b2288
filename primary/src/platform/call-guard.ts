import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { allowedCallers, type Caller } from './call-map';
import { errors } from './errors';
import { bearerToken } from './http';

/** Which credential a bearer token is: an operator, a service identity, or undefined (a customer's, or nobody's). */
export type IdentifyCredential = (token: string) => Exclude<Caller, 'anyone' | 'customer'> | undefined;

export interface CallGuardDependencies {
  readonly identify: IdentifyCredential;
  /** Whether a token is a customer's (asked only to tell 403 from 401 on a route customers may not call). */
  readonly isCustomer: (token: string) => Promise<boolean>;
}

/**
 * Enforces the call map (call-map.ts) on every route: as each route is added, its entry is looked
 * up (none: the build fails, naming the route) and a guard runs first on each request. A route a
 * customer may call is left to its handler to authenticate the customer and scope them to their
 * own money. Call before any route is added.
 */
export function installCallGuard(app: FastifyInstance, deps: CallGuardDependencies): void {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const entries = methods.map((method) => {
      const allowed = allowedCallers(method, route.url);
      if (!allowed) throw new Error(`${method} ${route.url} has no entry in primary's call map (platform/call-map.ts): declare who may call it`);
      return allowed;
    });
    if (entries.every((allowed) => allowed.includes('anyone'))) return;
    const guard: onRequestAsyncHookHandler = async (request: FastifyRequest) => {
      const allowed = allowedCallers(request.method, route.url) ?? [];
      if (!allowed.includes('anyone')) await checkCaller(request, allowed, deps);
    };
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [guard, ...existing];
  });
}

async function checkCaller(request: FastifyRequest, allowed: readonly Caller[], deps: CallGuardDependencies): Promise<void> {
  const token = bearerToken(request);
  if (!token) throw errors.unauthenticated();
  const identity = deps.identify(token);
  if (identity) {
    if (!allowed.includes(identity)) throw errors.forbidden(identity);
    return;
  }
  // The handler authenticates the customer (401 for an unknown token) and finds only their own accounts.
  if (allowed.includes('customer')) return;
  if (await deps.isCustomer(token)) throw errors.forbidden('customer');
  throw errors.unauthenticated();
}
