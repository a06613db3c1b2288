import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

// Stand-in's own CORS (primary has its own; the two never share code). The bank's browser app is
// served from an origin of its own (APP_ORIGINS) and calls stand-in's app API and /status straight
// from the page, with the customer's bearer token: the browser only lets the page read stand-in's
// answers when stand-in names the page's origin. No cookies are involved, so no credentials mode.

/** APP_ORIGINS when it is not set in local mode: where `npm start` serves the app. */
export const STANDIN_LOCAL_APP_ORIGINS = ['http://127.0.0.1:8700', 'http://localhost:8700'] as const;

/** Why an APP_ORIGINS entry is not an exact origin, or undefined when it is one. */
function notAnOrigin(entry: string): string | undefined {
  if (entry.includes('*')) return `${entry} is not an origin: no wildcards, name each origin`;
  let parsed: URL;
  try {
    parsed = new URL(entry);
  } catch {
    return `${entry} is not an origin: expected scheme://host[:port], e.g. https://app.bank.example`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `${entry} is not an origin: the scheme must be http or https`;
  // The browser's Origin header is compared as text, so the entry must be written the way it sends it.
  if (parsed.origin !== entry) return `${entry} is not an origin: no path or trailing slash, no default port, lower case; write ${parsed.origin}`;
  return undefined;
}

/** APP_ORIGINS (comma-separated) to its origins; throws naming the first entry that is not one. */
export function readAppOrigins(text: string): string[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  for (const entry of entries) {
    const problem = notAnOrigin(entry);
    if (problem) throw new Error(problem);
  }
  return [...new Set(entries)];
}

/**
 * CORS for the app's origins. @fastify/cors adds an `onRequest` hook on the whole server, and a
 * server's hooks run before any route's own (the call guard, the customer rate limit): a preflight
 * is answered 204 in that hook without reaching them, and every other answer from an allowed
 * origin, refusals (401, 404, 429, 503) included, already carries Access-Control-Allow-Origin when
 * a later step throws. Other origins get no CORS header and their preflight a 404. The preflight
 * route (`OPTIONS *`) is registered whatever the origins, and is `anyone` in the call map.
 */
export function allowAppOrigins(server: FastifyInstance, origins: readonly string[]): void {
  void server.register(cors, {
    // false: no origin at all (outside local mode by default), and no Vary header either.
    origin: origins.length === 0 ? false : (origin, decide) => decide(null, typeof origin === 'string' && origins.includes(origin)),
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id'],
    exposedHeaders: ['retry-after'],
    credentials: false,
    maxAge: 600,
    // Without this, an OPTIONS lacking Access-Control-Request-Method gets a text/plain 400, outside the envelope.
    strictPreflight: false,
    hideOptionsRoute: true,
  });
}
