import type { CardAuthorisationRequest, CardReversalRequest, FasterPaymentInboundCredit, Merchant, MessageKey } from '@bank/shared-contracts';
import type { PlatformUrls } from '../stack/services';
import { decideForUser } from './app-client';
import { mapWithConcurrency, sleep } from './concurrency';
import type { Exchange, GroundTruth, Verdict } from './ground-truth';
import type { PaymentNetwork } from './payment-network';
import type { Prng } from './prng';
import type { SchemeMessages } from './scheme-messages';
import type { SimulatedCustomer } from './simulated-customer';
import { timedRequest } from './timed-request';

// Steady mixed load at a chosen rate: card purchases (some reversed in full or in part, most
// cleared later for the same or a different amount), ATM withdrawals, Faster Payments credits
// through the gateway, and customers' transfers out through whichever platform their app is told
// to use. Every choice comes from the run's seeded generator and is drawn when the message is
// sent, so a replay with the same seed makes the same choices for the same answers.
//
// The networks behave like real ones, not kinder: the Faster Payments scheme re-presents a credit
// it got no definite answer for (a 504, a timeout, a refused connection, an answer after its
// deadline) with the same fpsId until it hears accepted or rejected, or gives up ("unresolved");
// the card network sends a 0420 timeout reversal for an authorisation it got no answer for, or a
// 91 from the gateway, or an answer past its deadline, and repeats it until acknowledged; it
// repeats a message now and then (same key), and presents some clearings early, before the
// authorisation's advice can have reached primary. These obligations outlive the load: `stop`
// ends new messages, `settleObligations` sees the re-presentations and reversals through.

export interface LoadMix {
  readonly purchase: number;
  readonly atmWithdrawal: number;
  readonly fpsCredit: number;
  readonly appTransfer: number;
}

export const DEFAULT_MIX: LoadMix = { purchase: 55, atmWithdrawal: 12, fpsCredit: 18, appTransfer: 15 };

export interface LoadOptions {
  readonly prng: Prng;
  /** Messages per second, new ones and follow-ups (reversals, clearings) together. */
  readonly ratePerSecond: number;
  readonly customers: readonly SimulatedCustomer[];
  readonly network: PaymentNetwork;
  readonly messages: SchemeMessages;
  readonly truth: GroundTruth;
  /** Where customers' apps find the platforms (transfers and freezes go where the app is told). */
  readonly urls: PlatformUrls;
  readonly mix?: LoadMix;
  /** Share of approved purchases reversed (in full or in part) before clearing. */
  readonly reversalShare?: number;
  /** Share of approved purchases presented for clearing. */
  readonly clearingShare?: number;
  /** More in flight than this and a tick is skipped (and counted): the load never piles up unboundedly. */
  readonly maxInFlight?: number;
  /** Share of authorisations the network sends twice with the same key (a repeat). */
  readonly repeatShare?: number;
  /** Share of cleared purchases presented early: within a second of the approval. */
  readonly earlyClearingShare?: number;
}

/** The network's next move for an approved purchase, drawn when the purchase is sent. */
interface PurchasePlan {
  readonly reversal?: { readonly delayMs: number; readonly remainingMinor?: number };
  readonly clearing?: { readonly delayMs: number; readonly amountMinor: (authorisedMinor: number) => number };
}

interface FollowUp {
  readonly dueMs: number;
  readonly what: string;
  readonly send: () => Promise<unknown>;
}

export interface FrozenCard {
  readonly customer: SimulatedCustomer;
  readonly exchange: Exchange;
}

export interface LoadStatistics {
  readonly ticks: number;
  readonly skippedForBackPressure: number;
  readonly followUpsWaiting: number;
  readonly clearingsAwaitingPresentment: number;
  /** Faster Payments credits the scheme presented again (same fpsId) after no definite answer. */
  readonly fpsRepresentations: number;
  /** Credits the scheme gave up on without a definite answer: unknown, not lost. */
  readonly fpsUnresolved: number;
  /** 0420 timeout reversals the card network sent (every attempt). */
  readonly networkTimeoutReversals: number;
  /** Timeout reversals never acknowledged within the budget. */
  readonly networkTimeoutReversalsUnacknowledged: number;
  /** Authorisations the network sent a second time with the same key. */
  readonly repeatedMessages: number;
  readonly earlyClearings: number;
}

