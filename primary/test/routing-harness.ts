import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import type { ConfigurationDocument, FasterPaymentInboundCredit } from '@bank/shared-contracts';
import { buildPrimary } from '../src/app';
import { PRIMARY_MIGRATIONS } from '../src/migrations';
import { createRedisCache } from '../src/platform/cache';
import { fixedClock, systemClock } from '../src/platform/clock';
import { createPool } from '../src/platform/db';
import { createMetrics } from '../src/platform/metrics';
import { migrate } from '../src/platform/migrations';
import { httpStandinProxy } from '../src/routing/standin-proxy';
import { startTimeoutReversals } from '../src/routing/timeout-reversals';
import { cardAccountLookup } from '../src/shadow/card-accounts';
import { startShadowSender, type ShadowSenderOptions } from '../src/shadow/shadow-sender';
import { httpFasterPaymentsScheme } from '../src/transfers/faster-payments-scheme';
import { startFasterPaymentsSchemeSimulator } from './faster-payments-scheme-simulator';

// Primary with stand-in beside it, for the routing and shadow tests: against the real PostgreSQL
// (a database of each primary's own: a routing configuration written to the shared one would
// move every other primary's payments). Stand-in is a small real HTTP server here that records
// what reaches it and answers as told, or not at all; the whole stack with the real stand-in is
// e2e/test/payment-routing.

export const INTERNAL_TOKEN = 'test-internal-token';
export const STANDIN_INTERNAL_TOKEN = 'test-standin-internal-token';
export const OPERATOR = { name: 'incident-engineer', token: 'operator-token' };
export const PROXY_TIMEOUT_MS = 300;

