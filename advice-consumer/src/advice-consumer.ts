import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { Advice, PUBSUB_TOPICS, safeParseContract, type DeadLetteredAdvice } from '@bank/shared-contracts';
import type { PrimaryClient } from './primary-client';
import { createSerialPerKey } from './serial-per-key';
import { createWaitingAdvices } from './waiting-advices';

// Pulls stand-in's advices and has primary apply each one. Acknowledged only after primary
// has applied it (or already had); an advice that cannot be valid goes to the dead-letter topic
// with its reason and is acknowledged, so it never blocks the account's later advices or anyone
// else's. Anything else (primary down, an earlier advice still missing) is nacked and retried.
//
// Primary applies an account's advices only in sequence, so they go to primary one at a time per
// account, in the order Pub/Sub delivered them (the account is the ordering key); different
// accounts go concurrently, as many as flow control lets in. One refused as out of order waits
// briefly in memory for its predecessor and goes to primary as soon as that one is applied.

export interface ConsumerCounters {
  readonly outcomes: Counter<'outcome'>;
}

export interface HoldOptions {
  /** Out-of-order advices held at once; default half of `maxInFlight`, so their predecessors can still be delivered. */
  readonly maxHeld?: number;
  /** How long one waits for its predecessor before it is nacked back to Pub/Sub; default 5 s. */
  readonly maxWaitMs?: number;
}

interface Delivery {
  readonly message: Message;
  readonly advice: Advice;
}

export function startAdviceConsumer(deps: { pubsub: PubSub; primary: PrimaryClient; logger: Logger; counters: ConsumerCounters; subscriptionName?: string; maxInFlight?: number; hold?: HoldOptions }) {
  const maxInFlight = deps.maxInFlight ?? 50;
  const deadLetters = deps.pubsub.topic(PUBSUB_TOPICS.adviceDeadLetter.topic);
  const subscription: Subscription = deps.pubsub.subscription(deps.subscriptionName ?? PUBSUB_TOPICS.advices.subscription, {
    flowControl: { maxMessages: maxInFlight, allowExcessMessages: false },
    // One streaming pull, not the client's default five: with five, the emulator filled flow control
    // with a few accounts at a time (about 4 of 20 in flight at once, instead of 15) and redelivered
    // advices already acknowledged (a 2,000-advice backlog over 20 accounts: ~650 redeliveries with
    // five, 100-160 with one). One stream carries far more than 50 advices in flight.
    streamingOptions: { maxStreams: 1 },
  });
  const accounts = createSerialPerKey();
  const waiting = createWaitingAdvices<Delivery>({
    maxHeld: deps.hold?.maxHeld ?? Math.max(1, Math.floor(maxInFlight / 2)),
    maxWaitMs: deps.hold?.maxWaitMs ?? 5_000,
    onGiveBack: ({ message, advice }, why) => {
      deps.counters.outcomes.inc({ outcome: 'out_of_order_nacked' });
      deps.logger.warn({ accountId: advice.accountId, sequence: advice.sequence, why }, 'advice still waiting for an earlier one; back to Pub/Sub for redelivery');
      message.nack();
    },
  });
  let stopped = false;

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

  /** Has primary apply one advice; returns the sequence primary expects next for the account, when it said. */
  async function applyOne({ message, advice }: Delivery): Promise<number | undefined> {
    const result = await deps.primary.apply(advice);
    deps.counters.outcomes.inc({ outcome: result.kind });
    switch (result.kind) {
      case 'applied':
      case 'duplicate':
        message.ack();
        return advice.sequence + 1;
      case 'rejected':
        await deadLetter(message, `primary refused it: ${result.reason}`);
        message.ack();
        return undefined;
      case 'out_of_order':
        deps.logger.debug({ accountId: advice.accountId, sequence: advice.sequence, expected: result.expectedSequence }, 'advice arrived before an earlier one; held for it');
        if (stopped) message.nack();
        else waiting.hold(advice.accountId, advice.sequence, { message, advice });
        return result.expectedSequence;
    }
  }

  /** Runs in the account's turn: this advice, then each held one of the account that has become next. */
  async function applyInTurn(first: Delivery): Promise<void> {
    let delivery: Delivery | undefined = first;
    while (delivery) {
      if (stopped) return delivery.message.nack();
      let expected: number | undefined;
      try {
        expected = await applyOne(delivery);
      } catch (error) {
        deps.counters.outcomes.inc({ outcome: 'retry' });
        deps.logger.warn({ err: error, messageId: delivery.message.id }, 'advice not applied yet; it will be redelivered');
        delivery.message.nack();
        return;
      }
      // Each later pass takes an advice out of the waiting room for good (at or below what primary
      // expects, and that only grows, so primary does not refuse it again): the loop ends.
      delivery = expected === undefined ? undefined : waiting.take(first.advice.accountId, expected);
    }
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
      (error: unknown) => {
        deps.counters.outcomes.inc({ outcome: 'retry' });
        deps.logger.warn({ err: error, messageId: message.id }, 'poison advice not dead-lettered yet; it will be redelivered');
        message.nack();
      },
    );
  });
  subscription.on('error', (error) => deps.logger.error({ err: error }, 'advice subscription error; the client reconnects'));

  return {
    stop: async () => {
      stopped = true;
      for (const { message } of waiting.takeAll()) message.nack();
      await subscription.close();
    },
  };
}
