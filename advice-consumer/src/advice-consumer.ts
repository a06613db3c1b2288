import { Duration, type Message, type PubSub, type Subscription, type SubscriberOptions } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { Advice, PUBSUB_TOPICS, safeParseContract, type DeadLetteredAdvice } from '@bank/shared-contracts';
import { BatchRefused, type ApplyResult, type PrimaryClient } from './primary-client';
import { backoffDelayMs, createAttemptMemory, sleep, type BackoffOptions } from './backoff';
import { createWaitingAdvices } from './waiting-advices';
import { answersWithin } from './answers-within';

// Pulls stand-in's advices and has primary apply them, in batches. Acknowledged only after primary
// has committed the batch that applied it (or already had it: a duplicate is acknowledged too, and
// so is one primary quarantined, which it keeps for an operator); an advice that cannot be valid
// (or whose place in its account's sequence another advice holds) goes to the dead-letter topic
// with its reason and is acknowledged, so it never blocks the account's later advices or anyone
// else's. Anything else waits in the consumer, still leased, and is retried.
//
// Batches (issue 16): one advice per call and per transaction drained a backlog at ~100 a second;
// primary applies a batch in one transaction (one commit, per-batch reads and records), so the
// consumer collects what Pub/Sub delivers, up to `batchSize` advices or `batchWaitMs` after the
// first, and sends it. An account is never in two batches in flight at once (primary applies an
// account's advices strictly in sequence; a second batch would only meet refusals), and within a
// batch an account's advices go in sequence order, which is their delivery order when the relay
// publishes in order and puts a redelivered or re-offered one back in its place when not. Up to
// `maxBatchesInFlight` batches (of different accounts) go at once, so primary's database is busy
// while the consumer reads the next answers and the emulator the acknowledgements.
//
// How this avoids the redelivery storm of issue 12 (each point checked against the emulator):
// - One streaming pull (see the subscription's options below).
// - The lease window (`maxLeased`) is far larger than what goes to primary at once. When the
//   client's window is full it pauses the stream, but the emulator keeps sending; those messages
//   wait unread, their ack deadline lapses, and for an ordered subscription the emulator then
//   sends the lapsed message again *with every later message of its key, acknowledged or not*.
//   With the old window of 50, a slow primary or a few held advices turned that into duplicates
//   without end (an account's 30 advices came back every ~7 s, with no traffic at all), and new
//   advices queued behind them.
// - Nothing goes back to Pub/Sub to be retried: a nack is redelivered at once (the emulator
//   ignores a subscription's retry policy, and the client has no delayed nack), so a nack is a
//   loop, and one that scrambles the account's order. Primary unavailable: the batch is tried
//   again, its accounts kept out of other batches and its advices leased, with exponential backoff
//   and jitter (capped at a few seconds), and every waiting batch at once as soon as primary
//   answers one: the backlog moves within moments of primary being able to take it. Out of order:
//   the advice is held, and goes to primary again with its account's next batch, or on a backoff
//   when none comes (its predecessor may come from the re-drive loop, straight to primary): one
//   offer per blocked account, not one per advice. Each wait has a limit, after which the message
//   is given back (nacked).
// Held messages stay leased: the client extends their ack deadline meanwhile.

export interface ConsumerCounters {
  readonly outcomes: Counter<'outcome'>;
  /** Times the subscription was opened again, by why (the client gave it up, or it went silent). */
  readonly reopened?: Counter<'why'>;
}

/** How the consumer gets its subscription back when the Pub/Sub client gives it up or it goes silent. */
export interface ReopenOptions {
  /** First wait before the subscription is opened again; default 1 s, doubling per failed try to `capMs`. */
  readonly baseMs?: number;
  /** Default 30 s. */
  readonly capMs?: number;
  /**
   * A new Pub/Sub client for a subscription found silent: the known cure for a gRPC channel that
   * stays on a dead connection after a network fault. Without it, the same client is reused.
   */
  readonly newClient?: () => PubSub;
}

export interface HoldOptions {
  /** Out-of-order advices held at once; default the lease window (a safety net, as flow control bounds them too). */
  readonly maxHeld?: number;
  /** How long an out-of-order advice is held before it goes back to Pub/Sub; default 5 min. */
  readonly maxHoldMs?: number;
  /** When an account's lowest held advice is offered to primary again; default 1 s doubling to 10 s. */
  readonly recheck?: BackoffOptions;
}

