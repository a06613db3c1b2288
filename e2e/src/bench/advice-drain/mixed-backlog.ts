import { randomUUID } from 'node:crypto';
import type { CardAuthorisationRequest, CardReversalRequest, FasterPaymentInboundCredit } from '@bank/shared-contracts';
import type { BenchAccount } from '../shared/bench-cards';
import { bearerOf } from '../../stack/credentials';

// The part of the advice backlog that is not card purchases, made through stand-in's real APIs
// while no advice consumer runs, as a customer and the networks would: per account an ATM cash
// withdrawal, a purchase stand-in then reverses in part (two advices: the approval and its
// reversal), a Faster Payment in and one out, and a freeze followed by an unfreeze. Each call is
// checked: an advice the benchmark counts on must exist.

export const MIXED_ADVICES_PER_ACCOUNT = 7;

const ATM = { name: 'BENCH ATM', categoryCode: '6011', city: 'London', country: 'GB' } as const;
const SHOP = { name: 'BENCH SHOP', categoryCode: '5411', city: 'London', country: 'GB' } as const;

export interface MixedBacklog {
  /** Calls that did not do what the benchmark needs (each listed by kind). */
  readonly failures: Readonly<Record<string, number>>;
  readonly calls: number;
  readonly elapsedMs: number;
}

export async function buildMixedBacklog(options: {
  standinUrl: string;
  accounts: readonly BenchAccount[];
  runTag: string;
  concurrency: number;
}): Promise<MixedBacklog> {
  const began = Date.now();
  const failures: Record<string, number> = {};
  let calls = 0;
  // A terminal of its own (the load worker's is B + the run tag): its message keys never meet the worker's.
  let counter = 0;
  const terminalId = `M${options.runTag}`;
  const key = () => {
    const sequence = counter++;
    return { stan: String(sequence % 1_000_000).padStart(6, '0'), rrn: sequence.toString(36).toUpperCase().padStart(12, '0'), terminalId };
  };
  const post = async (
    kind: string,
    path: string,
    body: unknown,
    check: (status: number, answer: Record<string, unknown>) => boolean,
    headers: Record<string, string> = {},
  ) => {
    calls++;
    try {
      const response = await fetch(`${options.standinUrl}${path}`, {
        method: 'POST',
        // As the gateway (scheme routes), unless the call says otherwise (a customer's transfer).
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...bearerOf('gateway'), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (!check(response.status, answer)) failures[kind] = (failures[kind] ?? 0) + 1;
    } catch {
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
  };
  const approved = (status: number, answer: Record<string, unknown>) => status === 200 && answer.responseCode === '00';
  const authorisation = (account: BenchAccount, processingCode: string, amountMinor: number, merchant: typeof ATM | typeof SHOP): CardAuthorisationRequest => ({
    mti: '0100',
    pan: account.card.pan,
    expiry: account.card.expiry,
    processingCode,
    amountMinor,
    currency: 'GBP',
    transmittedAt: new Date().toISOString(),
    ...key(),
    acquirerId: '12345678',
    merchant,
    posEntryMode: 'contactless',
  });

  async function forAccount(account: BenchAccount, index: number): Promise<void> {
    await post('atm cash', '/scheme/card/authorisations', authorisation(account, '010000', 1_000, ATM), approved);
    const purchase = authorisation(account, '000000', 800, SHOP);
    await post('purchase to reverse', '/scheme/card/authorisations', purchase, approved);
    const reversal: CardReversalRequest = {
      mti: '0400',
      pan: account.card.pan,
      original: { stan: purchase.stan, rrn: purchase.rrn, terminalId: purchase.terminalId },
      amountMinor: purchase.amountMinor,
      replacementAmountMinor: 300,
      currency: 'GBP',
      transmittedAt: new Date().toISOString(),
      ...key(),
    };
    await post('reversal', '/scheme/card/reversals', reversal, approved);
    const credit: FasterPaymentInboundCredit = {
      fpsId: `FPS-BENCH-${options.runTag}-${index}`,
      amountMinor: 2_500,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Bench Payer' },
      creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Bench User' },
      reference: 'BENCH IN',
      sentAt: new Date().toISOString(),
    };
    await post('faster payment in', '/scheme/faster-payments/inbound', credit, (status, answer) => status === 200 && answer.status === 'accepted');
    await post(
      'faster payment out',
      `/accounts/${account.accountId}/transfers`,
      { amountMinor: 1_500, creditor: { sortCode: '200000', accountNumber: '55779911', name: 'Bench Payee' }, reference: 'BENCH OUT' },
      (status) => status >= 200 && status < 300,
      { authorization: `Bearer ${account.customerToken}`, 'idempotency-key': randomUUID() },
    );
    // Last: a frozen card would decline the account's purchases still to come.
    await post('freeze', `/cards/${account.cardId}/freeze`, undefined, (status) => status === 200, { authorization: `Bearer ${account.customerToken}` });
    await post('unfreeze', `/cards/${account.cardId}/unfreeze`, undefined, (status) => status === 200, { authorization: `Bearer ${account.customerToken}` });
  }

  let next = 0;
  const worker = async () => {
    while (next < options.accounts.length) {
      const index = next++;
      await forAccount(options.accounts[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.accounts.length) }, worker));
  return { failures, calls, elapsedMs: Date.now() - began };
}
