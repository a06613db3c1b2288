import type { Exchange } from '../../simulator/ground-truth';
import type { SimulatedCustomer } from '../../simulator/simulated-customer';
import { keyOf } from './invariant-result';

// Invariant 8's model: every account as the outside world knows it, built only from the answers
// the networks and the apps got (and the funding the run did), with the bank's documented rules:
//  - a purchase (0100) approved holds its amount; a reversal acknowledged leaves its replacement
//    amount held (nothing, in full); a clearing settled posts the cleared amount and ends the hold;
//  - a cash withdrawal (0200) approved is posted at once;
//  - an authorisation the network counted as failed (no answer, the gateway's 91, an answer past
//    the deadline) is reversed by the network's 0420: once acknowledged, it leaves nothing;
//  - a Faster Payments credit heard accepted is credited; a transfer out heard sent is debited.
// Whatever the outside world never heard definitely (an unresolved credit, a transfer still
// submitted, a reversal or 0420 never acknowledged) is an unknown outcome with two possible
// effects; the check finds which way the ledger went, and says so.

export interface Effect {
  readonly settledMinor: number;
  readonly heldMinor: number;
}

export interface UnknownOutcome {
  readonly what: string;
  /** The two ways it may have gone: nothing happened, or it did. */
  readonly either: Effect;
  readonly or: Effect;
}

export interface ModelAccount {
  readonly accountId: string;
  settledMinor: number;
  heldMinor: number;
  readonly unknowns: UnknownOutcome[];
  /** What the model did with each thing the outside world heard, in order: for the side-by-side report. */
  readonly history: string[];
}

const NOTHING: Effect = { settledMinor: 0, heldMinor: 0 };
const definite = (exchange: Exchange | undefined) => exchange !== undefined && exchange.timing === 'on-time';

/** The model of every customer's account, from the funding and the exchanges the simulators recorded. */
export function modelAccounts(
  customers: readonly Pick<SimulatedCustomer, 'accountId' | 'fundedMinor'>[],
  exchanges: readonly Exchange[],
): Map<string, ModelAccount> {
  const accounts = new Map<string, ModelAccount>();
  for (const customer of customers) {
    accounts.set(customer.accountId, {
      accountId: customer.accountId,
      settledMinor: customer.fundedMinor,
      heldMinor: 0,
      unknowns: [],
      history: [`funded ${customer.fundedMinor}`],
    });
  }
  const account = (accountId: string) => accounts.get(accountId);
  const apply = (model: ModelAccount, effect: Effect, line: string) => {
    model.settledMinor += effect.settledMinor;
    model.heldMinor += effect.heldMinor;
    model.history.push(`${line}: settled ${signed(effect.settledMinor)}, held ${signed(effect.heldMinor)}`);
  };
  const unknown = (model: ModelAccount, what: string, either: Effect, or: Effect) => {
    model.unknowns.push({ what, either, or });
    model.history.push(
      `${what}: unknown (settled ${signed(either.settledMinor)}/${signed(or.settledMinor)}, held ${signed(either.heldMinor)}/${signed(or.heldMinor)})`,
    );
  };

  // Card authorisations with everything the network sent about each.
  const reversalsOf = group(
    exchanges.filter((e) => e.kind === 'reversal' && e.original),
    (e) => keyOf(e.original!),
  );
  const clearingsOf = group(
    exchanges.filter((e) => e.kind === 'clearing' && e.original),
    (e) => keyOf(e.original!),
  );
  const authorisations = exchanges.filter((e) => (e.kind === 'purchase' || e.kind === 'atm-withdrawal') && e.key && e.attempt === 1);
  for (const authorisation of authorisations) {
    const model = account(authorisation.accountId);
    if (!model) continue;
    const key = keyOf(authorisation.key!);
    const amount = authorisation.amountMinor;
    const cash = authorisation.kind === 'atm-withdrawal';
    const approvedEffect: Effect = cash ? { settledMinor: -amount, heldMinor: 0 } : { settledMinor: 0, heldMinor: amount };
    const reversals = reversalsOf.get(key) ?? [];
    const label = `${cash ? 'cash' : 'purchase'} ${key} ${amount}`;
    if (!definite(authorisation) || !(authorisation.verdict === 'approved' || authorisation.verdict === 'declined')) {
      // Failed for the network: its 0420 (amount: the whole authorisation) undoes whatever happened.
      const timeoutReversalAcknowledged = reversals.some(
        (r) => r.amountMinor === amount && definite(r) && (r.verdict === 'approved' || r.verdict === 'declined') && r.responseCode !== '91',
      );
      if (timeoutReversalAcknowledged)
        model.history.push(`${label}: heard ${authorisation.verdict} (${authorisation.timing}), reversed by the network's 0420: nothing`);
      else unknown(model, `${label} heard ${authorisation.verdict} (${authorisation.timing}), 0420 never acknowledged`, NOTHING, approvedEffect);
      continue;
    }
    if (authorisation.verdict === 'declined') {
      model.history.push(`${label}: declined (${authorisation.responseCode ?? '?'}): nothing`);
      continue;
    }
    if (cash) {
      apply(model, approvedEffect, `${label} approved by ${authorisation.decidedBy ?? '?'}`);
      continue;
    }
    // A purchase: held, then perhaps reversed (in full or in part), then perhaps cleared.
    apply(model, { settledMinor: 0, heldMinor: amount }, `${label} approved by ${authorisation.decidedBy ?? '?'}`);
    let held = amount;
    let reversalUnknown: UnknownOutcome | undefined;
    const reversal = reversals[0];
    if (reversal) {
      // The network's reversal releases `amountMinor` (the rest stays authorised for a partial one).
      if (reversals.some((r) => definite(r) && r.verdict === 'approved')) {
        apply(model, { settledMinor: 0, heldMinor: -reversal.amountMinor }, `  reversal releasing ${reversal.amountMinor} acknowledged`);
        held -= reversal.amountMinor;
      } else
        reversalUnknown = {
          what: `  reversal releasing ${reversal.amountMinor} of ${key} never acknowledged`,
          either: NOTHING,
          or: { settledMinor: 0, heldMinor: -reversal.amountMinor },
        };
    }
    const clearings = clearingsOf.get(key) ?? [];
    const settled = clearings.find((c) => c.verdict === 'settled');
    // A clearing settles whatever is still held, so a reversal's fate no longer matters once it is heard settled.
    if (settled) apply(model, { settledMinor: -settled.amountMinor, heldMinor: -held }, `  cleared for ${settled.amountMinor} (${settled.clearingId})`);
    else {
      if (reversalUnknown) unknown(model, reversalUnknown.what, reversalUnknown.either, reversalUnknown.or);
      if (clearings.length > 0 && !reversalUnknown)
        unknown(model, `  clearing of ${key} never heard settled`, NOTHING, { settledMinor: -clearings[0]!.amountMinor, heldMinor: -held });
    }
  }

  // Faster Payments credits, by the scheme's payment id: credited once if heard accepted in time.
  for (const [fpsId, presentations] of group(
    exchanges.filter((e) => e.kind === 'fps-credit' && e.fpsId),
    (e) => e.fpsId!,
  )) {
    const model = account(presentations[0]!.accountId);
    if (!model) continue;
    const amount = presentations[0]!.amountMinor;
    const label = `credit ${fpsId} ${amount} (${presentations.length} presentation${presentations.length === 1 ? '' : 's'})`;
    if (presentations.some((e) => definite(e) && e.verdict === 'accepted')) apply(model, { settledMinor: amount, heldMinor: 0 }, `${label} accepted`);
    else if (presentations.some((e) => definite(e) && e.verdict === 'rejected')) model.history.push(`${label}: rejected: nothing`);
    else unknown(model, `${label} unresolved`, NOTHING, { settledMinor: amount, heldMinor: 0 });
  }

  // Transfers out from the app: debited if the app heard sent; nothing if refused or rejected.
  for (const transfer of exchanges.filter((e) => e.kind === 'app-transfer')) {
    const model = account(transfer.accountId);
    if (!model) continue;
    const label = `transfer out ${transfer.fpsId ?? '(no id)'} ${transfer.amountMinor}`;
    if (transfer.verdict === 'accepted') apply(model, { settledMinor: -transfer.amountMinor, heldMinor: 0 }, `${label} sent`);
    else if (transfer.verdict === 'refused' || transfer.verdict === 'rejected') model.history.push(`${label}: ${transfer.verdict}: nothing`);
    else unknown(model, `${label} heard ${transfer.verdict}`, NOTHING, { settledMinor: -transfer.amountMinor, heldMinor: 0 });
  }
  return accounts;
}

