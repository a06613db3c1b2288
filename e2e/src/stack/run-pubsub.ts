import { randomBytes } from 'node:crypto';
import { pubsubClient, type InfraConfig } from '@bank/infra';
import { PUBSUB_TOPICS, pubsubSubscriptionSettings } from '@bank/shared-contracts';

// A Pub/Sub emulator project of the run's own, with the advice topics and subscriptions infra
// provisions in the shared one. Every stack's advice consumer would otherwise pull from the one
// shared subscription, take other stacks' advices (and dead-letter them: their accounts are
// unknown to its primary) and leave its own to whichever consumer got them.
// The emulator keeps nothing across a restart: `provision()` again after one.

const DROP_TIMEOUT_MS = 5_000;

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
        }
      } finally {
        await client.close();
      }
    },
    async drop() {
      const client = pubsubClient(inProject);
      const removal = (async () => {
        for (const spec of Object.values(PUBSUB_TOPICS)) {
          await client.subscription(spec.subscription).delete().catch(() => undefined);
          await client.topic(spec.topic).delete().catch(() => undefined);
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