export interface LoadGenerator {
  /** Freezes `count` cards not frozen yet, each through the platform its customer's app is told to use. */
  freezeCards(count: number): Promise<FrozenCard[]>;
  frozenCards(): readonly FrozenCard[];
  /** Stops new messages and pending follow-ups; waits for every answer. Unpresented clearings are kept. */
  stop(): Promise<void>;
  /**
   * The network's clearing batch: presents every clearing not settled yet (deferred by the gateway,
   * unanswered, or still waiting for its due time), repeating each until it settles, or until `timeoutMs`.
   */
  presentOutstandingClearings(timeoutMs: number): Promise<{ presented: number; unsettled: number }>;
  /**
   * After `stop`: the scheme's re-presentations and the card network's timeout reversals still owed,
   * each on its own schedule, until every one has a definite answer or has used its budget.
   */
  settleObligations(timeoutMs: number): Promise<{ outstanding: number }>;
  statistics(): LoadStatistics;
}

const TRANSFER_CREDITOR = { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' } as const;
const ATM_AMOUNTS_MINOR = [2_000, 4_000, 5_000, 10_000] as const;
/** How often the network sends a reversal nobody answered. */
const REVERSAL_REPEATS = 3;
/**
 * When the Faster Payments scheme presents a credit again after no definite answer: quickly at
 * first, then spaced out, as a scheme's retry schedule is; after the last it gives up.
 */
const FPS_REPRESENTATION_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000] as const;
/** Re-presentations and timeout reversals in flight at once, at most. */
const MAX_OBLIGATIONS_IN_FLIGHT = 10;
/** When the card network repeats a 0420 timeout reversal nobody acknowledged. */
const TIMEOUT_REVERSAL_DELAYS_MS = [300, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000] as const;

/** A Faster Payments answer the scheme counts as definite: accepted or rejected, in time. */
const definiteCredit = (exchange: Exchange) => (exchange.verdict === 'accepted' || exchange.verdict === 'rejected') && exchange.timing === 'on-time';
/** An authorisation the network counts as failed (no answer, the gateway's 91, anything late): it reverses it. */
const failedAuthorisation = (exchange: Exchange) => exchange.timing !== 'on-time' || !(exchange.verdict === 'approved' || exchange.verdict === 'declined');
/** A reversal acknowledged: any ISO answer but 91 (send it again). */
const acknowledged = (exchange: Exchange) => (exchange.verdict === 'approved' || exchange.verdict === 'declined') && exchange.responseCode !== '91';