export interface RetryOptions {
  /** First delay before an advice primary could not take is tried again; default 250 ms. */
  readonly baseMs?: number;
  /**
   * The delay doubles per failure up to this; default 2 s, so the backlog reaches primary within
   * seconds of it coming back. (Tries are per batch, a handful at once, not per advice: a short cap
   * costs primary little while it is away.)
   */
  readonly capMs?: number;
  /** How long one delivery is retried in place before it goes back to Pub/Sub; default 60 s. */
  readonly maxHoldMs?: number;
}

interface Delivery {
  readonly message: Message;
  readonly advice: Advice;
  /** When it was first held for an earlier advice: offered to primary again and held again, its hold limit still counts from then. */
  readonly heldSince?: number;
}

/** Longest wait for a subscription or client to close (on a dead connection its final nacks cannot go). */
const CLOSE_DEADLINE_MS = 5_000;

/** How many advice ids the retry memory keeps (each a few dozen bytes). */
const ATTEMPT_MEMORY = 10_000;

export function startAdviceConsumer(deps: {
  pubsub: PubSub;
  primary: PrimaryClient;
  logger: Logger;
  counters: ConsumerCounters;
  subscriptionName?: string;
  /** Advices per batch sent to primary; default 200 (measured: see the advice-drain benchmark). */
  batchSize?: number;
  /** How long the first advice of a batch waits for others to join it; default 5 ms. */
  batchWaitMs?: number;
  /** Batches at primary at once, never two with the same account; default 3. */
  maxBatchesInFlight?: number;
  /** Messages leased from Pub/Sub at once, waiting included; default 10,000 (a few MB). */
  maxLeased?: number;
  hold?: HoldOptions;
  retry?: RetryOptions;
  reopen?: ReopenOptions;
}) {
  const batchSize = deps.batchSize ?? 200;
  const batchWaitMs = deps.batchWaitMs ?? 5;
  const maxBatchesInFlight = deps.maxBatchesInFlight ?? 3;
  const maxLeased = deps.maxLeased ?? 10_000;
  const hold = {
    maxHeld: deps.hold?.maxHeld ?? maxLeased,
    maxHoldMs: deps.hold?.maxHoldMs ?? 300_000,
    recheck: deps.hold?.recheck ?? { baseMs: 1_000, capMs: 10_000 },
  };
  const retry = { baseMs: deps.retry?.baseMs ?? 250, capMs: deps.retry?.capMs ?? 2_000, maxHoldMs: deps.retry?.maxHoldMs ?? 60_000 };
  const reopen = { baseMs: deps.reopen?.baseMs ?? 1_000, capMs: deps.reopen?.capMs ?? 30_000 };
  const subscriptionName = deps.subscriptionName ?? PUBSUB_TOPICS.advices.subscription;
  const subscriptionOptions: SubscriberOptions = {
    flowControl: { maxMessages: maxLeased, maxBytes: 64 * 1024 * 1024, allowExcessMessages: false },
    // One streaming pull, not the client's default five: with five, the emulator filled flow control
    // with a few accounts at a time and redelivered advices already acknowledged.
    streamingOptions: { maxStreams: 1 },
    // Every lease 60 s, from the first delivery: the emulator ignores the stream's flow control and
    // keeps sending while the client's window is full, and what waits unread past its lease is sent
    // again with every later message of its account (above). The client's default starts leases at
    // 10 s and lengthens them from how long acknowledgements take: through a 100,000-advice backlog
    // that meant 782,070 duplicate deliveries and 612 s (under other load); with 60 s from the start,
    // 83 and 117 s alone on the machine (advice-drain, 2026-12-06). 60 s is also the most a crashed
    // consumer's advices wait to be redelivered (the re-drive loop covers longer).
    minAckDeadline: Duration.from({ seconds: 60 }),
    maxAckDeadline: Duration.from({ seconds: 60 }),
  };
  let pubsub = deps.pubsub;
  // Only a client the consumer made itself (on a reopen) is the consumer's to close; the first is its caller's.
  let madeClient = false;
  // Per advice id: failed tries, so a redelivered copy carries on from the longest delay.
  const failures = createAttemptMemory(ATTEMPT_MEMORY);
  const waiting = createWaitingAdvices<Delivery>({
    maxHeld: hold.maxHeld,
    maxHoldMs: hold.maxHoldMs,
    onGiveBack: ({ message, advice }, why) => {
      deps.counters.outcomes.inc({ outcome: 'out_of_order_nacked' });
      deps.logger.warn({ accountId: advice.accountId, sequence: advice.sequence, why }, 'advice still waiting for an earlier one; back to Pub/Sub');
      message.nack();
    },
  });
  // Delivered, not yet in a batch: per account in delivery order (the map's order is the accounts' arrival order, so no account starves).
  const pending = new Map<string, Delivery[]>();
  let pendingCount = 0;
  // Accounts in a batch at primary now: their new advices wait for its answer.
  const busy = new Set<string>();
  // Accounts whose held advices are due to be offered to primary again (no new advice of theirs came).
  const recheckDue = new Set<string>();
  // Of those, accounts that just moved on: all their held advices go, not only the lowest.
  const allHeldDue = new Set<string>();
  // Per account with held advices: when its held ones are offered again, and how often they have been.
  const rechecks = new Map<string, { timer?: NodeJS.Timeout; attempt: number }>();
  let batchesInFlight = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  const stopping = new AbortController();
  let stopped = false;
  // Aborted (and replaced) when primary answers after a failure: every batch backing off tries at
  // once, so the backlog moves as soon as primary can take it, not after each one's own delay.
  let primaryBack = new AbortController();
  let backingOff = 0;

  async function deadLetter(message: Message, reason: string): Promise<void> {
    const record: DeadLetteredAdvice = { messageId: message.id, receivedAt: new Date().toISOString(), reason, bodyBase64: message.data.toString('base64') };
    // The current client's topic: after a reopen with a new client, the old one is closed.
    await pubsub.topic(PUBSUB_TOPICS.adviceDeadLetter.topic).publishMessage({ json: record });
    deps.logger.error({ messageId: message.id, reason }, 'poison advice sent to the dead-letter topic: an operator must look at it');
    deps.counters.outcomes.inc({ outcome: 'dead_lettered' });
  }

  /** Dead-lettered then acknowledged; when the dead-letter topic cannot take it, given back to Pub/Sub after a backoff (not at once: a loop). */
  function deadLetterThenAck(message: Message, reason: string, retryKey: string): void {
    deadLetter(message, reason).then(
      () => message.ack(),
      async (error: unknown) => {
        deps.counters.outcomes.inc({ outcome: 'retry' });
        const delayMs = backoffDelayMs(failures.bump(retryKey) - 1, retry);
        deps.logger.warn({ err: error, messageId: message.id, delayMs }, 'poison advice not dead-lettered yet; back to Pub/Sub after a backoff');
        await sleep(delayMs, stopping.signal);
        message.nack();
      },
    );
  }

  function parse(message: Message): { ok: true; advice: Advice } | { ok: false; reason: string } {
    let raw: unknown;
    try {
      raw = JSON.parse(message.data.toString('utf8'));
    } catch {
      return { ok: false, reason: 'not JSON' };
    }
    const parsed = safeParseContract('advice', Advice, raw);
    return parsed.ok ? { ok: true, advice: parsed.value } : { ok: false, reason: parsed.error.message };
  }

  /** Acts on primary's answer for one advice; whether the account moved on (anything but held). */
  function settle({ message, advice, heldSince }: Delivery, result: ApplyResult): boolean {
    deps.counters.outcomes.inc({ outcome: result.kind });
    switch (result.kind) {
      case 'applied':
      case 'duplicate':
        // A duplicate is acknowledged like an applied advice: primary has it, nothing to redeliver.
        message.ack();
        failures.forget(advice.adviceId);
        return true;
      case 'quarantined':
        // Primary keeps it, with its reason, for an operator to re-drive; the account's turn moved past it.
        deps.logger.error(
          { messageId: message.id, adviceId: advice.adviceId, accountId: advice.accountId, sequence: advice.sequence, reason: result.reason },
          'advice quarantined by primary: an operator must fix the cause and re-drive it',
        );
        message.ack();
        failures.forget(advice.adviceId);
        return true;
      case 'rejected':
        deadLetterThenAck(message, `primary refused it: ${result.reason}`, advice.adviceId);
        failures.forget(advice.adviceId);
        return true;
      case 'out_of_order': {
        if (stopped) {
          message.nack();
          return false;
        }
        deps.logger.debug(
          { accountId: advice.accountId, sequence: advice.sequence, expected: result.expectedSequence },
          'advice arrived before an earlier one; held for it',
        );
        const since = heldSince ?? Date.now();
        waiting.hold(advice.accountId, advice.sequence, { message, advice, heldSince: since }, hold.maxHoldMs - (Date.now() - since));
        return false;
      }
    }
  }

  /** Primary's results for a batch: in one call, or one by one when primary will not take it as a batch. */
  async function send(batch: readonly Delivery[]): Promise<ApplyResult[]> {
    const advices = batch.map((delivery) => delivery.advice);
    try {
      return await deps.primary.applyBatch(advices);
    } catch (error) {
      if (!(error instanceof BatchRefused)) throw error;
      deps.logger.warn({ err: error, advices: advices.length }, 'primary refused the batch as such; its advices go one by one');
      const results: ApplyResult[] = [];
      for (const advice of advices) results.push(await deps.primary.apply(advice));
      return results;
    }
  }

  /**
   * Has primary apply the batch, tried again with backoff while primary cannot take it (down,
   * timing out, 5xx, its breaker open); its accounts stay out of other batches meanwhile, as their
   * later advices must wait behind these. Given back to Pub/Sub after `retry.maxHoldMs`, or on stop.
   */
  async function applyBatch(batch: readonly Delivery[]): Promise<void> {
    const heldSince = Date.now();
    for (let tries = 1; ; tries++) {
      let results: ApplyResult[];
      try {
        results = await send(batch);
      } catch (error) {
        // One try is one call to primary, however many advices it carries.
        deps.counters.outcomes.inc({ outcome: 'retry' });
        const delayMs = backoffDelayMs(Math.max(...batch.map((delivery) => failures.bump(delivery.advice.adviceId))) - 1, retry);
        if (stopped || Date.now() - heldSince + delayMs > retry.maxHoldMs) {
          deps.counters.outcomes.inc({ outcome: 'retry_nacked' }, batch.length);
          deps.logger.warn({ err: error, advices: batch.length, tries }, 'batch of advices not applied yet; back to Pub/Sub for redelivery');
          for (const { message } of batch) message.nack();
          return;
        }
        // One line per batch while primary is away, not one per try.
        if (tries === 1) deps.logger.warn({ err: error, advices: batch.length, delayMs }, 'batch of advices not applied yet; retrying with backoff');
        backingOff += 1;
        await sleep(delayMs, AbortSignal.any([stopping.signal, primaryBack.signal]));
        backingOff -= 1;
        if (stopped) {
          for (const { message } of batch) message.nack();
          return;
        }
        continue;
      }
      wake();
      const progressed = new Set<string>();
      batch.forEach((delivery, index) => {
        if (settle(delivery, results[index]!)) progressed.add(delivery.advice.accountId);
      });
      for (const accountId of new Set(batch.map((delivery) => delivery.advice.accountId))) {
        // The account moved on: its held advices may be next now, and all of them go at once with
        // its next batch (one at a time on the recheck's backoff drained a held run at ~1 a second).
        if (progressed.has(accountId) && waiting.holds(accountId)) {
          recheckDue.add(accountId);
          allHeldDue.add(accountId);
        }
        scheduleRecheck(accountId, progressed.has(accountId));
      }
      return;
    }
  }

  /**
   * The next batch: whole accounts (their held advices, then what was delivered, in sequence order),
   * none of them in a batch at primary now, up to `batchSize` advices (an account with more than
   * that goes in parts, its later part waiting for the earlier's answer).
   */
  function nextBatch(): Delivery[] {
    const batch: Delivery[] = [];
    const take = (accountId: string, limit: number) => {
      const deliveries = pending.get(accountId) ?? [];
      pending.delete(accountId);
      pendingCount -= deliveries.length;
      recheckDue.delete(accountId);
      // With new advices of the account (its missing one may be among them), or right after it moved
      // on, every held one goes along; on a recheck alone, only its lowest (the one that can tell
      // whether the gap is filled).
      const all = deliveries.length > 0 || allHeldDue.delete(accountId);
      const lowest = all ? undefined : waiting.lowest(accountId);
      const held = all ? waiting.takeAccount(accountId) : lowest ? [lowest] : [];
      // Sorted stably: copies of one sequence (a redelivery, a conflict) keep their delivery order.
      const ordered = [...held, ...deliveries].sort((a, b) => a.advice.sequence - b.advice.sequence);
      if (ordered.length === 0) return;
      const room = limit - batch.length;
      if (ordered.length > room) {
        pending.set(accountId, ordered.slice(room));
        pendingCount += ordered.length - room;
      }
      batch.push(...ordered.slice(0, room));
      busy.add(accountId);
    };
    for (const accountId of [...pending.keys(), ...recheckDue]) {
      if (batch.length >= batchSize) break;
      if (busy.has(accountId)) continue;
      take(accountId, batchSize);
    }
    return batch;
  }

  // Batches with Faster Payments are as big as any other and go beside them: primary applies a
  // batch in one database call, with the Faster Payments scheme's side of its ledger spread over
  // shards locked for that call's few milliseconds (primary's advices-function.ts, ledger/004).
  // Before, they posted advice by advice to one row, and the consumer sent one batch of at most
  // 20 with transfers at a time: the backlog's transfers drained at about 30 a second.

  /** Sends batches while there is room at primary: at once when a full one is waiting, else `batchWaitMs` after the first advice came. */
  function dispatch(): void {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    while (!stopped && batchesInFlight < maxBatchesInFlight) {
      const batch = nextBatch();
      if (batch.length === 0) return;
      batchesInFlight += 1;
      void applyBatch(batch)
        .catch((error: unknown) => deps.logger.error({ err: error }, 'batch of advices failed unexpectedly; its advices are redelivered'))
        .finally(() => {
          batchesInFlight -= 1;
          for (const accountId of new Set(batch.map((delivery) => delivery.advice.accountId))) busy.delete(accountId);
          schedule();
        });
    }
  }

  function schedule(): void {
    if (stopped || batchesInFlight >= maxBatchesInFlight) return;
    if (pendingCount >= batchSize) return dispatch();
    if (!flushTimer && (pendingCount > 0 || recheckDue.size > 0)) flushTimer = setTimeout(dispatch, batchWaitMs);
  }

  /**
   * While an account has held advices, they are offered to primary again on a backoff when no new
   * advice of the account takes them along first: their predecessor may have been applied from
   * stand-in's log by the re-drive loop. Progress (an advice of the account applied) starts the
   * backoff again; nothing held, nothing scheduled.
   */
  function scheduleRecheck(accountId: string, progressed: boolean): void {
    const current = rechecks.get(accountId);
    if (stopped || !waiting.holds(accountId)) {
      if (current?.timer) clearTimeout(current.timer);
      rechecks.delete(accountId);
      return;
    }
    if (current?.timer && !progressed) return;
    if (current?.timer) clearTimeout(current.timer);
    const attempt = progressed ? 0 : (current?.attempt ?? 0);
    const state: { timer?: NodeJS.Timeout; attempt: number } = { attempt };
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        state.attempt = attempt + 1;
        recheckDue.add(accountId);
        schedule();
      },
      backoffDelayMs(attempt, hold.recheck),
    );
    rechecks.set(accountId, state);
  }

  // The breaker lets one call through after its reset timeout (half-open) and closes when it
  // succeeds: every batch backing off tries at those moments, not a backoff delay later.
  const wake = () => {
    if (backingOff === 0) return;
    primaryBack.abort();
    primaryBack = new AbortController();
  };
  deps.primary.batchBreaker.on('halfOpen', wake);
  deps.primary.batchBreaker.on('close', wake);

  function onMessage(message: Message): void {
    lastDeliveryAt = Date.now();
    reopenAttempt = 0;
    const parsed = parse(message);
    if (parsed.ok) {
      // Synchronously, so the account's advices join its queue in the order Pub/Sub delivered them.
      const { accountId } = parsed.advice;
      const deliveries = pending.get(accountId);
      if (deliveries) deliveries.push({ message, advice: parsed.advice });
      else pending.set(accountId, [{ message, advice: parsed.advice }]);
      pendingCount += 1;
      schedule();
      return;
    }
    deadLetterThenAck(message, parsed.reason, message.id);
  }

  // The subscription, and getting it back. The Node client gives a subscription up for good when
  // its stream ends with a status it does not retry (the subscription deleted and made again, the
  // emulator restarted and its subscriptions re-created, a permission refused): it emits 'close',
  // and nothing would be delivered again until the process restarted. And after a network fault
  // its gRPC channel can stay on a dead connection, delivering nothing without a word (a known
  // client problem: googleapis/nodejs-pubsub#1764, #770); the re-drive loop notices that (advices
  // older than its age missing from delivery) and calls `reopenIfSilent`.
  let subscription: Subscription | undefined;
  let lastDeliveryAt = Date.now();
  let openedAt = Date.now();
  let reopenAttempt = 0;
  let reopenTimer: NodeJS.Timeout | undefined;

  function open(): void {
    const opened = pubsub.subscription(subscriptionName, subscriptionOptions);
    opened.on('message', onMessage);
    opened.on('error', (error) =>
      deps.logger.error({ err: error }, 'advice subscription error; the client retries, and the consumer reopens it if the client gives up'),
    );
    opened.on('close', () => {
      if (opened === subscription) reopenLater('the Pub/Sub client closed the subscription', false);
    });
    subscription = opened;
    openedAt = Date.now();
  }

  /**
   * Lets the current subscription go and opens it again after a backoff. What it had delivered and
   * not yet sent to primary is dropped: closing nacks it (or, on a dead channel, its lease lapses)
   * and Pub/Sub delivers it again; a batch at primary now finishes, its acks then a no-op, and its
   * advices come back as duplicates that primary recognises.
   */
  function reopenLater(why: string, newClient: boolean): void {
    if (stopped || !subscription) return;
    const old = subscription;
    subscription = undefined;
    old.removeListener('message', onMessage);
    void answersWithin(old.close(), CLOSE_DEADLINE_MS);
    for (const state of rechecks.values()) if (state.timer) clearTimeout(state.timer);
    rechecks.clear();
    recheckDue.clear();
    allHeldDue.clear();
    pending.clear();
    pendingCount = 0;
    waiting.takeAll();
    const delayMs = backoffDelayMs(reopenAttempt, reopen);
    reopenAttempt += 1;
    deps.counters.reopened?.inc({ why: newClient ? 'silent' : 'closed_by_client' });
    deps.logger.warn({ why, delayMs, newClient: newClient && Boolean(deps.reopen?.newClient) }, 'advice subscription reopened after a wait');
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      if (stopped) return;
      if (newClient && deps.reopen?.newClient) {
        const previous = pubsub;
        pubsub = deps.reopen.newClient();
        if (madeClient) void answersWithin(previous.close(), CLOSE_DEADLINE_MS);
        madeClient = true;
      }
      open();
    }, delayMs);
  }

  open();

  return {
    /** Advices held for an earlier one of their account. */
    get held(): number {
      return waiting.held;
    },
    /** The Pub/Sub client in use now (a silent subscription is reopened on a new one, which the consumer closes on stop). */
    get pubsub(): PubSub {
      return pubsub;
    },
    /**
     * Called when advices older than `silentMs` were found missing from delivery: when the
     * subscription has delivered nothing for that long either (and was opened before), its stream
     * is taken for dead and it is opened again, on a new client where one can be made. Whether it did.
     */
    reopenIfSilent(silentMs: number): boolean {
      const now = Date.now();
      if (!subscription || now - lastDeliveryAt < silentMs || now - openedAt < silentMs) return false;
      reopenLater(`Pub/Sub delivered nothing for ${Math.round((now - lastDeliveryAt) / 1000)} s while advices were missing from delivery`, true);
      return true;
    },
    stop: async () => {
      stopped = true;
      stopping.abort();
      if (flushTimer) clearTimeout(flushTimer);
      for (const state of rechecks.values()) if (state.timer) clearTimeout(state.timer);
      rechecks.clear();
      for (const deliveries of pending.values()) for (const { message } of deliveries) message.nack();
      pending.clear();
      pendingCount = 0;
      for (const { message } of waiting.takeAll()) message.nack();
      deps.primary.batchBreaker.removeListener('halfOpen', wake);
      deps.primary.batchBreaker.removeListener('close', wake);
      if (reopenTimer) clearTimeout(reopenTimer);
      const current = subscription;
      subscription = undefined;
      if (current) await answersWithin(current.close(), CLOSE_DEADLINE_MS);
      if (madeClient) await answersWithin(pubsub.close(), CLOSE_DEADLINE_MS);
    },
  };
}
