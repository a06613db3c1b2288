import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import type { Message, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import { createInfra, pubsubClient } from '@bank/infra';
import { DeadLetteredAdvice, PUBSUB_TOPICS } from '@bank/shared-contracts';
import { startAdviceConsumer, type HoldOptions, type ReopenOptions } from '../src/advice-consumer';
import { createPrimaryClient } from '../src/primary-client';
import { CREDENTIALS, credentialFor, startPrimaryProcess } from './primary-process';

const infra = createInfra();
let pubsub: PubSub;
let primary: Awaited<ReturnType<typeof startPrimaryProcess>>;
let subscriptionName: string;
let deadLetterSubscription: Subscription;
const deadLetters: DeadLetteredAdvice[] = [];

async function api(method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${primary.url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...((token ?? credentialFor(path)) ? { authorization: `Bearer ${token ?? credentialFor(path)}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function consumer(options: { subscription?: string; hold?: HoldOptions; reopen?: ReopenOptions } = {}) {
  const registry = new Registry();
  const outcomes = new Counter({ name: 'outcomes', help: 'test', labelNames: ['outcome'], registers: [registry] });
  const reopened = new Counter({ name: 'reopened', help: 'test', labelNames: ['why'], registers: [registry] });
  const running = startAdviceConsumer({
    pubsub,
    primary: createPrimaryClient({ url: primary.url, token: CREDENTIALS['advice-consumer'] }),
    logger: pino({ level: 'silent' }),
    counters: { outcomes, reopened },
    subscriptionName: options.subscription ?? subscriptionName,
    hold: options.hold,
    reopen: options.reopen,
  });
  return {
    stop: () => running.stop(),
    reopenIfSilent: (silentMs: number) => running.reopenIfSilent(silentMs),
    /** The consumer's `reopened` counter, by why. */
    reopened: async (): Promise<Record<string, number>> =>
      Object.fromEntries((await reopened.get()).values.map((value) => [String(value.labels.why), value.value])),
    /** The consumer's `outcomes` counter, by outcome. */
    outcomes: async (): Promise<Record<string, number>> =>
      Object.fromEntries((await outcomes.get()).values.map((value) => [String(value.labels.outcome), value.value])),
  };
}

/** A subscription of this test's own, so the consumer's counters count only this test's advices. */
const ownSubscriptions: string[] = [];
async function ownSubscription(): Promise<string> {
  const name = `${subscriptionName}-${randomBytes(3).toString('hex')}`;
  await pubsub.topic(PUBSUB_TOPICS.advices.topic).createSubscription(name, { enableMessageOrdering: true, ackDeadlineSeconds: 10 });
  ownSubscriptions.push(name);
  return name;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
}

beforeAll(async () => {
  await infra.up();
  primary = await startPrimaryProcess();
  pubsub = pubsubClient(infra.config);
  subscriptionName = `advice-consumer-test-${randomBytes(4).toString('hex')}`;
  await pubsub.topic(PUBSUB_TOPICS.advices.topic).createSubscription(subscriptionName, { enableMessageOrdering: true, ackDeadlineSeconds: 10 });
  [deadLetterSubscription] = await pubsub.topic(PUBSUB_TOPICS.adviceDeadLetter.topic).createSubscription(`${subscriptionName}-dlq`);
  deadLetterSubscription.on('message', (message: Message) => {
    deadLetters.push(DeadLetteredAdvice.parse(JSON.parse(message.data.toString())));
    message.ack();
  });
}, 120_000);

afterAll(async () => {
  await deadLetterSubscription.close();
  await pubsub
    .subscription(subscriptionName)
    .delete()
    .catch(() => undefined);
  for (const name of ownSubscriptions)
    await pubsub
      .subscription(name)
      .delete()
      .catch(() => undefined);
  await deadLetterSubscription.delete().catch(() => undefined);
  await pubsub.close();
  await primary.stop();
});

async function customer(fundedMinor: number) {
  const account = await api('POST', '/accounts', { holderName: 'Advised Customer' });
  await api('POST', '/scheme/faster-payments/inbound', {
    fpsId: `FPS-${randomUUID()}`,
    amountMinor: fundedMinor,
    currency: 'GBP',
    debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
    creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Advised Customer' },
    reference: 'PAY',
    sentAt: new Date().toISOString(),
  });
  const card = await api('POST', `/internal/accounts/${account.id}/cards`, {});
  return { account, card };
}

function approvals(accountId: string, cardId: string, count: number, amountMinor: number) {
  return Array.from({ length: count }, (_, index) => ({
    adviceId: randomUUID(),
    type: 'card_payment.approved',
    accountId,
    sequence: index + 1,
    correlationId: randomUUID(),
    createdAt: new Date().toISOString(),
    schemaVersion: 1,
    payload: {
      cardId,
      authorisation: {
        stan: String(index + 1).padStart(6, '0'),
        rrn: randomBytes(6).toString('hex').toUpperCase(),
        terminalId: 'SI000001',
        mti: '0100',
        processingCode: '000000',
        amountMinor,
        currency: 'GBP',
        merchant: { name: 'SHOP', categoryCode: '5411', city: 'Hull', country: 'GB' },
        authorisationCode: 'SI0001',
        transmittedAt: new Date().toISOString(),
      },
    },
  }));
}

// One publisher, as stand-in's relay has: it keeps each ordering key's messages in the order published.
let advicesTopic: Topic | undefined;
const publish = (advice: { accountId: string } & Record<string, unknown>) => {
  advicesTopic ??= pubsub.topic(PUBSUB_TOPICS.advices.topic, { messageOrdering: true });
  return advicesTopic.publishMessage({ data: Buffer.from(JSON.stringify(advice)), orderingKey: advice.accountId });
};

async function heldOf(accountId: string, token: string, expected: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let held = -1;
  while (Date.now() < deadline) {
    held = (await api('GET', `/accounts/${accountId}`, undefined, token)).balance.heldMinor;
    if (held === expected) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return held;
}

test('when advices are delivered, some twice, then each is applied exactly once', async () => {
  const running = consumer();
  try {
    const { account, card } = await customer(100_000);
    const advices = approvals(account.id, card.id, 6, 1_000);
    for (const advice of advices) await publish(advice);
    for (const advice of advices.slice(0, 3)) await publish(advice);
    expect(await heldOf(account.id, account.token, 6_000)).toBe(6_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await api('GET', `/accounts/${account.id}`, undefined, account.token)).balance.heldMinor).toBe(6_000);
  } finally {
    await running.stop();
  }
}, 60_000);

test('when the subscription is deleted and made again (as when the emulator restarts and its subscriptions are re-created), then the consumer opens it again and applies what arrives after', async () => {
  const subscription = await ownSubscription();
  const { account, card } = await customer(10_000);
  const [first, second] = approvals(account.id, card.id, 2, 300);
  const running = consumer({ subscription, reopen: { baseMs: 200, capMs: 1_000 } });
  try {
    await publish(first!);
    expect(await heldOf(account.id, account.token, 300)).toBe(300);
    // The stream ends with NOT_FOUND, which the client does not retry: it gives the subscription up.
    await pubsub.subscription(subscription).delete();
    await waitFor(async () => ((await running.reopened()).closed_by_client ?? 0) >= 1, 30_000);
    expect((await running.reopened()).closed_by_client).toBeGreaterThanOrEqual(1);
    await pubsub.topic(PUBSUB_TOPICS.advices.topic).createSubscription(subscription, { enableMessageOrdering: true, ackDeadlineSeconds: 10 });
    await publish(second!);
    expect(await heldOf(account.id, account.token, 600)).toBe(600);
  } finally {
    await running.stop();
  }
}, 60_000);

test('when the subscription has delivered nothing while advices were found missing, then it is opened again on a new client, and not while it delivers', async () => {
  const subscription = await ownSubscription();
  const { account, card } = await customer(10_000);
  const [first, second] = approvals(account.id, card.id, 2, 400);
  let clientsMade = 0;
  const running = consumer({
    subscription,
    reopen: {
      baseMs: 100,
      capMs: 100,
      newClient: () => {
        clientsMade += 1;
        return pubsubClient(infra.config);
      },
    },
  });
  try {
    await publish(first!);
    expect(await heldOf(account.id, account.token, 400)).toBe(400);
    // Just delivered: not silent.
    expect(running.reopenIfSilent(5_000)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.reopenIfSilent(200)).toBe(true);
    expect(await running.reopened()).toEqual({ silent: 1 });
    await waitFor(async () => clientsMade === 1, 10_000);
    await publish(second!);
    expect(await heldOf(account.id, account.token, 800)).toBe(800);
  } finally {
    // Closes the client it made too.
    await running.stop();
  }
}, 60_000);

test('when a poison advice arrives, then it goes to the dead-letter topic with its reason and others still apply', async () => {
  const running = consumer();
  try {
    const { account, card } = await customer(100_000);
    const [good] = approvals(account.id, card.id, 1, 2_500);
    await publish({ ...good!, adviceId: 'not-a-uuid', sequence: 1 });
    await publish(good!);
    expect(await heldOf(account.id, account.token, 2_500)).toBe(2_500);
    const deadline = Date.now() + 15_000;
    while (!deadLetters.some((d) => d.reason.includes('adviceId')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(deadLetters.find((d) => d.reason.includes('adviceId'))?.reason).toContain('adviceId: expected a UUID');
  } finally {
    await running.stop();
  }
}, 60_000);

test('when the consumer is stopped mid-stream and started again, then nothing is applied twice and nothing is missing', async () => {
  const { account, card } = await customer(1_000_000);
  const advices = approvals(account.id, card.id, 40, 100);
  let running = consumer();
  const publishing = (async () => {
    for (const advice of advices) await publish(advice);
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await running.stop();
  await publishing;
  running = consumer();
  try {
    expect(await heldOf(account.id, account.token, 4_000, 60_000)).toBe(4_000);
  } finally {
    await running.stop();
  }
}, 120_000);

test("when many advices of a few accounts arrive at once, then each account's are applied once each, in sequence, without primary refusing them as out of order", async () => {
  const subscription = await ownSubscription();
  const customers = await Promise.all([1, 2, 3, 4].map(() => customer(10_000)));
  const perAccount = customers.map(({ account, card }) => approvals(account.id, card.id, 50, 100));
  // Interleaved across accounts, published without waiting for each other (a backlog, as after an outage).
  const published = perAccount[0]!.flatMap((_, index) => perAccount.map((advices) => advices[index]!));
  await Promise.all(published.map(publish));
  const running = consumer({ subscription });
  const mine = new Set(customers.map(({ account }) => account.id as string));
  // Narrowed to these accounts: unnarrowed, the route answers one page of every account's (10,000),
  // which on a database earlier runs filled need not hold these.
  const appliedRows = async () =>
    (await api('GET', `/internal/advices/applied?accounts=${[...mine].join(',')}`, undefined)).applied as {
      adviceId: string;
      accountId: string;
      sequence: number;
    }[];
  try {
    await waitFor(async () => (await appliedRows()).length >= published.length, 90_000);
    const applied = await appliedRows();
    // Exactly once: every published advice applied, under its own sequence, nothing else.
    expect(applied.map((row) => row.adviceId).sort()).toEqual(published.map((advice) => advice.adviceId).sort());
    for (const advices of perAccount) {
      expect(applied.filter((row) => row.accountId === advices[0]!.accountId).map((row) => row.adviceId)).toEqual(advices.map((advice) => advice.adviceId));
    }
    for (const { account } of customers) expect((await api('GET', `/accounts/${account.id}`, undefined, account.token)).balance.heldMinor).toBe(50 * 100);
    const outcomes = await running.outcomes();
    expect(outcomes.applied).toBe(published.length);
    // Each account's advices go to primary one at a time, in the order Pub/Sub delivers them: primary
    // has no reason to refuse one as out of order (before, it refused several for every advice applied).
    expect(outcomes.out_of_order ?? 0).toBeLessThanOrEqual(2);
  } finally {
    await running.stop();
  }
}, 120_000);

test('when an advice arrives before the one it follows, then it waits in memory and is applied right after it, without going back to Pub/Sub', async () => {
  const subscription = await ownSubscription();
  const { account, card } = await customer(10_000);
  const [first, second] = approvals(account.id, card.id, 2, 700);
  await publish(second!);
  await publish(first!);
  const running = consumer({ subscription, hold: { maxHoldMs: 30_000 } });
  try {
    expect(await heldOf(account.id, account.token, 1_400)).toBe(1_400);
    const outcomes = await running.outcomes();
    // In one batch they go in sequence order (nothing refused); in two, the second waits for the first.
    expect(outcomes.applied).toBe(2);
    expect(outcomes.out_of_order ?? 0).toBeLessThanOrEqual(1);
    expect(outcomes.out_of_order_nacked).toBeUndefined();
  } finally {
    await running.stop();
  }
}, 60_000);

test('when the advice before it does not come for long, then the waiting advice goes back to Pub/Sub unacknowledged after its hold limit, and is applied once it does', async () => {
  const subscription = await ownSubscription();
  const { account, card } = await customer(10_000);
  const [first, second] = approvals(account.id, card.id, 2, 900);
  const running = consumer({ subscription, hold: { maxHoldMs: 300, recheck: { baseMs: 60_000, capMs: 60_000 } } });
  try {
    await publish(second!);
    await waitFor(async () => ((await running.outcomes()).out_of_order_nacked ?? 0) >= 1, 15_000);
    expect((await running.outcomes()).out_of_order_nacked).toBeGreaterThanOrEqual(1);
    expect((await api('GET', `/accounts/${account.id}`, undefined, account.token)).balance.heldMinor).toBe(0);
    await publish(first!);
    expect(await heldOf(account.id, account.token, 1_800)).toBe(1_800);
    expect((await running.outcomes()).applied).toBe(2);
  } finally {
    await running.stop();
  }
}, 60_000);

test('when the advice before it reaches primary another way (the re-drive loop), then the waiting advice follows within seconds, without going back to Pub/Sub', async () => {
  const subscription = await ownSubscription();
  const { account, card } = await customer(10_000);
  const [first, second] = approvals(account.id, card.id, 2, 400);
  const running = consumer({ subscription });
  try {
    await publish(second!);
    await waitFor(async () => ((await running.outcomes()).out_of_order ?? 0) >= 1, 15_000);
    // As the re-drive loop does: straight from stand-in's log to primary, not through Pub/Sub.
    expect(await createPrimaryClient({ url: primary.url, token: CREDENTIALS['advice-consumer'] }).apply(first as never)).toEqual({ kind: 'applied' });
    const redriven = Date.now();
    expect(await heldOf(account.id, account.token, 800, 15_000)).toBe(800);
    expect(Date.now() - redriven).toBeLessThan(5_000);
    const outcomes = await running.outcomes();
    expect(outcomes.applied).toBe(1);
    expect(outcomes.out_of_order_nacked).toBeUndefined();
  } finally {
    await running.stop();
  }
}, 60_000);