/** The most unknown outcomes one account may have for the exact search; past it, a bounded set search. */
const MAX_REACHABLE = 200_000;

/**
 * Which way each unknown outcome went, if some combination makes the model equal the ledger:
 * `undefined` when none does (the account disagrees), or when the search is too large to decide.
 */
export function explain(model: ModelAccount, ledger: Effect): { matches: true; happened: string[] } | { matches: false; undecidable?: true } {
  const target = `${ledger.settledMinor}/${ledger.heldMinor}`;
  // Reachable (settled, held) after each unknown, with one way to get there.
  let reachable = new Map<string, { s: number; h: number; happened: string[] }>([
    [`${model.settledMinor}/${model.heldMinor}`, { s: model.settledMinor, h: model.heldMinor, happened: [] }],
  ]);
  for (const outcome of model.unknowns) {
    const next = new Map<string, { s: number; h: number; happened: string[] }>();
    for (const state of reachable.values()) {
      for (const [effect, happened] of [
        [outcome.either, false],
        [outcome.or, true],
      ] as const) {
        const s = state.s + effect.settledMinor;
        const h = state.h + effect.heldMinor;
        const id = `${s}/${h}`;
        if (!next.has(id)) next.set(id, { s, h, happened: happened ? [...state.happened, outcome.what] : state.happened });
      }
    }
    if (next.size > MAX_REACHABLE) return { matches: false, undecidable: true };
    reachable = next;
  }
  const found = reachable.get(target);
  return found ? { matches: true, happened: found.happened } : { matches: false };
}

function group<T>(items: readonly T[], keyOfItem: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = keyOfItem(item);
    const list = groups.get(id);
    if (list) list.push(item);
    else groups.set(id, [item]);
  }
  return groups;
}

const signed = (value: number) => (value >= 0 ? `+${value}` : String(value));
