import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { createInfra, pubsubClient } from '@bank/infra';
import { DeadLetteredAdvice, PUBSUB_TOPICS } from '@bank/shared-contracts';
import { startAdviceConsumer } from '../src/advice-consumer';
import { createPrimaryClient } from '../src/primary-client';
import { INTERNAL_TOKEN, startPrimaryProcess } from './primary-process';

const infra = createInfra();
let pubsub: PubSub;
let primary: Awaited<ReturnType<typeof startPrimaryProcess>>;
let subscriptionName: string;
let deadLetterSubscription: Subscription;
const deadLetters: DeadLetteredAdvice[] = [];

async function api(method: string, path: string, body?: unknown, token?: string) {
  const response = await fetch(`${primary.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function consumer() {
  const registry = new Registry();
  return startAdviceConsumer({
    pubsub,
    primary: createPrimaryClient({ url: primary.url, token: INTERNAL_TOKEN }),
    logger: pino({ level: 'silent' }),
    counters: { outcomes: new Counter({ name: 'outcomes', help: 'test', labelNames: ['outcome'], registers: [registry] }) },
    subscriptionName,
  });
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
  await pubsub.subscription(subscriptionName).delete().catch(() => undefined);
  await deadLetterSubscription.delete().catch(() => undefined);
  await pubsub.close();
  await primary.stop();
});

async function customer(fundedMinor: number) {
  const account = await api('POST', '/accounts', { holderName: 'Advised Customer' });
  await api('POST', '/scheme/faster-payments/inbound', {
    fpsId: `FPS-${randomUUID()}`, amountMinor: fundedMinor, currency: 'GBP',
    debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
    creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Advised Customer' },
    reference: 'PAY', sentAt: new Date().toISOString(),
  });
  const card = await api('POST', `/internal/accounts/${account.id}/cards`, {}, INTERNAL_TOKEN);
  return { account, card };
}

function approvals(accountId: string, cardId: string, count: number, amountMinor: number) {
  return Array.from({ length: count }, (_, index) => ({
    adviceId: randomUUID(), type: 'card_payment.approved', accountId, sequence: index + 1, correlationId: randomUUID(), createdAt: new Date().toISOString(), schemaVersion: 1,
    payload: { cardId, authorisation: { stan: String(index + 1).padStart(6, '0'), rrn: randomBytes(6).toString('hex').toUpperCase(), terminalId: 'SI000001', mti: '0100', processingCode: '000000', amountMinor, currency: 'GBP', merchant: { name: 'SHOP', categoryCode: '5411', city: 'Hull', country: 'GB' }, authorisationCode: 'SI0001', transmittedAt: new Date().toISOString() } },
  }));
}

const publish = (advice: { accountId: string } & Record<string, unknown>) => pubsub.topic(PUBSUB_TOPICS.advices.topic, { messageOrdering: true }).publishMessage({ data: Buffer.from(JSON.stringify(advice)), orderingKey: advice.accountId });

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
