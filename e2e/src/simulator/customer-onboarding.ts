import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { mapWithConcurrency, sleep } from './concurrency';
import { maskCardNumbers } from './ground-truth';
import type { SimulatedCustomer } from './simulated-customer';

// Customers made the way the bank makes them: an account opened through primary's app API, a
// card issued through its internal API (the card manufacturer's route, the one place a PAN is
// returned), and a salary credited by Faster Payments. Many at once, then waited for until
// stand-in has each one's card and money, or stand-in would decline them for being unknown.

export interface OnboardingOptions {
  readonly primaryUrl: string;
  /** The onboarding back end's (opens the account), the card manufacturer's (issues the card) and the gateway's (brings the salary in). */
  readonly credentials: { readonly onboarding: string; readonly cardManufacturer: string; readonly gateway: string };
  readonly count: number;
  readonly fundedMinor: number;
  /** Requests in flight at once while opening customers. */
  readonly concurrency?: number;
}

async function postJson<T>(url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) {
    // Only the error's code and message, masked: the card issuing answer is the one body that carries a PAN.
    const error = (JSON.parse(text || '{}') as { error?: { code?: string; message?: string } }).error;
    throw new Error(`POST ${new URL(url).pathname} answered HTTP ${response.status}${error ? `: ${error.code} ${maskCardNumbers(error.message ?? '')}` : ''}`);
  }
  return JSON.parse(text) as T;
}

export async function openCustomer(options: Omit<OnboardingOptions, 'count'>, holderName: string): Promise<SimulatedCustomer> {
  const account = await postJson<{ id: string; customerId: string; token: string; sortCode: string; accountNumber: string }>(
    `${options.primaryUrl}/accounts`,
    {
      holderName,
      overdraftLimitMinor: 0,
    },
    options.credentials.onboarding,
  );
  // The card before the money: once the funding is visible in stand-in, the card is too.
  const card = await postJson<{ id: string; pan: string; expiry: string }>(
    `${options.primaryUrl}/internal/accounts/${account.id}/cards`,
    {},
    options.credentials.cardManufacturer,
  );
  const credit = await postJson<{ status: string }>(
    `${options.primaryUrl}/scheme/faster-payments/inbound`,
    {
      fpsId: `FUND${randomUUID().replace(/-/g, '')}`,
      amountMinor: options.fundedMinor,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
      creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: holderName },
      reference: 'SALARY',
      sentAt: new Date().toISOString(),
    },
    options.credentials.gateway,
  );
  if (credit.status !== 'accepted') throw new Error(`funding ${account.id} was not accepted: ${credit.status}`);
  return {
    accountId: account.id,
    customerId: account.customerId,
    token: account.token,
    sortCode: account.sortCode,
    accountNumber: account.accountNumber,
    holderName,
    card: { id: card.id, pan: card.pan, expiry: card.expiry },
    fundedMinor: options.fundedMinor,
  };
}

export async function openCustomers(options: OnboardingOptions): Promise<SimulatedCustomer[]> {
  const names = Array.from({ length: options.count }, (_, index) => `Chaos Customer ${index + 1}`);
  return mapWithConcurrency(names, options.concurrency ?? 8, (name) => openCustomer(options, name));
}

/**
 * Waits until stand-in's database holds every customer's card and funded balance (read straight
 * from the run's stand-in database: one query per poll, however many customers).
 */
export async function waitUntilKnownToStandin(
  standinDatabaseUrl: string,
  customers: readonly SimulatedCustomer[],
  timeoutMs: number,
): Promise<{ waitedMs: number }> {
  const pool = new Pool({ connectionString: standinDatabaseUrl, max: 1, connectionTimeoutMillis: 5_000 });
  const began = Date.now();
  let missing = customers.length;
  try {
    while (Date.now() - began < timeoutMs) {
      const { rows } = await pool.query<{ ready: string }>(
        `select count(*) as ready from unnest($1::uuid[], $2::uuid[], $3::bigint[]) as wanted(account_id, card_id, funded)
         where exists (select 1 from synced_cards c where c.card_id = wanted.card_id)
           and (select b.settled_minor - b.held_minor from synced_balances b where b.account_id = wanted.account_id order by b.sequence desc limit 1) = wanted.funded
           and exists (select 1 from synced_credentials k where k.account_id = wanted.account_id)`,
        [customers.map((c) => c.accountId), customers.map((c) => c.card.id), customers.map((c) => c.fundedMinor)],
      );
      missing = customers.length - Number(rows[0]?.ready ?? 0);
      if (missing === 0) return { waitedMs: Date.now() - began };
      await sleep(250);
    }
  } finally {
    await pool.end();
  }
  throw new Error(`stand-in did not know ${missing} of ${customers.length} customers (card, money, credential) within ${timeoutMs / 1000} s`);
}
