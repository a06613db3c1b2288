import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { Advice, PUBSUB_TOPICS, safeParseContract, type DeadLetteredAdvice } from '@bank/shared-contracts';
import type { PrimaryClient } from './primary-client';

// Pulls stand-in's advices and has primary apply each one. Acknowledged only after primary
// has applied it (or already had); an advice that cannot be valid goes to the dead-letter topic
// with its reason and is acknowledged, so it never blocks the account's later advices or anyone
// else's. Anything else (primary down, an earlier advice still missing) is nacked and retried.

export interface ConsumerCounters {
  readonly outcomes: Counter<'outcome'>;
}

export function startAdviceConsumer(deps: { pubsub: PubSub; primary: PrimaryClient; logger: Logger; counters: ConsumerCounters; subscriptionName?: string; maxInFlight?: number }) {
  const deadLetters = deps.pubsub.topic(PUBSUB_TOPICS.adviceDeadLetter.topic);
  const subscription: Subscription = deps.pubsub.subscription(deps.subscriptionName ?? PUBSUB_TOPICS.advices.subscription, {
    flowControl: { maxMessages: deps.maxInFlight ?? 50, allowExcessMessages: false },
  });

  async function deadLetter(message: Message, reason: string): Promise<void> {
    const record: DeadLetteredAdvice = { messageId: message.id, receivedAt: new Date().toISOString(), reason, bodyBase64: message.data.toString('base64') };
    await deadLetters.publishMessage({ json: record });
    deps.logger.error({ messageId: message.id, reason }, 'poison advice sent to the dead-letter topic: an operator must look at it');
    deps.counters.outcomes.inc({ outcome: 'dead_lettered' });
  }

  async function handle(message: Message): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(message.data.toString('utf8'));
    } catch {
      await deadLetter(message, 'not JSON');
      return message.ack();
    }
    const parsed = safeParseContract('advice', Advice, raw);
    if (!parsed.ok) {
      await deadLetter(message, parsed.error.message);
      return message.ack();
    }
    const result = await deps.primary.apply(parsed.value);
    deps.counters.outcomes.inc({ outcome: result.kind });
    if (result.kind === 'applied' || result.kind === 'duplicate') return message.ack();
    if (result.kind === 'rejected') {
      await deadLetter(message, `primary refused it: ${result.reason}`);
      return message.ack();
    }
    deps.logger.warn({ accountId: parsed.value.accountId, sequence: parsed.value.sequence, expected: result.expectedSequence }, 'advice arrived before an earlier one; retrying later');
    message.nack();
  }

  subscription.on('message', (message: Message) => {
    handle(message).catch((error: unknown) => {
      deps.counters.outcomes.inc({ outcome: 'retry' });
      deps.logger.warn({ err: error, messageId: message.id }, 'advice not applied yet; it will be redelivered');
      message.nack();
    });
  });
  subscription.on('error', (error) => deps.logger.error({ err: error }, 'advice subscription error; the client reconnects'));

  return { stop: () => subscription.close() };
}
