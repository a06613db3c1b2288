import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import { SERVICE_IDENTITIES, type CardAuthorisationRequest, type FasterPaymentInboundCredit, type ServiceIdentity } from '@bank/shared-contracts';
import { buildPrimary } from '../src/app';
import type { Operator } from '../src/configuration/operators';
import { PRIMARY_MIGRATIONS } from '../src/migrations';
import { fixedClock, systemClock } from '../src/platform/clock';
import { createRedisCache } from '../src/platform/cache';
import { createPool } from '../src/platform/db';
import type { RateLimits } from '../src/platform/rate-limits';
import { createMetrics } from '../src/platform/metrics';
import { migrate } from '../src/platform/migrations';
import { httpStandinProxy } from '../src/routing/standin-proxy';
import { startTimeoutReversals, type TimeoutReversalOptions } from '../src/routing/timeout-reversals';
import { cardAccountLookup } from '../src/shadow/card-accounts';
import { startShadowSender, type ShadowSenderOptions } from '../src/shadow/shadow-sender';
import { httpFasterPaymentsScheme } from '../src/transfers/faster-payments-scheme';
import { startFasterPaymentsSchemeSimulator } from './faster-payments-scheme-simulator';

// The one way primary's tests start primary: against the real PostgreSQL and Redis that
// `npm test` starts, served on an ephemeral port and called over HTTP like any client would.
// Options add what a test needs: a database of its own, operators, stand-in beside it.

/** Each service identity's credential in primary's tests (what primary accepts from them, and presents as itself). */
export const CREDENTIALS: Readonly<Record<ServiceIdentity, string>> = Object.fromEntries(
  SERVICE_IDENTITIES.map((identity) => [identity, `test-${identity}-credential`]),
) as Record<ServiceIdentity, string>;

/** The operator the harness arranges overdrafts as (always among primary's operators, beside a test's own). */
export const HARNESS_OPERATOR = { name: 'harness-operator', token: 'harness-operator-token' } as const;

/**
 * The credential a call presents when the test names none (`token: null`: none at all): a test
 * sending a scheme message stands where the gateway does, one opening an account where the
 * onboarding back end does.
 */
function defaultToken(method: string, url: string): string | undefined {
  if (method === 'POST' && url.startsWith('/scheme/')) return CREDENTIALS.gateway;
  if (method === 'POST' && url === '/accounts') return CREDENTIALS.onboarding;
  return undefined;
}

export interface PrimaryTestOptions {
  readonly now?: string;
  readonly clearingMatchWaitMs?: number;
  /**
   * A database of this primary's own, named after the tests: for tests that change the
   * platform-wide configuration, which every primary on the shared database would otherwise route by.
   */
  readonly ownDatabase?: string;
  readonly operators?: readonly Operator[];
  /** Stand-in's URL: primary proxies what is routed there (with timeout reversals), and shadows to it when `shadow` is given. */
  readonly standin?: { readonly url: string; readonly proxyTimeoutMs: number };
  readonly shadow?: Partial<ShadowSenderOptions>;
  /** With `standin`: the timeout reversals' options (short waits by default). */
  readonly timeoutReversals?: Partial<TimeoutReversalOptions>;
  /** Every line primary logs (to debug) is kept here, for tests that look for what must never be logged. */
  readonly logs?: string[];
  /** The credentials primary accepts per identity (default: CREDENTIALS' one each), e.g. two during a rotation. */
  readonly services?: Readonly<Partial<Record<ServiceIdentity, readonly string[]>>>;
  /** The rate limits (default: too high to be met, so only the rate-limit tests meet them). */
  readonly rateLimits?: RateLimits;
  /** PRIMARY_CUSTOMER_TOKEN_TTL_DAYS (default: primary's). */
  readonly customerTokenTtlDays?: number;
  /** PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER (default: primary's). */
  readonly notificationStreamsPerCustomer?: number;
  /** APP_ORIGINS (default: none, as outside local mode). */
  readonly appOrigins?: readonly string[];
}

