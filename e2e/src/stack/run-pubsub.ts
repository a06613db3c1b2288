import { randomBytes } from 'node:crypto';
import { pubsubClient, type InfraConfig } from '@bank/infra';
import { PUBSUB_TOPICS, pubsubSubscriptionSettings } from '@bank/shared-contracts';

// A Pub/Sub emulator project of the run's own, with the advice topics and subscriptions infra
// provisions in the shared one. Every stack's advice consumer would otherwise pull from the one
// shared subscription, take other stacks' advices (and dead-letter them: their accounts are
// unknown to its primary) and leave its own to whichever consumer got them.
// The emulator keeps nothing across a restart: `provision()` again after one.

const DROP_TIMEOUT_MS = 5_000;

/**
 * A second subscription on each advice topic, which nobody consumes: every message the run
 * published, kept for invariant 7 to read what crossed the boundary (chaos/invariants/pan-in-advice-topics.ts).
 */
export const auditSubscription = (topic: string) => `${topic}.audit`;

export interface RunPubSub {
  readonly projectId: string;
  /** Creates the topics and subscriptions that are missing. Idempotent. */
  provision(): Promise<void>;
  drop(): Promise<void>;
}

export async function createRunPubSub(config: InfraConfig): Promise<RunPubSub> {
  const projectId = `run-${randomBytes(5).toString('hex')}`;
  const inProject = { ...config, pubsubProjectId: projectId };
  const run: RunPubSub = {
    projectId,
    async provision() {
      const client = pubsubClient(inProject);
      try {
        for (const spec of Object.values(PUBSUB_TOPICS)) {
          const topic = client.topic(spec.topic);
          if (!(await topic.exists())[0]) await topic.create();
          const subscription = topic.subscription(spec.subscription);
          if (!(await subscription.exists())[0]) await topic.createSubscription(spec.subscription, pubsubSubscriptionSettings(spec));
          const audit = topic.subscription(auditSubscription(spec.topic));
          if (!(await audit.exists())[0]) await topic.createSubscription(auditSubscription(spec.topic), { ackDeadlineSeconds: 60 });
        }
      } finally {
        await client.close();
      }
    },
    async drop() {
      const client = pubsubClient(inProject);
      const removal = (async () => {
        for (const spec of Object.values(PUBSUB_TOPICS)) {
          await client
            .subscription(spec.subscription)
            .delete()
            .catch(() => undefined);
          await client
            .subscription(auditSubscription(spec.topic))
            .delete()
            .catch(() => undefined);
          await client
            .topic(spec.topic)
            .delete()
            .catch(() => undefined);
        }
      })();
      // An emulator a scenario left down must not hold up the clean-up: it forgets everything anyway.
      await Promise.race([removal, new Promise((resolve) => setTimeout(resolve, DROP_TIMEOUT_MS).unref())]);
      await client.close().catch(() => undefined);
    },
  };
  await run.provision();
  return run;
}
