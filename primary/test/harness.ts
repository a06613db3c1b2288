import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import type { CardAuthorisationRequest, FasterPaymentInboundCredit } from '@bank/shared-contracts';
import { buildPrimary } from '../src/app';
import { PRIMARY_MIGRATIONS } from '../src/migrations';
import { fixedClock } from '../src/platform/clock';
import { createRedisCache } from '../src/platform/cache';
import { createPool } from '../src/platform/db';
import { createMetrics } from '../src/platform/metrics';
import { migrate } from '../src/platform/migrations';
import { httpFasterPaymentsScheme } from '../src/transfers/faster-payments-scheme';
import { startFasterPaymentsSchemeSimulator } from './faster-payments-scheme-simulator';

// Primary against the real PostgreSQL that `npm test` starts, served on an ephemeral port and
// called over HTTP like any client would.

export const INTERNAL_TOKEN = 'test-internal-token';

export async function startPrimary(options: { now?: string; clearingMatchWaitMs?: number } = {}) {
  const db = createPool(infraEndpoints().postgres.primary);
  await migrate(db, PRIMARY_MIGRATIONS);
  const clock = fixedClock(options.now ?? '2026-11-21T12:00:00Z');
  // Stand-in's key pair: primary gets only the public half.
  const standinKeyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = {
    primary: { keyset: 'A' as const, keyId: 'A-test', key: randomBytes(32) },
    standin: { keyset: 'B' as const, keyId: 'B-test', publicKey: standinKeyPair.publicKey },
    indexKey: randomBytes(32),
  };
  const scheme = await startFasterPaymentsSchemeSimulator();
  const fasterPaymentsScheme = httpFasterPaymentsScheme({ url: scheme.url, timeoutMs: 500 });
  const cache = createRedisCache({ url: infraEndpoints().redis.primary, logger: pino({ level: 'silent' }) });
  const { app, services } = buildPrimary({ db, clock, keys, internalToken: INTERNAL_TOKEN, logger: pino({ level: 'silent' }), metrics: createMetrics(), fasterPaymentsScheme, cache, ...(options.clearingMatchWaitMs === undefined ? {} : { clearingMatchWaitMs: options.clearingMatchWaitMs }) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });

  async function call(method: 'GET' | 'POST' | 'DELETE', url: string, options: { token?: string; body?: unknown; rawBody?: string; idempotencyKey?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${address}${url}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function openAccount(overdraftLimitMinor = 0) {
    const opened = await call('POST', '/accounts', { body: { holderName: 'Test Customer', overdraftLimitMinor } });
    if (opened.status !== 201) throw new Error(`open account: ${JSON.stringify(opened.body)}`);
    return opened.body as { id: string; customerId: string; sortCode: string; accountNumber: string; token: string };
  }

  async function issueCard(accountId: string, dailyCashLimitMinor?: number) {
    const issued = await call('POST', `/internal/accounts/${accountId}/cards`, { token: INTERNAL_TOKEN, body: dailyCashLimitMinor === undefined ? {} : { dailyCashLimitMinor } });
    if (issued.status !== 201) throw new Error(`issue card: ${JSON.stringify(issued.body)}`);
    return issued.body as { id: string; pan: string; expiry: string; last4: string };
  }

  async function fund(account: { sortCode: string; accountNumber: string }, amountMinor: number) {
    const credit: FasterPaymentInboundCredit = {
      fpsId: `FPS-${randomUUID()}`,
      amountMinor,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer Ltd' },
      creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Test Customer' },
      reference: 'SALARY',
      sentAt: clock.now().toISOString(),
    };
    const response = await call('POST', '/scheme/faster-payments/inbound', { body: credit });
    if (response.body?.status !== 'accepted') throw new Error(`fund: ${JSON.stringify(response.body)}`);
  }

  async function balance(accountId: string) {
    return (await services.ledger.balance(db, accountId))!;
  }

  return {
    app,
    address,
    db,
    clock,
    keys,
    standinPrivateKey: standinKeyPair.privateKey,
    services,
    scheme,
    call,
    openAccount,
    issueCard,
    fund,
    balance,
    async close() {
      await app.close();
      await scheme.close();
      await cache.close();
      await db.end();
    },
  };
}

export type TestPrimary = Awaited<ReturnType<typeof startPrimary>>;

let stanCounter = Math.floor(Math.random() * 900_000);
/** A fresh message key per call: STAN, RRN and terminal as a real acquirer would send them. */
export function messageKey() {
  stanCounter = (stanCounter + 1) % 1_000_000;
  return { stan: String(stanCounter).padStart(6, '0'), rrn: randomBytes(6).toString('hex').toUpperCase(), terminalId: 'TERM0001' };
}

export function authorisation(card: { pan: string; expiry: string }, amountMinor: number, overrides: Partial<CardAuthorisationRequest> = {}): CardAuthorisationRequest {
  return {
    mti: '0100',
    pan: card.pan,
    expiry: card.expiry,
    processingCode: '000000',
    amountMinor,
    currency: 'GBP',
    transmittedAt: '2026-11-21T12:00:00Z',
    ...messageKey(),
    acquirerId: '12345678',
    merchant: { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' },
    posEntryMode: 'contactless',
    ...overrides,
  };
}