/** A database of one test file's own on the shared cluster, dropped by `drop`. */
async function ownDatabase(purpose: string) {
  const shared = new URL(infraEndpoints().postgres.primary);
  const name = `primary_test_${purpose}_${randomBytes(4).toString('hex')}`;
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

export async function startPrimary(options: PrimaryTestOptions = {}) {
  const own = options.ownDatabase === undefined ? undefined : await ownDatabase(options.ownDatabase);
  const databaseUrl = own?.url ?? infraEndpoints().postgres.primary;
  const db = createPool(databaseUrl);
  await migrate(db, PRIMARY_MIGRATIONS);
  const clock = fixedClock(options.now ?? '2026-11-21T12:00:00Z');
  // Stand-in's key pair: primary gets only the public half.
  const standinKeyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = {
    primary: { keyset: 'A' as const, keyId: 'A-test', key: randomBytes(32) },
    standin: { keyset: 'B' as const, keyId: 'B-test', publicKey: standinKeyPair.publicKey },
    indexKey: randomBytes(32),
  };
  const logger = options.logs ? pino({ level: 'debug' }, { write: (line: string) => void options.logs!.push(line) }) : pino({ level: 'silent' });
  const metrics = createMetrics();
  const scheme = await startFasterPaymentsSchemeSimulator();
  const fasterPaymentsScheme = httpFasterPaymentsScheme({ url: scheme.url, timeoutMs: 500 });
  const cache = createRedisCache({ url: infraEndpoints().redis.primary, logger: pino({ level: 'silent' }) });
  const proxy = options.standin
    ? httpStandinProxy({ url: options.standin.url, timeoutMs: options.standin.proxyTimeoutMs, credential: CREDENTIALS.primary })
    : undefined;
  // Scheduling, not decision logic: on the real clock, with short waits for the test.
  const timeoutReversals = proxy
    ? startTimeoutReversals({
        db,
        panKey: keys.primary,
        standin: proxy,
        clock: systemClock,
        logger,
        metrics,
        options: { firstAttemptAfterMs: 200, retryEveryMs: 300, pollEveryMs: 100, ...options.timeoutReversals },
      })
    : undefined;
  const shadow =
    options.standin && options.shadow
      ? startShadowSender({
          standinUrl: options.standin.url,
          primaryCredential: CREDENTIALS.primary,
          accountOf: cardAccountLookup({ db, indexKey: keys.indexKey }),
          clock,
          logger,
          metrics,
          options: options.shadow,
        })
      : undefined;
  const { app, services } = buildPrimary({
    db,
    clock,
    keys,
    services: options.services ?? Object.fromEntries(SERVICE_IDENTITIES.map((identity) => [identity, [CREDENTIALS[identity]]])),
    logger,
    metrics,
    fasterPaymentsScheme,
    cache,
    ...(options.clearingMatchWaitMs === undefined ? {} : { clearingMatchWaitMs: options.clearingMatchWaitMs }),
    operators: [...(options.operators ?? []), HARNESS_OPERATOR],
    rateLimits: options.rateLimits ?? { customerPerWindow: 1_000_000, accountOpeningsPerWindow: 1_000_000, windowMs: 60_000 },
    ...(options.customerTokenTtlDays === undefined ? {} : { customerTokenTtlDays: options.customerTokenTtlDays }),
    ...(options.notificationStreamsPerCustomer === undefined ? {} : { notificationStreamsPerCustomer: options.notificationStreamsPerCustomer }),
    ...(options.appOrigins === undefined ? {} : { appOrigins: options.appOrigins }),
    ...(proxy ? { standin: proxy } : {}),
    ...(timeoutReversals ? { timeoutReversals } : {}),
    ...(shadow ? { shadow } : {}),
  });
  // The route table as fastify built it, for the call-map test.
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });

  /** `body` is the parsed JSON when the answer is JSON; `text` is the answer as it came. */
  async function call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    options: { token?: string | null; body?: unknown; rawBody?: string; idempotencyKey?: string } = {},
  ) {
    const headers: Record<string, string> = {};
    const token = options.token === null ? undefined : (options.token ?? defaultToken(method, url));
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${address}${url}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    const json = response.headers.get('content-type')?.startsWith('application/json');
    return { status: response.status, body: text && json ? JSON.parse(text) : undefined, text };
  }

  /** Opens an account; an overdraft above 0 is then arranged by an operator, as the bank does it. */
  async function openAccount(overdraftLimitMinor = 0) {
    const opened = await call('POST', '/accounts', { body: { holderName: 'Test Customer' } });
    if (opened.status !== 201) throw new Error(`open account: ${JSON.stringify(opened.body)}`);
    const account = opened.body as { id: string; customerId: string; sortCode: string; accountNumber: string; token: string; tokenExpiresAt: string };
    if (overdraftLimitMinor > 0) {
      const arranged = await call('POST', `/internal/accounts/${account.id}/arranged-overdraft`, {
        token: HARNESS_OPERATOR.token,
        body: { limitMinor: overdraftLimitMinor, reason: 'test customer' },
      });
      if (arranged.status !== 200) throw new Error(`arrange overdraft: ${JSON.stringify(arranged.body)}`);
    }
    return account;
  }

  async function issueCard(accountId: string, dailyCashLimitMinor?: number) {
    const issued = await call('POST', `/internal/accounts/${accountId}/cards`, {
      token: CREDENTIALS['card-manufacturer'],
      body: dailyCashLimitMinor === undefined ? {} : { dailyCashLimitMinor },
    });
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
    routes,
    address,
    db,
    databaseUrl,
    clock,
    keys,
    standinPrivateKey: standinKeyPair.privateKey,
    metrics,
    services,
    scheme,
    timeoutReversals,
    shadow,
    call,
    openAccount,
    issueCard,
    fund,
    balance,
    async close() {
      await app.close();
      await shadow?.stop();
      await timeoutReversals?.stop();
      proxy?.close();
      await scheme.close();
      await cache.close();
      await db.end();
      await own?.drop();
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

export function authorisation(
  card: { pan: string; expiry: string },
  amountMinor: number,
  overrides: Partial<CardAuthorisationRequest> = {},
): CardAuthorisationRequest {
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
