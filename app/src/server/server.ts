import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { AppServerConfig } from './config';
import type { ConsoleReader } from './console-snapshot';
import type { DemoCustomers } from './demo-customers';
import { APP_ERROR_CODES, AppServerError, envelope } from './errors';

// Serves the two pages (built by Vite into dist/web), what the browser needs to find the platforms
// (/config.json), the demo customers in local mode, and the console's snapshot. It holds no
// credential of its own for the console: the engineer's operator token comes with each request
// and is passed on, so the console sees exactly what that engineer may see.

export const WEB_ROOT = path.resolve(__dirname, '..', 'web');

export interface AppServerDeps {
  readonly config: AppServerConfig;
  readonly logger: Logger;
  readonly console: ConsoleReader;
  readonly demo?: DemoCustomers;
}

/** The page may load only its own files and call only the two platforms (and this server). */
function contentSecurityPolicy(config: AppServerConfig): string {
  const platforms = [...new Set([config.publicUrls.primary, config.publicUrls.standin])].join(' ');
  return [
    "default-src 'self'",
    `connect-src 'self' ${platforms}`,
    "img-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function createAppServer(deps: AppServerDeps): FastifyInstance {
  const { config } = deps;
  const server = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
  });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const snapshots = new Counter({
    name: 'app_console_snapshots_total',
    help: 'Console snapshots served, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });

  server.setErrorHandler((error, _request, reply) => {
    if (error instanceof AppServerError) return reply.code(error.statusCode).send(envelope(error.code, error.message));
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send(envelope(APP_ERROR_CODES.BAD_REQUEST, (error as Error).message));
    deps.logger.error({ err: error }, 'request failed');
    return reply.code(500).send(envelope(APP_ERROR_CODES.INTERNAL, 'the app server failed; see its log'));
  });
  server.setNotFoundHandler((_request, reply) => reply.code(404).send(envelope(APP_ERROR_CODES.NOT_FOUND, 'no such page')));

  const csp = contentSecurityPolicy(config);
  server.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('content-security-policy', csp);
    return payload;
  });

  if (!fs.existsSync(path.join(WEB_ROOT, 'index.html')))
    deps.logger.error({ webRoot: WEB_ROOT }, 'the pages are not built: run npm run build (it runs vite build for app/)');
  void server.register(fastifyStatic, { root: WEB_ROOT, index: ['index.html'], wildcard: true, cacheControl: false });
  // Hashed assets may be cached for good; the pages never, so a new build reaches everyone.
  server.addHook('onSend', async (request, reply, payload) => {
    reply.header('cache-control', request.url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store');
    return payload;
  });
  server.get('/console', async (_request, reply) => reply.sendFile('console.html'));

  server.get('/config.json', async () => ({
    primaryUrl: config.publicUrls.primary,
    standinUrl: config.publicUrls.standin,
    statusPollMs: config.statusPollMs,
    local: config.local,
    syncLagAppetiteMs: config.syncLagAppetiteMs,
    // Public in local mode (the README types it); never offered otherwise.
    ...(config.local && config.demo ? { localOperatorToken: config.demo.operatorToken } : {}),
  }));

  server.get('/demo-customers', async () => {
    if (!config.local || !deps.demo) throw new AppServerError(404, APP_ERROR_CODES.NOT_LOCAL_MODE, 'demo customers exist only in local mode (BANK_MODE=local)');
    const state = deps.demo.current();
    if (!state.ready) throw new AppServerError(503, APP_ERROR_CODES.DEMO_NOT_READY, `the demo customers are ${state.why}`);
    return { customers: state.customers };
  });

  server.get('/console/snapshot', async (request) => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) throw new AppServerError(401, APP_ERROR_CODES.OPERATOR_TOKEN_REQUIRED, "the console needs an operator's token: Authorization: Bearer <token>");
    if (!config.operatorOf(token)) {
      snapshots.inc({ outcome: 'token_refused' });
      throw new AppServerError(401, APP_ERROR_CODES.OPERATOR_TOKEN_REFUSED, 'this token is not an operator token (OPERATOR_TOKENS)');
    }
    try {
      const snapshot = await deps.console.read(token);
      snapshots.inc({ outcome: 'served' });
      return snapshot;
    } catch (failure) {
      // A platform that answered 401/403 to the token: the engineer's token, not an outage.
      if ((failure as { code?: string }).code === 'OPERATOR_TOKEN_REFUSED') {
        snapshots.inc({ outcome: 'token_refused' });
        throw new AppServerError(401, APP_ERROR_CODES.OPERATOR_TOKEN_REFUSED, 'a platform refused this token: the console needs an operator token');
      }
      throw failure;
    }
  });

  server.get('/health', async () => ({ status: 'ok' }));
  server.get('/health/live', async () => ({ status: 'live' }));
  server.get('/health/ready', async () => ({ status: 'ready', checks: { pages: fs.existsSync(path.join(WEB_ROOT, 'index.html')) ? 'ok' : 'missing' } }));
  server.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return server;
}
