import { checkAccountsMatchModel } from './accounts-match-model';
import { checkBalancesAgree } from './balances-agree';
import { checkChangesDelivered } from './changes-delivered';
import { checkConfigurationConverged } from './configuration-converged';
import { checkFrozenCardsDeclined } from './frozen-cards-declined';
import type { InvariantContext, InvariantResult } from './invariant-result';
import { checkLedgerBalances } from './ledger-balances';
import { checkNoPlaintextPan } from './no-plaintext-pan';
import { checkPaymentsOnce } from './payments-once';

/**
 * All eight, after quiescence. A check that cannot run (a database gone, a service not answering)
 * fails with the reason as its evidence rather than hiding the others. The frozen-card probes go
 * last: they send authorisations, which must not disturb what the others compare.
 */
export async function checkInvariants(context: InvariantContext): Promise<InvariantResult[]> {
  const checks: [InvariantResult['id'], string, () => Promise<InvariantResult>][] = [
    [1, 'the primary ledger balances', () => checkLedgerBalances(context)],
    [2, 'every approval is in the primary ledger exactly once; nothing double-posted', () => checkPaymentsOnce(context)],
    [3, "stand-in's view of every balance equals primary's", () => checkBalancesAgree(context)],
    [4, 'every primary change reaches stand-in; every stand-in advice is applied', () => checkChangesDelivered(context)],
    [5, 'both configuration services converge on the same, highest version', () => checkConfigurationConverged(context)],
    [7, 'no plaintext PAN in any log, topic, or the stand-in database', () => checkNoPlaintextPan(context)],
    [8, "an independent model of every account, from what the outside world was told, equals primary's ledger", () => checkAccountsMatchModel(context)],
    [6, 'a frozen card is declined on both platforms once the freeze is synced or advised', () => checkFrozenCardsDeclined(context)],
  ];
  const results: InvariantResult[] = [];
  for (const [id, name, check] of checks) {
    try {
      results.push(await check());
    } catch (error) {
      results.push({
        id,
        name,
        passed: false,
        summary: `the check could not run: ${(error as Error).message}`,
        evidence: { error: (error as Error).stack ?? String(error) },
      });
    }
  }
  return results.sort((a, b) => a.id - b.id);
}
