import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

// Local mode only: a few customers with money, a card, a pot and payees, so a newcomer can open
// the app and click around at once. They are made the way real ones are (onboarding opens the
// account, the scheme pays money in through the gateway, the card manufacturer issues the card,
// the network sends a purchase), kept in <APP_DATA_DIR>/demo-customers.json and made again when
// primary no longer knows them (a fresh data directory). No card number is kept.

export interface DemoCustomer {
  readonly name: string;
  readonly customerId: string;
  readonly accountId: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly token: string;
  readonly cardLast4: string;
}

export interface DemoSettings {
  readonly primaryUrl: string;
  readonly gatewayUrl: string;
  readonly onboardingToken: string;
  readonly cardManufacturerToken: string;
  readonly networkToken: string;
  readonly file: string;
}

const PEOPLE = [
  { name: 'Ada Lovelace', fundsMinor: 250_00, purchase: { merchant: 'BABBAGE COFFEE', categoryCode: '5814', amountMinor: 3_40 } },
  { name: 'Charles Babbage', fundsMinor: 120_00, purchase: { merchant: 'ENGINE PARTS LTD', categoryCode: '5251', amountMinor: 18_99 } },
  { name: 'Grace Hopper', fundsMinor: 75_00, purchase: { merchant: 'NANOSECOND BOOKS', categoryCode: '5942', amountMinor: 9_50 } },
] as const;

/** Each call's limit: a platform that does not answer in this long is not ready yet. */
const CALL_TIMEOUT_MS = 5_000;

class DemoCallFailed extends Error {}

async function call<T>(url: string, token: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extraHeaders },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new DemoCallFailed(`${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

function readSaved(file: string): DemoCustomer[] | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoCustomer[];
  } catch {
    return undefined;
  }
}

/** Whether primary still knows every saved customer (a fresh database does not). */
async function stillKnown(settings: DemoSettings, saved: readonly DemoCustomer[]): Promise<boolean> {
  for (const customer of saved) {
    const response = await fetch(`${settings.primaryUrl}/accounts/${customer.accountId}`, {
      headers: { authorization: `Bearer ${customer.token}` },
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (response.status === 401 || response.status === 404) return false;
    if (!response.ok) throw new DemoCallFailed(`primary answered ${response.status}`);
  }
  return true;
}

async function createOne(settings: DemoSettings, person: (typeof PEOPLE)[number]): Promise<DemoCustomer & { pan: string; expiry: string }> {
  const account = await call<{ id: string; customerId: string; sortCode: string; accountNumber: string; token: string }>(
    `${settings.primaryUrl}/accounts`,
    settings.onboardingToken,
    { holderName: person.name, overdraftLimitMinor: 0 },
  );
  await call(`${settings.gatewayUrl}/scheme/faster-payments/inbound`, settings.networkToken, {
    fpsId: `DEMO-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    amountMinor: person.fundsMinor,
    currency: 'GBP',
    debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Analytical Employer' },
    creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: person.name },
    reference: 'SALARY',
    sentAt: new Date().toISOString(),
  });
  const card = await call<{ last4: string; pan: string; expiry: string }>(
    `${settings.primaryUrl}/internal/accounts/${account.id}/cards`,
    settings.cardManufacturerToken,
    {},
  );
  return {
    name: person.name,
    customerId: account.customerId,
    accountId: account.id,
    sortCode: account.sortCode,
    accountNumber: account.accountNumber,
    token: account.token,
    cardLast4: card.last4,
    pan: card.pan,
    expiry: card.expiry,
  };
}

