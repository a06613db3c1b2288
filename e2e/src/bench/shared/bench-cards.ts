import { bearerOf } from '../../stack/credentials';
import { randomUUID } from 'node:crypto';
import type { FasterPaymentInboundCredit } from '@bank/shared-contracts';
import type { BenchCard } from './load-protocol';

// The cards the load is spread over. Primary serialises authorisations on one account with a row
// lock, so many accounts (one card each) keep the benchmark about primary's throughput rather
// than about one lock. Each run opens fresh accounts, so earlier runs' holds do not matter.

/** At most this many accounts are being set up at once: set-up is not what is measured. */
const SETUP_PARALLELISM = 8;

async function postJson<T>(url: string, body: unknown, expectedStatus: number, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  // The path, status and primary's error text only: a card's response holds its PAN.
  if (response.status !== expectedStatus) throw new Error(`POST ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** One bench account as its opener knows it: enough to ask stand-in (with the customer's token) whether it has been synced. */
export interface BenchAccount {
  readonly accountId: string;
  /** The customer's bearer token, as primary returned it once; never printed or written out. */
  readonly customerToken: string;
  readonly cardId: string;
  readonly card: BenchCard;
  /** Where a Faster Payment to the account goes. */
  readonly sortCode: string;
  readonly accountNumber: string;
}

async function openFundedCard(baseUrl: string, fundingMinor: number): Promise<BenchAccount> {
  const account = await postJson<{ id: string; token: string; sortCode: string; accountNumber: string }>(
    `${baseUrl}/accounts`,
    { holderName: 'Bench User', overdraftLimitMinor: 0 },
    201,
    bearerOf('onboarding'),
  );
  const credit: FasterPaymentInboundCredit = {
    fpsId: `FPS-${randomUUID()}`,
    amountMinor: fundingMinor,
    currency: 'GBP',
    debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Funder' },
    creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Bench User' },
    reference: 'FUND',
    sentAt: new Date().toISOString(),
  };
  const funded = await postJson<{ status: string; rejectReason?: string }>(`${baseUrl}/scheme/faster-payments/inbound`, credit, 200, bearerOf('gateway'));
  if (funded.status !== 'accepted') throw new Error(`funding a bench account was rejected: ${funded.rejectReason ?? 'no reason given'}`);
  // Issued last: once stand-in sees the card, the account's earlier events (its funding) are synced too.
  const card = await postJson<{ id: string; pan: string; expiry: string }>(
    `${baseUrl}/internal/accounts/${account.id}/cards`,
    {},
    201,
    bearerOf('card-manufacturer'),
  );
  return {
    accountId: account.id,
    customerToken: account.token,
    cardId: card.id,
    card: { pan: card.pan, expiry: card.expiry },
    sortCode: account.sortCode,
    accountNumber: account.accountNumber,
  };
}

/** Opens `count` accounts, funds each with `fundingMinor` pence by an inbound Faster Payment, and issues one card on each (in that order). */
export async function setUpBenchAccounts(baseUrl: string, count: number, fundingMinor: number): Promise<BenchAccount[]> {
  const accounts: BenchAccount[] = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      accounts.push(await openFundedCard(baseUrl, fundingMinor));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SETUP_PARALLELISM, count) }, worker));
  return accounts;
}

/** The cards of `setUpBenchAccounts`, when the accounts themselves do not matter. */
export async function setUpBenchCards(baseUrl: string, count: number, fundingMinor: number): Promise<BenchCard[]> {
  return (await setUpBenchAccounts(baseUrl, count, fundingMinor)).map((account) => account.card);
}
