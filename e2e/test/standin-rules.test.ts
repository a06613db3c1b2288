import type { Advice, ConfigurationDocument, StandinRules } from '@bank/shared-contracts';
import { CREDENTIALS } from '../src/stack/credentials';
import { OPERATOR } from '../src/stack/services';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { standinCli } from './support/standin-cli';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 21, stand-in's rules: an engineer tightens them mid-incident with the CLI, without a
// deploy; both platforms hold the same rules at the same version; the very next payments stand-in
// decides follow them, and every decline names its rule, in the answer and in the incident report.

let stack: Stack;
let customer: Customer;
beforeAll(async () => {
  stack = await startStack();
  customer = await openCustomer(stack, 100_000, 'Rules Customer');
  await eventually(
    `stand-in to see ${customer.id}'s card and money`,
    async () =>
      (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
        ?.spendableMinor,
    (spendable) => spendable === 100_000,
    120_000,
  );
}, 240_000);
afterAll(() => stack?.stop());

const standin = (...args: string[]) => standinCli({ primary: stack.primary.url, standin: stack.standin.url }, ...args);
type Answer = { responseCode: string; decidedBy: string; reason?: string };
const send = (message: ReturnType<typeof cardPayment>) => http<Answer>('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: message });
const authorise = (amountMinor: number, overrides: Record<string, unknown> = {}) => send(cardPayment(customer, amountMinor, overrides));
const chip = { posEntryMode: 'chip' };
const ecommerce = { posEntryMode: 'ecommerce' };
const gambling = { posEntryMode: 'chip', merchant: { name: 'LUCKY BETS', categoryCode: '7995', city: 'London', country: 'GB' } };

test("when an engineer tightens stand-in's rules with the CLI, then both platforms hold them and stand-in's next decisions follow them, each decline naming its rule", async () => {
  const routed = await standin(
    'route-payments',
    '--users',
    customer.customerId,
    '--scheme',
    'card',
    '--direction',
    'outbound',
    '--reason',
    'INC-2101 card processor',
  );
  expect(routed.code).toBe(0);
  // Under the default rules (£500 per payment) stand-in approves £150 online.
  expect((await authorise(15_000, ecommerce)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });

  const online = await standin('rules', 'set', '--channel', 'ecommerce', '--max-per-payment', '10000', '--reason', 'INC-2101 card testing online');
  expect(online.stderr).toBe('');
  expect(online.code).toBe(0);
  expect(online.stdout).toMatch(/rule: e-commerce +no rule -> £100\.00 per payment/);
  const betting = await standin('rules', 'set', '--mcc', '7995', '--block', '--description', 'gambling', '--reason', 'INC-2101 no gambling in stand-in');
  expect(betting.code).toBe(0);

  // Both platforms hold the same document, rules and all.
  const onPrimary = (await http<ConfigurationDocument>('GET', `${stack.primary.url}/configuration`, { token: OPERATOR.token })).body;
  const onStandin = (await http<ConfigurationDocument>('GET', `${stack.standin.url}/configuration`, { token: OPERATOR.token })).body;
  expect(onPrimary.version).toBe(onStandin.version);
  expect(onPrimary.standinRules).toEqual(onStandin.standinRules);
  expect(onStandin.standinRules).toMatchObject<Partial<StandinRules>>({
    channels: { ecommerce: { blocked: false, maxPerPaymentMinor: 10_000 } },
    merchantCategories: { '7995': { blocked: true, description: 'gambling' } },
  });

  // The next payments: no deploy, no restart.
  const overTheOnlineLimit = cardPayment(customer, 15_000, ecommerce);
  expect((await send(overTheOnlineLimit)).body).toMatchObject({
    responseCode: '61',
    decidedBy: 'standin',
    reason: 'stand-in risk limit: e-commerce per payment',
  });
  expect((await authorise(15_000, chip)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
  expect((await authorise(1_000, gambling)).body).toMatchObject({
    responseCode: '57',
    decidedBy: 'standin',
    reason: 'stand-in rule: no payments at MCC 7995 (gambling)',
  });

  const shown = await standin('rules', 'show');
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/e-commerce +£100\.00 per payment/);
  expect(shown.stdout).toMatch(/7995 gambling +BLOCKED: nothing approved/);
  expect((await standin('audit')).stdout).toMatch(/INC-2101 no gambling in stand-in/);

  // Mistakes are refused before anything is sent, and say what was expected.
  const wrongChannel = await standin('rules', 'set', '--channel', 'teleport', '--max-per-payment', '100', '--reason', 'typo');
  expect(wrongChannel.code).toBe(2);
  expect(wrongChannel.stderr).toMatch(/expected chip, contactless, magstripe, ecommerce, manual or atm/);
  const pounds = await standin('rules', 'set', '--max-per-payment', '12.50', '--reason', 'typo');
  expect(pounds.code).toBe(2);
  expect(pounds.stderr).toMatch(/whole number of pence/);

  // The incident record counts the declines by rule.
  const report = await eventually(
    'the incident report to count the declines by rule',
    async () => {
      const listed = JSON.parse((await standin('incident', 'list', '--json')).stdout) as { incidents: { incidentId: string }[] };
      const newest = listed.incidents[0];
      if (!newest) return undefined;
      return JSON.parse((await standin('incident', 'report', newest.incidentId, '--json')).stdout) as {
        declinesByRule: { rule?: string; reason: string; count: number }[];
      };
    },
    (current) => (current?.declinesByRule.length ?? 0) >= 2,
    60_000,
  );
  expect(report!.declinesByRule).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ rule: 'channel:ecommerce:per-payment', reason: 'stand-in risk limit: e-commerce per payment', count: 1 }),
      expect.objectContaining({ rule: 'mcc:7995:blocked', count: 1 }),
    ]),
  );

  // The decline is advised to primary like an approval, naming its rule, and primary applies it.
  const advice = await eventually(
    "the e-commerce decline's advice to be applied by primary",
    async () => {
      const log = await http<{ advices: Advice[] }>('GET', `${stack.standin.url}/internal/advices?accounts=${customer.id}`, {
        token: CREDENTIALS['advice-consumer'],
      });
      const found = log.body.advices.find(
        (candidate) => candidate.type === 'card_payment.declined' && candidate.payload.authorisation.stan === overTheOnlineLimit.stan,
      );
      if (!found) return undefined;
      const applied = await http<{ applied: { adviceId: string }[] }>('GET', `${stack.primary.url}/internal/advices/applied?accounts=${customer.id}`, {
        token: CREDENTIALS['advice-consumer'],
      });
      return applied.body.applied.some((done) => done.adviceId === found.adviceId) ? found : undefined;
    },
    (found) => found !== undefined,
    60_000,
  );
  expect(advice!.payload).toMatchObject({
    cardId: customer.card.id,
    authorisation: { responseCode: '61', reason: 'stand-in risk limit: e-commerce per payment', rule: 'channel:ecommerce:per-payment' },
  });

  // Loosening (here a reset lifting both rules) is confirmed like a change that touches everyone.
  const unconfirmed = await standin('rules', 'reset', '--reason', 'INC-2101 over');
  expect(unconfirmed.code).toBe(3);
  expect(unconfirmed.stderr).toMatch(/rule: e-commerce: £100\.00 per payment -> no rule/);
  expect((await standin('rules', 'reset', '--reason', 'INC-2101 over', '--yes')).code).toBe(0);
  expect((await authorise(15_000, ecommerce)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });

  // Blocking a card shows the engineer which card the id is; an id stand-in does not know (a typo
  // would block nothing) is refused unless confirmed.
  const stolen = await standin('rules', 'block-card', customer.card.id, '--reason', 'INC-2101 card reported stolen');
  expect(stolen.code).toBe(0);
  expect(stolen.stderr).toContain(`ending ${customer.card.pan.slice(-4)}, expiry ${customer.card.expiry}, active as stand-in sees it`);
  expect((await authorise(1_000, chip)).body).toMatchObject({ responseCode: '62', reason: 'stand-in rule: card blocked in stand-in' });
  const typo = await standin('rules', 'block-card', '0f0e3c52-8a9b-4b51-9d6f-2f4c1a7e9b10', '--reason', 'INC-2101 typo');
  expect(typo.code).toBe(3);
  expect(typo.stderr).toMatch(/stand-in does not know card 0f0e3c52-8a9b-4b51-9d6f-2f4c1a7e9b10: the block stops nothing/);
  expect((await standin('rules', 'show')).stdout).not.toContain('0f0e3c52');
  expect((await standin('rules', 'unblock-card', customer.card.id, '--reason', 'INC-2101 card found', '--yes')).code).toBe(0);
  expect((await authorise(1_000, chip)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });

  // Back on primary, the network repeating the declined message gets stand-in's answer again,
  // from primary's own record of it: not a fresh decision that could now approve it.
  expect((await standin('disable', 'payments', '--reason', 'INC-2101 over', '--yes')).code).toBe(0);
  await eventually(
    'payments to be decided by primary again',
    async () => (await authorise(100, chip)).body.decidedBy,
    (decidedBy) => decidedBy === 'primary',
    30_000,
  );
  expect((await send(overTheOnlineLimit)).body).toMatchObject({
    responseCode: '61',
    decidedBy: 'standin',
    reason: 'stand-in risk limit: e-commerce per payment',
  });
}, 300_000);