export interface Received {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

/** Stand-in as primary's proxy sees it: answers with `reply`, or never when `silent`. */
export async function startFakeStandin() {
  const received: Received[] = [];
  const state = {
    silent: false,
    reply: (_request: Received): { status: number; body: unknown } => ({ status: 200, body: { from: 'standin' } }),
  };
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const seen = { url: request.url ?? '', headers: request.headers, body: text ? JSON.parse(text) : undefined };
      received.push(seen);
      if (state.silent) return;
      const { status, body } = state.reply(seen);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function isolatedDatabase() {
  const shared = new URL(infraEndpoints().postgres.primary);
  const name = `primary_test_routing_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: Object.assign(new URL(shared), { pathname: '/postgres' }).toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  return { url: Object.assign(new URL(shared), { pathname: `/${name}` }).toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/** `shadow`: with a shadow sender with these options (the share shadowed is the configuration's). */
export async function startRoutingPrimary(options: { now?: string; shadow?: Partial<ShadowSenderOptions>; logs?: string[] } = {}) {
  const database = await isolatedDatabase();
  const db = createPool(database.url);
  await migrate(db, PRIMARY_MIGRATIONS);
  const standin = await startFakeStandin();
  const proxy = httpStandinProxy({ url: standin.url, timeoutMs: PROXY_TIMEOUT_MS });
  const metrics = createMetrics();
  // Scheduling, not decision logic: on the real clock, with short waits for the test.
  const timeoutReversals = startTimeoutReversals({ standin: proxy, clock: systemClock, logger: pino({ level: 'silent' }), metrics, options: { firstAttemptAfterMs: 200, retryEveryMs: 300 } });
  const standinKeyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = {
    primary: { keyset: 'A' as const, keyId: 'A-test', key: randomBytes(32) },
    standin: { keyset: 'B' as const, keyId: 'B-test', publicKey: standinKeyPair.publicKey },
    indexKey: randomBytes(32),
  };
  const scheme = await startFasterPaymentsSchemeSimulator();
  const cache = createRedisCache({ url: infraEndpoints().redis.primary, logger: pino({ level: 'silent' }) });
  const clock = fixedClock(options.now ?? '2026-11-21T12:00:00Z');
  // With `logs`, every line primary logs (to debug) is kept there, for tests that look for what must never be logged.
  const logger = options.logs ? pino({ level: 'debug' }, { write: (line: string) => void options.logs!.push(line) }) : pino({ level: 'silent' });
  const shadow = options.shadow
    ? startShadowSender({ standinUrl: standin.url, standinToken: STANDIN_INTERNAL_TOKEN, accountOf: cardAccountLookup({ db, indexKey: keys.indexKey }), clock, logger, metrics, options: options.shadow })
    : undefined;
  const { app, services } = buildPrimary({
    db,
    clock,
    keys,
    internalToken: INTERNAL_TOKEN,
    logger,
    metrics,
    fasterPaymentsScheme: httpFasterPaymentsScheme({ url: scheme.url, timeoutMs: 500 }),
    cache,
    operators: [OPERATOR],
    standin: proxy,
    timeoutReversals,
    ...(shadow ? { shadow } : {}),
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });

  async function call(method: 'GET' | 'POST', url: string, options: { token?: string; body?: unknown; idempotencyKey?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${address}${url}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }), signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const json = response.headers.get('content-type')?.startsWith('application/json');
    return { status: response.status, body: text && json ? JSON.parse(text) : undefined, text };
  }

  /** Every component set explicitly (stand-in for what is named, primary for the rest), and the cohort and shadow shares (0 unless given). */
  async function route(components: Partial<Components>, shares: { dailyCohort?: number; shadow?: number } = {}) {
    const { version } = (await call('GET', '/configuration', { token: OPERATOR.token })).body as ConfigurationDocument;
    const changed = await call('POST', '/configuration/changes', {
      token: OPERATOR.token,
      body: { basedOnVersion: version, reason: 'routing test', components: { ...NOBODY, ...components }, dailyCohort: { percent: shares.dailyCohort ?? 0 }, shadow: { percent: shares.shadow ?? 0 } },
    });
    if (changed.status !== 200) throw new Error(`configuration change failed: ${changed.text}`);
  }

  /** A funded customer with a card, made while everything is on primary. */
  async function customer(fundedMinor = 10_000) {
    await route({});
    const account = (await call('POST', '/accounts', { body: { holderName: 'Routed Customer' } })).body as { id: string; customerId: string; sortCode: string; accountNumber: string; token: string };
    const funded = await call('POST', '/scheme/faster-payments/inbound', { body: credit(account, fundedMinor) });
    if (funded.body?.status !== 'accepted') throw new Error(`fund: ${funded.text}`);
    const card = (await call('POST', `/internal/accounts/${account.id}/cards`, { token: INTERNAL_TOKEN, body: {} })).body as { id: string; pan: string; expiry: string };
    return { ...account, card };
  }

  return {
    db,
    clock,
    metrics,
    standin,
    services,
    timeoutReversals,
    shadow,
    call,
    route,
    customer,
    balance: async (accountId: string) => (await services.ledger.balance(db, accountId))!,
    async close() {
      await app.close();
      await shadow?.stop();
      await timeoutReversals.stop();
      proxy.close();
      await standin.close();
      await scheme.close();
      await cache.close();
      await db.end();
      await database.drop();
    },
  };
}

export type RoutingPrimary = Awaited<ReturnType<typeof startRoutingPrimary>>;
export type Customer = Awaited<ReturnType<RoutingPrimary['customer']>>;

type Components = ConfigurationDocument['components'];
export const NOBODY: Components = {
  cardPaymentsInbound: { mode: 'nobody' },
  cardPaymentsOutbound: { mode: 'nobody' },
  fasterPaymentsInbound: { mode: 'nobody' },
  fasterPaymentsOutbound: { mode: 'nobody' },
  app: { mode: 'nobody' },
};

export const credit = (account: { sortCode: string; accountNumber: string }, amountMinor: number): FasterPaymentInboundCredit => ({
  fpsId: `FPS-${randomUUID()}`,
  amountMinor,
  currency: 'GBP',
  debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer Ltd' },
  creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Routed Customer' },
  reference: 'SALARY',
  sentAt: '2026-11-21T12:00:00Z',
});

