import { pubsubClient, type InfraConfig } from '@bank/infra';
import { PUBSUB_TOPICS } from '@bank/shared-contracts';
import { auditSubscription } from '../../stack/run-pubsub';
import type { PanFinder } from './pan-finder';

// Every message the run put on the advice topics (stand-in's advices, and the dead letters primary's
// consumer wrote), read from the audit subscriptions the run's Pub/Sub project keeps beside the real
// ones: where a PAN appears. The scan ends once a topic has been quiet for IDLE_MS, or at the timeout.

const IDLE_MS = 2_000;

export interface AdviceTopicScan {
  readonly messages: number;
  readonly complete: boolean;
  readonly hits: { topic: string; messageId: string; pans: string[] }[];
}

export async function panInAdviceTopics(options: { config: InfraConfig; projectId: string; finder: PanFinder; timeoutMs: number }): Promise<AdviceTopicScan> {
  const client = pubsubClient({ ...options.config, pubsubProjectId: options.projectId });
  const hits: AdviceTopicScan['hits'] = [];
  let messages = 0;
  let complete = true;
  try {
    for (const spec of Object.values(PUBSUB_TOPICS)) {
      const subscription = client.subscription(auditSubscription(spec.topic), { flowControl: { maxMessages: 500 } });
      let lastMessageAt = Date.now();
      subscription.on('message', (message) => {
        messages++;
        lastMessageAt = Date.now();
        const pans = options.finder.find(`${message.orderingKey ?? ''} ${JSON.stringify(message.attributes)} ${message.data.toString('utf8')}`);
        if (pans.length > 0) hits.push({ topic: spec.topic, messageId: message.id, pans });
        message.ack();
      });
      subscription.on('error', () => (complete = false));
      const began = Date.now();
      while (Date.now() - lastMessageAt < IDLE_MS && Date.now() - began < options.timeoutMs) await new Promise((resolve) => setTimeout(resolve, 200));
      if (Date.now() - began >= options.timeoutMs) complete = false;
      await subscription.close();
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return { messages, complete, hits };
}