/** A purchase as the card network sends it through the gateway, so the feed has a merchant in it. */
async function purchase(settings: DemoSettings, card: { pan: string; expiry: string }, what: (typeof PEOPLE)[number]['purchase']): Promise<void> {
  const digits = (n: number) => String(Math.floor(Math.random() * 10 ** n)).padStart(n, '0');
  await call(`${settings.gatewayUrl}/scheme/card/authorisations`, settings.networkToken, {
    mti: '0100',
    pan: card.pan,
    expiry: card.expiry,
    processingCode: '000000',
    amountMinor: what.amountMinor,
    currency: 'GBP',
    transmittedAt: new Date().toISOString(),
    stan: digits(6),
    rrn: digits(12),
    terminalId: 'DEMO0001',
    acquirerId: '12345678',
    posEntryMode: 'contactless',
    merchant: { name: what.merchant, categoryCode: what.categoryCode, city: 'London', country: 'GB' },
  });
}

async function create(settings: DemoSettings): Promise<DemoCustomer[]> {
  const made = [];
  for (const person of PEOPLE) {
    const customer = await createOne(settings, person);
    await purchase(settings, customer, person.purchase);
    made.push(customer);
  }
  // Everyone can pay everyone else (on-us transfers) and a friend at another bank (a Faster Payment).
  for (const customer of made) {
    const auth = customer.token;
    const payees = [
      ...made.filter((other) => other !== customer).map((other) => ({ name: other.name, sortCode: other.sortCode, accountNumber: other.accountNumber })),
      { name: 'A Friend', sortCode: '200000', accountNumber: '12345678' },
    ];
    for (const payee of payees) await call(`${settings.primaryUrl}/accounts/${customer.accountId}/payees`, auth, payee, { 'idempotency-key': randomUUID() });
    const pot = await call<{ id: string }>(
      `${settings.primaryUrl}/accounts/${customer.accountId}/pots`,
      auth,
      { name: 'Holiday' },
      { 'idempotency-key': randomUUID() },
    );
    await call(
      `${settings.primaryUrl}/accounts/${customer.accountId}/pots/${pot.id}/deposit`,
      auth,
      { amountMinor: 20_00 },
      { 'idempotency-key': randomUUID() },
    );
  }
  // Only what the app needs to sign in: never the card number.
  return made.map(({ pan: _pan, expiry: _expiry, ...customer }) => customer);
}

export interface DemoCustomers {
  /** The customers once made (or found), else why not yet. */
  current(): { readonly ready: true; readonly customers: readonly DemoCustomer[] } | { readonly ready: false; readonly why: string };
  /** Resolves when they are ready or the attempts ran out. */
  readonly settled: Promise<void>;
  stop(): void;
}

/**
 * Makes (or finds) the demo customers in the background: the platforms may still be starting, so
 * it tries every `retryMs`, at most `attempts` times, and says why not yet meanwhile.
 */
export function startDemoCustomers(settings: DemoSettings, logger: Logger, options: { attempts?: number; retryMs?: number } = {}): DemoCustomers {
  let state: ReturnType<DemoCustomers['current']> = { ready: false, why: 'being made' };
  let stopped = false;
  const attempts = options.attempts ?? 60;
  const retryMs = options.retryMs ?? 2_000;
  const settled = (async () => {
    for (let attempt = 1; attempt <= attempts && !stopped; attempt++) {
      try {
        const saved = readSaved(settings.file);
        if (saved && (await stillKnown(settings, saved))) {
          state = { ready: true, customers: saved };
          return;
        }
        const customers = await create(settings);
        fs.mkdirSync(path.dirname(settings.file), { recursive: true });
        fs.writeFileSync(settings.file, `${JSON.stringify(customers, null, 2)}\n`, { mode: 0o600 });
        state = { ready: true, customers };
        logger.info({ customers: customers.map((customer) => customer.name) }, 'demo customers made (local mode): the app lists them on its sign-in page');
        return;
      } catch (error) {
        state = { ready: false, why: `not yet: ${(error as Error).message}` };
        if (attempt === attempts) logger.error({ err: error }, 'could not make the demo customers; the app still works with any customer token');
        else await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  })();
  return {
    current: () => state,
    settled,
    stop() {
      stopped = true;
    },
  };
}
