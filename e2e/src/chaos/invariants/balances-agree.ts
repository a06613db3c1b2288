import { mapWithConcurrency } from '../../simulator/concurrency';
import { timedRequest } from '../../simulator/timed-request';
import { listed, type InvariantContext, type InvariantResult } from './invariant-result';

// Invariant 3: after quiescence, stand-in's view of every balance equals primary's, as each
// platform's app API shows it to the customer (primary's available, stand-in's spendable), and
// stand-in's transaction list counts no payment twice (one entry per correlation id).

interface AccountComparison {
  readonly accountId: string;
  readonly primaryAvailableMinor?: number;
  readonly standinSpendableMinor?: number;
  readonly problem?: string;
}

async function readJson<T>(url: string, token: string): Promise<T | string> {
  const result = await timedRequest({ method: 'GET', url, token, giveUpMs: 10_000 });
  if (result.kind === 'no-answer') return result.reason;
  if (result.status !== 200) return `HTTP ${result.status}`;
  return result.body as T;
}

export async function checkBalancesAgree(context: Pick<InvariantContext, 'urls' | 'customers'>): Promise<InvariantResult> {
  const compared = await mapWithConcurrency(context.customers, 6, async (customer) => {
    const [primary, standin, transactions] = await Promise.all([
      readJson<{ balance: { availableMinor: number } }>(`${context.urls.primary}/accounts/${customer.accountId}`, customer.token),
      readJson<{ balance: { spendableMinor: number } }>(`${context.urls.standin}/accounts/${customer.accountId}`, customer.token),
      readJson<{ transactions: { correlationId?: string }[] }>(`${context.urls.standin}/accounts/${customer.accountId}/transactions`, customer.token),
    ]);
    const comparison: AccountComparison = {
      accountId: customer.accountId,
      ...(typeof primary === 'string' ? {} : { primaryAvailableMinor: primary.balance.availableMinor }),
      ...(typeof standin === 'string' ? {} : { standinSpendableMinor: standin.balance.spendableMinor }),
    };
    const unreadable = [typeof primary === 'string' ? `primary: ${primary}` : '', typeof standin === 'string' ? `stand-in: ${standin}` : '']
      .filter(Boolean)
      .join('; ');
    const correlated =
      typeof transactions === 'string'
        ? []
        : transactions.transactions.map((transaction) => transaction.correlationId).filter((id): id is string => id !== undefined);
    const repeated = correlated.filter((id, index) => correlated.indexOf(id) !== index);
    return {
      comparison: unreadable ? { ...comparison, problem: `unreadable (${unreadable})` } : comparison,
      repeated: repeated.map((correlationId) => ({ accountId: customer.accountId, correlationId })),
    };
  });
  const differing = compared
    .map((entry) => entry.comparison)
    .filter((entry) => entry.problem !== undefined || entry.primaryAvailableMinor !== entry.standinSpendableMinor);
  const countedTwice = compared.flatMap((entry) => entry.repeated);
  const passed = differing.length === 0 && countedTwice.length === 0;
  return {
    id: 3,
    name: "stand-in's view of every balance equals primary's",
    passed,
    summary: passed
      ? `${context.customers.length} accounts: primary's available equals stand-in's spendable for each; no payment listed twice in stand-in`
      : `${differing.length} of ${context.customers.length} accounts differ or could not be read; ${countedTwice.length} payments listed twice in stand-in`,
    evidence: { accounts: context.customers.length, differing: listed(differing), listedTwiceInStandin: listed(countedTwice) },
  };
}
