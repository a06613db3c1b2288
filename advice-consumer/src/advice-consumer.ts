import { Duration, type Message, type PubSub, type Subscription } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { Advice, PUBSUB_TOPICS, safeParseContract, type DeadLetteredAdvice } from '@bank/shared-contracts';
import type { PrimaryClient } from './primary-client';
import { backoffDelayMs, createAttemptMemory, sleep, type BackoffOptions } from './backoff';
import { createConcurrencyLimit } from './concurrency-limit';
import { createSerialPerKey } from './serial-per-key';
import { createWaitingAdvices } from './waiting-advices';

// Pulls stand-in's advices and has primary apply each one. Acknowledged only after primary
// has applied it (or already had: a duplicate is acknowledged too); an advice that cannot be valid
// goes to the dead-letter topic with its reason and is acknowledged, so it never blocks the
// account's later advices or anyone else's. Anything else waits in the consumer and is retried.
//
// Primary applies an account's advices only in sequence, so they go to primary one at a time per
// account, in the order Pub/Sub delivered them (the account is the ordering key); different
// accounts go concurrently, at most `maxInFlight` at once.
//
// How this avoids the redelivery storm of issue 12 (each point checked against the emulator):
// - The lease window (`maxLeased`) is far larger than what goes to primary at once. When the
//   client's window is full it pauses the stream, but the emulator keeps sending; those messages
//   wait unread, their ack deadline lapses, and for an ordered subscription the emulator then
//   sends the lapsed message again *with every later message of its key, acknowledged or not*.
//   With the old window of 50, a slow primary or a few held advices turned that into duplicates
//   without end (an account's 30 advices came back every ~7 s, with no traffic at all), and new
//   advices queued behind them.
// - Nothing goes back to Pub/Sub to be retried: a nack is redelivered at once (the emulator
//   ignores a subscription's retry policy, and the client has no delayed nack), so a nack is a
//   loop, and one that scrambles the account's order. Primary unavailable: the advice is tried
//   again in its account's turn with exponential backoff and jitter (capped at a few seconds), and
//   all of them at once as soon as primary answers one: the backlog moves within moments of
//   primary being able to take it. Out of order: it is held, and the
//   account's lowest held advice is offered to primary again on a backoff (its predecessor may
//   come from the re-drive loop, straight to primary); one call per blocked account, not one per
//   advice. Each wait has a limit, after which the message is given back (nacked).
// Held messages stay leased: the client extends their ack deadline meanwhile.

export interface ConsumerCounters {
  readonly outcomes: Counter<'outcome'>;
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
  /** The delay doubles per failure up to this; default 5 s, so an advice reaches primary within seconds of it coming back. */
  readonly capMs?: number;
  /** How long one delivery is retried in place before it goes back to Pub/Sub; default 60 s. */
  readonly maxHoldMs?: number;
}

interface Delivery {
  readonly message: Message;
  readonly advice: Advice;
}

/** How many advice ids the retry memory keeps (each a few dozen bytes). */
const ATTEMPT_MEMORY = 10_000;
const GIVEN_BACK = Symbol('given back to Pub/Sub');

