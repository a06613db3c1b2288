import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { gatewayCallersOf, type GatewayCaller } from './call-map';
import { gatewayErrors } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Every credential comparison in the gateway goes through here: both sides hashed first, so the
 * time taken says nothing about the length of the credential or how much of a guess was right.
 * The gateway's own credentials are hashed once, at start: only the caller's is hashed per call
 * (every card message carries one).
 */
const sameDigest = (given: Buffer, expected: Buffer): boolean => timingSafeEqual(given, expected);

const bearerOf = (request: FastifyRequest): string | undefined => {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() || undefined : undefined;
};

type KnownCaller = Exclude<GatewayCaller, 'anyone'>;

/** The caller a token is: the network or stand-in (one of its credentials, two during a rotation, as digests), or nobody the gateway knows. */
function callerOfToken(token: string, digests: readonly (readonly [KnownCaller, Buffer])[]): KnownCaller | undefined {
  const given = digest(token);
  // Every credential compared: the time taken does not say which one nearly matched.
  let caller: KnownCaller | undefined;
  for (const [who, expected] of digests) if (sameDigest(given, expected)) caller ??= who;
  return caller;
}

/**
 * Enforces the call map (call-map.ts) on every route, before the body is even read: 401 for no
 * credential or one the gateway does not know, 403 for one it knows that the map does not allow. A
 * route without an entry fails the build, naming it. Install before any route is added.
 */
export function enforceGatewayCallMap(
  server: FastifyInstance,
  deps: { readonly networkCredentials: readonly string[]; readonly standinCredentials?: readonly string[] },
): void {
  const digests = [
    ...deps.networkCredentials.map((credential) => ['network', digest(credential)] as const),
    ...(deps.standinCredentials ?? []).map((credential) => ['standin', digest(credential)] as const),
  ];
  server.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (!gatewayCallersOf(method, route.url))
        throw new Error(`${method} ${route.url} is not in the gateway's call map (call-map.ts): declare who may call it`);
    const check: onRequestAsyncHookHandler = async (request) => {
      const allowed = gatewayCallersOf(request.method, route.url) ?? [];
      if (allowed.includes('anyone')) return;
      const token = bearerOf(request);
      const caller = token === undefined ? undefined : callerOfToken(token, digests);
      if (!caller) throw gatewayErrors.unauthenticated();
      if (!allowed.includes(caller)) throw gatewayErrors.forbidden(caller);
    };
    route.onRequest = [check, ...[route.onRequest ?? []].flat()];
  });
}
