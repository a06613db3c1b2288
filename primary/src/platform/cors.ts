import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

// Cross-origin calls from the bank's browser app (APP_ORIGINS). The app is served from an origin of
// its own and calls the app API directly with the customer's bearer token, so the browser needs
// CORS answers from primary; nothing here is a credential check (no cookies are used, so
// `credentials` stays off): the call guard still admits or refuses every request on its own.

/** APP_ORIGINS in local mode when not set: the app's development server (`npm start`). */
export const LOCAL_APP_ORIGINS: readonly string[] = ['http://127.0.0.1:8700', 'http://localhost:8700'];

/** Request headers the app sends: its token, JSON bodies, a transfer's key, the notification stream's resume point. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'idempotency-key', 'last-event-id'];

/**
 * APP_ORIGINS as given (comma-separated exact origins) to the list of origins, or a message naming
 * the first entry that is not an origin. An origin is scheme, host and port only, written as the
 * browser sends it in `Origin` (so the comparison can be exact): no path, no trailing slash, no
 * wildcard, no default port, lower case.
 */
export function parseAppOrigins(value: string): { ok: true; origins: string[] } | { ok: false; message: string } {
  const origins: string[] = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || entry.includes('*'))
      return { ok: false, message: `"${entry}" is not an origin: expected scheme://host[:port] (http or https, no wildcard), e.g. https://app.bank.example` };
    if (url.origin !== entry)
      return {
        ok: false,
        message: `"${entry}" is not an origin as a browser sends it: expected exactly ${url.origin} (scheme://host[:port], no path, no trailing slash, no default port)`,
      };
    if (!origins.includes(entry)) origins.push(entry);
  }
  return { ok: true, origins };
}

/**
 * Registers @fastify/cors for `origins`. Its hook is an instance `onRequest` hook, so it runs before
 * every route's own hooks (the call guard, the rate limits): a preflight (`OPTIONS` with `Origin`
 * and `Access-Control-Request-Method`) is answered 204 there and never reaches them, and the CORS
 * headers are on the reply before any of them can refuse, so a 401, 404, 429 or 503 envelope is
 * readable by the app. A request from any other origin (or none) gets no CORS header, and its
 * preflight is a 404. With no origins (the default outside local mode) nothing is added at all; the
 * preflight route is still registered, so the route table (and the call map) is the same everywhere.
 * Call after the call guard is installed (its onRoute hook checks the preflight route too).
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  void app.register(fastifyCors, {
    // A function rather than the list: an origin not allowed gets no CORS header and no preflight
    // at all (with a list, its preflight would still be answered 204, only without the origin).
    origin: allowed.size === 0 ? false : (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    // The app reads how long to wait after a 429 or 503.
    exposedHeaders: ['retry-after'],
    credentials: false,
    maxAge: 600,
    // A bare OPTIONS from an allowed origin is answered like a preflight, not with a text/plain 400
    // outside the error envelope.
    strictPreflight: false,
    hideOptionsRoute: true,
  });
}