export function startAdviceConsumer(deps: {
  pubsub: PubSub;
  primary: PrimaryClient;
  logger: Logger;
  counters: ConsumerCounters;
  subscriptionName?: string;
  /** Advices sent to primary at once (one per account at a time); default 50. */
  maxInFlight?: number;
  /** Messages leased from Pub/Sub at once, waiting included; default 10,000 (a few MB). */
  maxLeased?: number;
  hold?: HoldOptions;
  retry?: RetryOptions;
}) {
  const maxInFlight = deps.maxInFlight ?? 50;
  const maxLeased = deps.maxLeased ?? 10_000;
  const hold = {
    maxHeld: deps.hold?.maxHeld ?? maxLeased,
    maxHoldMs: deps.hold?.maxHoldMs ?? 300_000,
    recheck: deps.hold?.recheck ?? { baseMs: 1_000, capMs: 10_000 },
  };
  const retry = { baseMs: deps.retry?.baseMs ?? 250, capMs: deps.retry?.capMs ?? 5_000, maxHoldMs: deps.retry?.maxHoldMs ?? 60_000 };
  const deadLetters = deps.pubsub.topic(PUBSUB_TOPICS.adviceDeadLetter.topic);
  const subscription: Subscription = deps.pubsub.subscription(deps.subscriptionName ?? PUBSUB_TOPICS.advices.subscription, {
    flowControl: { maxMessages: maxLeased, maxBytes: 64 * 1024 * 1024, allowExcessMessages: false },
    // One streaming pull, not the client's default five: with five, the emulator filled flow control
    // with a few accounts at a time and redelivered advices already acknowledged.
    streamingOptions: { maxStreams: 1 },
    // The client sets each lease from how long acknowledgements take (its 99th percentile); held
    // advices are slow to acknowledge, and a long lease would delay redelivery after a crash.
    maxAckDeadline: Duration.from({ seconds: 60 }),
  });
  const accounts = createSerialPerKey();
  const primaryCalls = createConcurrencyLimit(maxInFlight);
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
  // Per account with held advices: when its lowest one is offered to primary again, and how often it has been.
  const rechecks = new Map<string, { timer?: NodeJS.Timeout; attempt: number }>();
  const stopping = new AbortController();
  let stopped = false;
  // Aborted (and replaced) when primary answers after a failure: every advice backing off tries at
  // once, so the backlog moves as soon as primary can take it, not after each one's own delay.
  let primaryBack = new AbortController();
  let backingOff = 0;

  async function deadLetter(message: Message, reason: string): Promise<void> {
    const record: DeadLetteredAdvice = { messageId: message.id, receivedAt: new Date().toISOString(), reason, bodyBase64: message.data.toString('base64') };
    await deadLetters.publishMessage({ json: record });
    deps.logger.error({ messageId: message.id, reason }, 'poison advice sent to the dead-letter topic: an operator must look at it');
    deps.counters.outcomes.inc({ outcome: 'dead_lettered' });
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

  /**
   * Has primary apply one advice; returns the sequence primary expects next for the account, when
   * it said, and whether the advice was held for an earlier one.
   */
  async function applyOne({ message, advice }: Delivery): Promise<{ expected: number | undefined; held: boolean }> {
    const result = await primaryCalls.run(() => deps.primary.apply(advice));
    deps.counters.outcomes.inc({ outcome: result.kind });
    if (backingOff > 0) {
      primaryBack.abort();
      primaryBack = new AbortController();
    }
    switch (result.kind) {
      case 'applied':
      case 'duplicate':
        // A duplicate is acknowledged like an applied advice: primary has it, nothing to redeliver.
        message.ack();
        failures.forget(advice.adviceId);
        return { expected: advice.sequence + 1, held: false };
      case 'quarantined':
        // Primary keeps it, with its reason, for an operator to re-drive; the account's turn moved past it.
        deps.logger.error(
          { messageId: message.id, adviceId: advice.adviceId, accountId: advice.accountId, sequence: advice.sequence, reason: result.reason },
          'advice quarantined by primary: an operator must fix the cause and re-drive it',
        );
        message.ack();
        failures.forget(advice.adviceId);
        return { expected: advice.sequence + 1, held: false };
      case 'rejected':
        await deadLetter(message, `primary refused it: ${result.reason}`);
        message.ack();
        failures.forget(advice.adviceId);
        return { expected: undefined, held: false };
      case 'out_of_order':
        if (stopped) {
          message.nack();
          return { expected: result.expectedSequence, held: false };
        }
        deps.logger.debug(
          { accountId: advice.accountId, sequence: advice.sequence, expected: result.expectedSequence },
          'advice arrived before an earlier one; held for it',
        );
        waiting.hold(advice.accountId, advice.sequence, { message, advice });
        return { expected: result.expectedSequence, held: true };
    }
  }

  /**
   * `applyOne`, tried again with backoff while primary cannot take it (down, timing out, 5xx, its
   * breaker open), keeping the account's turn: its later advices wait behind it, as they must.
   * Given back to Pub/Sub after `retry.maxHoldMs`, or on stop.
   */
  async function applyWithRetry(delivery: Delivery): Promise<{ expected: number | undefined; held: boolean } | typeof GIVEN_BACK> {
    const { message, advice } = delivery;
    const heldSince = Date.now();
    for (let tries = 1; ; tries++) {
      try {
        return await applyOne(delivery);
      } catch (error) {
        deps.counters.outcomes.inc({ outcome: 'retry' });
        const delayMs = backoffDelayMs(failures.bump(advice.adviceId) - 1, retry);
        if (stopped || Date.now() - heldSince + delayMs > retry.maxHoldMs) {
          deps.counters.outcomes.inc({ outcome: 'retry_nacked' });
          deps.logger.warn(
            { err: error, messageId: message.id, accountId: advice.accountId, sequence: advice.sequence, tries },
            'advice not applied yet; back to Pub/Sub for redelivery',
          );
          message.nack();
          return GIVEN_BACK;
        }
        // One line per advice while primary is away, not one per try.
        if (tries === 1)
          deps.logger.warn(
            { err: error, messageId: message.id, accountId: advice.accountId, sequence: advice.sequence, delayMs },
            'advice not applied yet; retrying with backoff',
          );
        backingOff += 1;
        await sleep(delayMs, AbortSignal.any([stopping.signal, primaryBack.signal]));
        backingOff -= 1;
        if (stopped) {
          message.nack();
          return GIVEN_BACK;
        }
      }
    }
  }

  /** Runs in the account's turn: this advice, then each held one of the account that has become next. */
  async function applyInTurn(first: Delivery): Promise<void> {
    const accountId = first.advice.accountId;
    let delivery: Delivery | undefined = first;
    let progressed = false;
    while (delivery) {
      if (stopped) return delivery.message.nack();
      const outcome = await applyWithRetry(delivery);
      if (outcome === GIVEN_BACK) break;
      progressed ||= !outcome.held;
      // Each later pass takes an advice out of the waiting room for good (at or below what primary
      // expects, and that only grows, so primary does not refuse it again): the loop ends.
      delivery = outcome.expected === undefined ? undefined : waiting.take(accountId, outcome.expected);
    }
    scheduleRecheck(accountId, progressed);
  }

  /**
   * While an account has held advices, its lowest one is offered to primary again on a backoff:
   * its predecessor may have been applied from stand-in's log by the re-drive loop. Progress (an
   * advice of the account applied) starts the backoff again; nothing held, nothing scheduled.
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
        void accounts.run(accountId, async () => {
          const lowest = waiting.lowest(accountId);
          if (lowest) await applyInTurn(lowest);
          else scheduleRecheck(accountId, false);
        });
      },
      backoffDelayMs(attempt, hold.recheck),
    );
    rechecks.set(accountId, state);
  }

  subscription.on('message', (message: Message) => {
    const parsed = parse(message);
    if (parsed.ok) {
      // Synchronously, so the account's advices join its queue in the order Pub/Sub delivered them.
      void accounts.run(parsed.advice.accountId, () => applyInTurn({ message, advice: parsed.advice }));
      return;
    }
    deadLetter(message, parsed.reason).then(
      () => message.ack(),
      async (error: unknown) => {
        deps.counters.outcomes.inc({ outcome: 'retry' });
        const delayMs = backoffDelayMs(failures.bump(message.id) - 1, retry);
        deps.logger.warn({ err: error, messageId: message.id, delayMs }, 'poison advice not dead-lettered yet; back to Pub/Sub after a backoff');
        await sleep(delayMs, stopping.signal);
        message.nack();
      },
    );
  });
  subscription.on('error', (error) => deps.logger.error({ err: error }, 'advice subscription error; the client reconnects'));

  return {
    /** Advices held for an earlier one of their account. */
    get held(): number {
      return waiting.held;
    },
    stop: async () => {
      stopped = true;
      stopping.abort();
      for (const state of rechecks.values()) if (state.timer) clearTimeout(state.timer);
      rechecks.clear();
      for (const { message } of waiting.takeAll()) message.nack();
      await subscription.close();
    },
  };
}
