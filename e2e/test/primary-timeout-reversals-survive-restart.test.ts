import type { ConfigurationDocument } from '@bank/shared-contracts';
import { OPERATOR } from '../src/stack/services';
import { queryDatabase, standinAuthorisation as standinRecord, type Key } from './support/card-records';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 15: primary proxies a routed customer's authorisation to stand-in; stand-in stalls
// (SIGSTOP) past primary's proxy timeout, so primary answers the network 91 and owes stand-in a
// timeout reversal. Primary is SIGKILLed the moment that 91 has left, before its first attempt.
// Stand-in, resumed, still approves the payment. The reversal was written to primary's database
// before the 91, so the restarted primary delivers it and the money comes back on both platforms.
// (Kept in memory, as before, it died with the process and the approval stood.) Real processes.

const FUNDED_MINOR = 10_000;
const PAYMENT_MINOR = 2_500;
/** Longer than primary's proxy timeout (1 s), shorter than its first reversal attempt (3 s after the 91). */
const STALL_MS = 2_000;

let stack: Stack;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  stack = await startStack();
}, 240_000);
afterAll(async () => {
  stack?.standin.resume();
  await stack?.stop();
}, 60_000);

const standinAuthorisation = (key: Key) => standinRecord(stack, key);
const owedByPrimary = async (key: Key) =>
  (
    await queryDatabase<{ reason: string }>(
      stack.databases.primary,
      'select reason from timeout_reversals_owed where original_stan = $1 and original_rrn = $2 and original_terminal_id = $3',
      [key.stan, key.rrn, key.terminalId],
    )
  )[0];
const standinSpendable = async (customer: Customer) =>
  (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .spendableMinor;

async function routeCardPaymentsToStandin(customer: Customer): Promise<void> {
  const nobody = { mode: 'nobody' } as const;
  for (let attempt = 1; ; attempt++) {
    const current = (await http<ConfigurationDocument>('GET', `${stack.primary.url}/configuration`, { token: OPERATOR.token })).body;
    const changed = await http<{ error?: { code: string } }>('POST', `${stack.primary.url}/configuration/changes`, {
      token: OPERATOR.token,
      body: {
        basedOnVersion: current.version,
        reason: 'e2e: card payments of one customer on stand-in',
        components: {
          cardPaymentsInbound: nobody,
          cardPaymentsOutbound: { mode: 'users', userIds: [customer.customerId] },
          fasterPaymentsInbound: nobody,
          fasterPaymentsOutbound: nobody,
          app: nobody,
        },
      },
    });
    if (changed.status === 200) return;
    if (changed.body.error?.code !== 'CONFIGURATION_STALE' || attempt === 5) throw new Error(`configuration change refused: ${JSON.stringify(changed.body)}`);
  }
}

test('when primary is killed right after answering 91 for a payment proxied to a stalled stand-in, then the restarted primary delivers the timeout reversal', async () => {
  const customer = await openCustomer(stack, FUNDED_MINOR, 'Primary Restart Customer');
  await eventually(
    'stand-in to see the customer funded',
    () => standinSpendable(customer),
    (value) => value === FUNDED_MINOR,
    120_000,
  );
  await routeCardPaymentsToStandin(customer);

  const message = cardPayment(customer, PAYMENT_MINOR);
  stack.standin.pause();
  const stalledAt = performance.now();
  let answer: { status: number; body: { responseCode?: string; decidedBy?: string } };
  try {
    answer = await http('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: message });
    // SIGKILL as soon as the 91 has left: only what primary recorded before answering survives.
    await stack.primary.kill();
    await sleep(Math.max(0, STALL_MS - (performance.now() - stalledAt)));
  } finally {
    stack.standin.resume();
  }
  expect(answer).toMatchObject({ status: 200, body: { responseCode: '91', decidedBy: 'primary' } });
  expect(await owedByPrimary(message)).toEqual({ reason: 'timeout' });

  await eventually(
    'stand-in to approve the stalled authorisation once resumed',
    () => standinAuthorisation(message),
    (row) => row?.approved === true,
    20_000,
  );
  // Nobody reverses it while primary is down: the approval stands.
  await sleep(3_000);
  expect(await standinAuthorisation(message)).toMatchObject({ approved: true, remaining_minor: String(PAYMENT_MINOR) });

  await stack.primary.restart();
  await eventually(
    "the restarted primary's reversal to undo stand-in's approval, and its debt to be settled",
    async () => ({ standin: await standinAuthorisation(message), owed: await owedByPrimary(message) }),
    (seen) => Number(seen.standin?.remaining_minor) === 0 && seen.owed === undefined,
    60_000,
  );
  await eventually(
    "stand-in's spendable balance to be whole again",
    () => standinSpendable(customer),
    (value) => value === FUNDED_MINOR,
    60_000,
  );
}, 300_000);