const uuidFrom = (prng: Prng) => {
  const hex = prng.chars(32, '0123456789abcdef');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[prng.int(0, 3)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export function startLoad(options: LoadOptions): LoadGenerator {
  const { prng, network, messages, truth } = options;
  const mix = options.mix ?? DEFAULT_MIX;
  const reversalShare = options.reversalShare ?? 0.15;
  const clearingShare = options.clearingShare ?? 0.85;
  const maxInFlight = options.maxInFlight ?? 150;
  const repeatShare = options.repeatShare ?? 0.02;
  const earlyClearingShare = options.earlyClearingShare ?? 0.1;
  /** Re-presentations and timeout reversals: obligations that outlive the load, each with its own due time. */
  const obligations = new Map<string, { dueMs: number; send: () => Promise<void> }>();
  const counters = {
    fpsRepresentations: 0,
    fpsUnresolved: 0,
    networkTimeoutReversals: 0,
    networkTimeoutReversalsUnacknowledged: 0,
    repeatedMessages: 0,
    earlyClearings: 0,
  };
  const followUps: FollowUp[] = [];
  const outstandingClearings = new Map<string, { customer: SimulatedCustomer; send: (attempt: number) => Promise<Exchange>; attempts: number }>();
  const frozen: FrozenCard[] = [];
  const actions = new Set<Promise<unknown>>();
  let running = true;
  let ticks = 0;
  let skipped = 0;

  /** Counts an action in flight until it settles; its failure is handled here, so callers that do not need its result may drop it (`void track(...)`). */
  const track = <T>(action: Promise<T>): Promise<T> => {
    actions.add(action);
    void action.finally(() => actions.delete(action)).catch(() => undefined);
    return action;
  };
  const schedule = (what: string, delayMs: number, send: () => Promise<unknown>) => followUps.push({ dueMs: Date.now() + delayMs, what, send });

  /**
   * Presents a clearing once. One the gateway deferred (or nobody answered) waits for the next
   * clearing batch, as a network re-presents in its next file rather than at once.
   */
  function presentClearing(clearingId: string): Promise<unknown> {
    const entry = outstandingClearings.get(clearingId);
    if (!entry) return Promise.resolve();
    entry.attempts++;
    return entry.send(entry.attempts).then((exchange) => {
      if (exchange.verdict === 'settled' || exchange.verdict === 'rejected') outstandingClearings.delete(clearingId);
    });
  }

  function planPurchase(amountMinor: number): PurchasePlan {
    const reversed = prng.chance(reversalShare);
    const partial = reversed && amountMinor > 1 && prng.chance(0.4);
    const remainingMinor = partial ? prng.int(1, amountMinor - 1) : undefined;
    const cleared = (!reversed || partial) && prng.chance(clearingShare);
    const differentAmount = prng.chance(0.3);
    const factorPercent = prng.int(80, 120);
    // Early: before the authorisation's advice can have reached primary, when stand-in approved it.
    const early = !reversed && prng.chance(earlyClearingShare);
    const clearingDelayMs = early ? prng.int(100, 900) : prng.int(3_000, 8_000);
    if (cleared && early) counters.earlyClearings++;
    return {
      ...(reversed ? { reversal: { delayMs: prng.int(300, 2_500), ...(remainingMinor === undefined ? {} : { remainingMinor }) } } : {}),
      ...(cleared
        ? {
            clearing: {
              delayMs: clearingDelayMs,
              amountMinor: (authorised: number) => (differentAmount ? Math.max(1, Math.round((authorised * factorPercent) / 100)) : authorised),
            },
          }
        : {}),
    };
  }

  function followPurchase(customer: SimulatedCustomer, key: MessageKey, amountMinor: number, merchant: Merchant, plan: PurchasePlan): void {
    const clear = (authorisedMinor: number) => {
      if (!plan.clearing || authorisedMinor <= 0) return;
      const record = messages.clearing(customer, key, plan.clearing.amountMinor(authorisedMinor), merchant);
      outstandingClearings.set(record.clearingId, { customer, send: (attempt) => network.clear(customer, record, attempt), attempts: 0 });
      schedule(`clearing ${record.clearingId}`, plan.clearing.delayMs, () => presentClearing(record.clearingId));
    };
    if (!plan.reversal) return clear(amountMinor);
    const reversal = messages.reversal(customer, key, amountMinor, plan.reversal.remainingMinor);
    const remaining = plan.reversal.remainingMinor ?? 0;
    const sendReversal = (attempt: number): Promise<unknown> =>
      network.reverse(customer, reversal, attempt).then((exchange) => {
        // An acquirer repeats a reversal nobody answered: it must not leave the money held.
        if (exchange.verdict === 'approved' || exchange.verdict === 'declined') return clear(remaining);
        if (attempt < REVERSAL_REPEATS && running) schedule('reversal repeat', 1_000, () => sendReversal(attempt + 1));
      });
    schedule('reversal', plan.reversal.delayMs, () => sendReversal(1));
  }

  async function appTransfer(customer: SimulatedCustomer, amountMinor: number, idempotencyKey: string): Promise<void> {
    const phase = truth.phase();
    // A real app knows where to talk from its background status polls: the transfer's time is the
    // transfer's own, not the status round trip before it.
    const decision = await decideForUser(options.urls, customer.customerId);
    const via = decision?.talkTo ?? 'primary';
    const sentAtMs = Date.now();
    const result = await timedRequest({
      method: 'POST',
      url: `${options.urls[via]}/accounts/${customer.accountId}/transfers`,
      token: customer.token,
      idempotencyKey,
      body: { amountMinor, creditor: TRANSFER_CREDITOR, reference: 'CHAOS RENT' },
      giveUpMs: network.deadlineMs * 3,
    });
    const elapsedMs = Date.now() - sentAtMs;
    const base = {
      kind: 'app-transfer' as const,
      phase,
      via,
      accountId: customer.accountId,
      amountMinor,
      sentAtMs,
      elapsedMs,
      deadlineMs: network.deadlineMs,
      attempt: 1,
    };
    if (result.kind === 'no-answer')
      return void truth.record({
        ...base,
        verdict: 'no-answer',
        detail: decision ? result.reason : `no platform answered the app's status poll; ${result.reason}`,
      });
    const body = (result.body ?? {}) as { status?: string; fpsId?: string; why?: string; rejectReason?: string; error?: { code?: string } };
    const verdicts: Record<string, Verdict> = { accepted: 'accepted', sent: 'accepted', submitted: 'submitted', rejected: 'rejected', refused: 'refused' };
    const verdict: Verdict =
      (result.status === 201 || result.status === 202 || result.status === 422) && body.status ? (verdicts[body.status] ?? 'error') : 'error';
    truth.record({
      ...base,
      httpStatus: result.status,
      verdict,
      ...(body.fpsId ? { fpsId: body.fpsId } : {}),
      ...(verdict === 'error'
        ? { detail: `HTTP ${result.status}${body.error?.code ? ` ${body.error.code}` : ''}` }
        : body.why || body.rejectReason
          ? { detail: body.why ?? body.rejectReason }
          : {}),
    });
  }

  const oblige = (id: string, delayMs: number, send: () => Promise<void>) => obligations.set(id, { dueMs: Date.now() + delayMs, send });

  /** The scheme presents a credit until it hears a definite answer, or gives up on it. */
  function presentCredit(customer: SimulatedCustomer, instruction: FasterPaymentInboundCredit, attempt: number): Promise<void> {
    obligations.delete(`fps:${instruction.fpsId}`);
    return network.credit(customer, instruction, attempt).then((exchange) => {
      if (definiteCredit(exchange)) return;
      const delayMs = FPS_REPRESENTATION_DELAYS_MS[attempt - 1];
      if (delayMs === undefined) return void counters.fpsUnresolved++;
      counters.fpsRepresentations++;
      oblige(`fps:${instruction.fpsId}`, delayMs, () => presentCredit(customer, instruction, attempt + 1));
    });
  }

  /** The card network's 0420 for an authorisation it counted as failed: sent until acknowledged, or its budget is spent. */
  function sendTimeoutReversal(customer: SimulatedCustomer, original: CardAuthorisationRequest, attempt: number): Promise<void> {
    const id = `0420:${original.stan}/${original.rrn}/${original.terminalId}`;
    obligations.delete(id);
    counters.networkTimeoutReversals++;
    const reversal: CardReversalRequest = { ...messages.reversal(customer, original, original.amountMinor), mti: '0420' };
    return network.reverse(customer, reversal, attempt).then((exchange) => {
      if (acknowledged(exchange)) return;
      const delayMs = TIMEOUT_REVERSAL_DELAYS_MS[attempt - 1];
      if (delayMs === undefined) return void counters.networkTimeoutReversalsUnacknowledged++;
      oblige(id, delayMs, () => sendTimeoutReversal(customer, original, attempt + 1));
    });
  }

  /** An authorisation as the network sends it: reversed if it failed, now and then repeated with the same key. */
  function authorise(customer: SimulatedCustomer, message: CardAuthorisationRequest): Promise<Exchange> {
    const repeat = prng.chance(repeatShare);
    return network.authorise(customer, message).then(async (exchange) => {
      if (failedAuthorisation(exchange)) {
        oblige(`0420:${message.stan}/${message.rrn}/${message.terminalId}`, TIMEOUT_REVERSAL_DELAYS_MS[0], () => sendTimeoutReversal(customer, message, 1));
        return exchange;
      }
      // A 91 is the issuer saying it cannot decide: the network stands in for it, it does not repeat.
      if (!repeat || exchange.responseCode === '91') return exchange;
      // The same message again: the issuer must give the same answer and take the money once. The
      // network already has its answer, so whatever the repeat hears changes nothing for it.
      counters.repeatedMessages++;
      await network.authorise(customer, message, 2);
      return exchange;
    });
  }

  /** One new message of the mix, its follow-ups drawn now. */
  function sendNew(): void {
    const customer = prng.pick(options.customers);
    const kind = prng.weighted({ ...mix });
    if (kind === 'purchase') {
      const amountMinor = prng.int(100, 6_000);
      const message = messages.purchase(customer, amountMinor);
      const plan = planPurchase(amountMinor);
      void track(
        authorise(customer, message).then((exchange) => {
          if (exchange.verdict === 'approved' && exchange.timing === 'on-time' && running)
            followPurchase(customer, exchange.key!, amountMinor, message.merchant, plan);
        }),
      );
    } else if (kind === 'atmWithdrawal') {
      void track(authorise(customer, messages.atmWithdrawal(customer, prng.pick(ATM_AMOUNTS_MINOR))));
    } else if (kind === 'fpsCredit') {
      void track(presentCredit(customer, messages.inboundCredit(customer, prng.int(500, 20_000)), 1));
    } else {
      void track(appTransfer(customer, prng.int(100, 2_500), uuidFrom(prng)));
    }
  }

  /**
   * Starts the obligations that are due, a few at a time: a network paces its repeats, and after an
   * outage hundreds fall due at once (a herd of them would bury the platform that just came back).
   */
  let obligationsInFlight = 0;
  function startDueObligations(): number {
    const now = Date.now();
    let started = 0;
    for (const [id, obligation] of obligations) {
      if (obligationsInFlight >= MAX_OBLIGATIONS_IN_FLIGHT || network.inFlight() >= maxInFlight) break;
      if (obligation.dueMs > now) continue;
      obligations.delete(id);
      obligationsInFlight++;
      void track(obligation.send().finally(() => obligationsInFlight--));
      started++;
    }
    return started;
  }

  function takeDueFollowUp(): FollowUp | undefined {
    let best = -1;
    const now = Date.now();
    for (let index = 0; index < followUps.length; index++) {
      if (followUps[index]!.dueMs <= now && (best < 0 || followUps[index]!.dueMs < followUps[best]!.dueMs)) best = index;
    }
    return best < 0 ? undefined : followUps.splice(best, 1)[0];
  }

  const periodMs = 1_000 / options.ratePerSecond;
  const loop = (async () => {
    const began = Date.now();
    while (running) {
      ticks++;
      // The networks' obligations first: they are owed whatever the load is.
      startDueObligations();
      if (network.inFlight() + actions.size >= maxInFlight) skipped++;
      else {
        const due = takeDueFollowUp();
        if (due) void track(due.send());
        else sendNew();
      }
      await sleep(Math.max(0, began + ticks * periodMs - Date.now()));
    }
  })();

  async function freezeOne(customer: SimulatedCustomer): Promise<FrozenCard> {
    const phase = truth.phase();
    const decision = await decideForUser(options.urls, customer.customerId);
    const via = decision?.talkTo ?? 'primary';
    const sentAtMs = Date.now();
    const result = await timedRequest({
      method: 'POST',
      url: `${options.urls[via]}/cards/${customer.card.id}/freeze`,
      token: customer.token,
      body: {},
      giveUpMs: network.deadlineMs * 3,
    });
    const exchange = truth.record({
      kind: 'card-freeze',
      phase,
      via,
      accountId: customer.accountId,
      cardId: customer.card.id,
      amountMinor: 0,
      sentAtMs,
      elapsedMs: Date.now() - sentAtMs,
      deadlineMs: network.deadlineMs,
      attempt: 1,
      ...(result.kind === 'answer'
        ? { httpStatus: result.status, verdict: result.status === 200 ? 'accepted' : 'error' }
        : { verdict: 'no-answer', detail: result.reason }),
    });
    return { customer, exchange };
  }

  return {
    async freezeCards(count) {
      const candidates = options.customers.filter((customer) => !frozen.some((card) => card.customer.card.id === customer.card.id));
      const chosen: SimulatedCustomer[] = [];
      while (chosen.length < count && candidates.length > 0) chosen.push(candidates.splice(prng.int(0, candidates.length - 1), 1)[0]!);
      const done = await Promise.all(chosen.map((customer) => track(freezeOne(customer))));
      frozen.push(...done.filter((card) => card.exchange.verdict === 'accepted'));
      return done;
    },
    frozenCards: () => frozen,
    async stop() {
      running = false;
      await loop;
      followUps.length = 0;
      while (actions.size > 0) await Promise.allSettled([...actions]);
      await network.idle();
    },
    async presentOutstandingClearings(timeoutMs) {
      const began = Date.now();
      let presented = 0;
      for (let round = 0; outstandingClearings.size > 0 && Date.now() - began < timeoutMs; round++) {
        if (round > 0) await sleep(1_000);
        await mapWithConcurrency([...outstandingClearings.keys()], 8, async (clearingId) => {
          presented++;
          await presentClearing(clearingId);
        });
      }
      return { presented, unsettled: outstandingClearings.size };
    },
    async settleObligations(timeoutMs) {
      const began = Date.now();
      while (Date.now() - began < timeoutMs) {
        startDueObligations();
        if (obligations.size === 0 && actions.size === 0) break;
        await sleep(100);
      }
      while (actions.size > 0) await Promise.allSettled([...actions]);
      return { outstanding: obligations.size };
    },
    statistics: () => ({
      ticks,
      skippedForBackPressure: skipped,
      followUpsWaiting: followUps.length,
      clearingsAwaitingPresentment: outstandingClearings.size,
      ...counters,
    }),
  };
}
