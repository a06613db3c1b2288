import { SHADOW_ROUTES, ShadowCardAuthorisation, type CardAuthorisationRequest, type ShadowVerdict } from '@bank/shared-contracts';
import { authorisation } from './harness';
import { CREDENTIALS, startRoutingPrimary, type Customer, type RoutingPrimary } from './routing-harness';

// Shadow decisioning, primary's side, over HTTP: copies of what primary decided reach a fake
// stand-in after the network has its answer, and nothing about that answer changes. One send at a
// time, so copies arrive in the order they were offered: a last message's copy arriving proves
// no earlier one is still on its way.

const QUEUE_SIZE = 3;
const CONCURRENCY = 1;
/** Luhn-valid, in primary's range, never issued (issued PANs are random): a card primary does not know. */
const UNKNOWN_CARD = { pan: '4598760000000019', expiry: '2911' };

let primary: RoutingPrimary;
/** Everything primary logs, down to debug: no card number may appear in it. */
const logs: string[] = [];
const pans: string[] = [UNKNOWN_CARD.pan];
beforeAll(async () => {
  primary = await startRoutingPrimary({ shadow: { queueSize: QUEUE_SIZE, concurrency: CONCURRENCY, timeoutMs: 500, resetTimeoutMs: 60_000 }, logs });
}, 60_000);
afterAll(() => primary?.close());
beforeEach(() => {
  primary.standin.received.length = 0;
  primary.standin.state.silent = false;
  // Stand-in agrees, except on refunds (so disagreements are counted).
  primary.standin.state.reply = (seen) => {
    if (seen.url !== SHADOW_ROUTES.cardAuthorisations) return { status: 200, body: { from: 'standin' } };
    const shadowed = seen.body as ShadowCardAuthorisation;
    const refund = shadowed.request.processingCode.startsWith('20');
    const verdict: ShadowVerdict = refund
      ? { responseCode: '05', reason: 'fake stand-in declines refunds', agrees: false, disagreement: 'unexplained' }
      : { responseCode: shadowed.primaryAnswer.responseCode, reason: 'as primary', agrees: true };
    return { status: 200, body: verdict };
  };
});

const shadows = () => primary.standin.received.filter((seen) => seen.url === SHADOW_ROUTES.cardAuthorisations);

async function shadowOf(request: { rrn: string }, withinMs = 5_000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const found = shadows().find((seen) => (seen.body as ShadowCardAuthorisation).request.rrn === request.rrn);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no shadow copy of ${request.rrn} reached stand-in`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function counted(outcome: string): Promise<number> {
  const text = (await primary.call('GET', '/metrics')).text;
  return Number(new RegExp(`primary_shadow_messages_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
}

const lastSequence = async (accountId: string) =>
  (await primary.db.query<{ last_sequence: number }>('select last_sequence from event_sequences where account_id = $1', [accountId])).rows[0]?.last_sequence;

/** The same kinds of message, against a fresh customer: approvals, a decline, a refund, cash, a card primary does not know. */
function script(customer: Customer): CardAuthorisationRequest[] {
  pans.push(customer.card.pan);
  return [
    authorisation(customer.card, 1_000),
    authorisation(customer.card, 50_000),
    authorisation(customer.card, 2_000, {
      mti: '0200',
      processingCode: '010000',
      merchant: { name: 'HIGH STREET ATM', categoryCode: '6011', city: 'London', country: 'GB' },
    }),
    authorisation(customer.card, 500, { mti: '0200', processingCode: '200000' }),
    authorisation(UNKNOWN_CARD, 700),
    authorisation(customer.card, 3_000),
  ];
}

/** What the network heard, without what differs between two runs of the same script (message keys, authorisation codes). */
const comparable = (answer: Record<string, unknown>) => {
  const rest = { ...answer };
  for (const field of ['stan', 'rrn', 'terminalId', 'authorisationCode']) delete rest[field];
  return { ...rest, authorised: answer.authorisationCode !== undefined };
};

describe('shadow decisioning in primary', () => {
  test("when shadow is at 100 %, then every authorisation primary decides reaches stand-in with primary's exact answer, the card's account and the sequence it decided on, and the network hears what it hears at 0 %", async () => {
    const run = async (percent: number) => {
      const customer = await primary.customer(10_000);
      await primary.route({}, { shadow: percent });
      const answers = [];
      for (const request of script(customer)) {
        const knownWhenDeciding = await lastSequence(customer.id);
        const answer = await primary.call('POST', '/scheme/card/authorisations', { body: request });
        expect(answer.status).toBe(200);
        answers.push(answer.body as Record<string, unknown>);
        if (percent === 0) continue;
        const seen = await shadowOf(request);
        expect(seen.headers.authorization).toBe(`Bearer ${CREDENTIALS.primary}`);
        const copy = ShadowCardAuthorisation.parse(seen.body);
        expect(copy.request).toEqual(request);
        expect(copy.primaryAnswer).toEqual(answer.body);
        expect(copy.primaryAnsweredAt).toBe(primary.clock.now().toISOString());
        if (request.pan === UNKNOWN_CARD.pan) {
          expect(copy).not.toHaveProperty('accountId');
          expect(copy).not.toHaveProperty('accountSequence');
        } else {
          expect(copy.accountId).toBe(customer.id);
          // What primary knew when it decided, not counting the events of its own decision (stand-in
          // cannot have those yet, and would look behind).
          expect(copy.accountSequence).toBe(knownWhenDeciding);
        }
      }
      return answers;
    };
    const sentBefore = await counted('sent');
    const disagreedBefore = await counted('disagreed');
    const without = await run(0);
    const withShadow = await run(100);
    expect(withShadow.map(comparable)).toEqual(without.map(comparable));
    // Sanity: the script exercises approvals and declines, and primary decided all of it.
    expect(withShadow.map((answer) => answer.responseCode)).toEqual(['00', '51', '00', '00', '14', '00']);
    expect(withShadow.every((answer) => answer.decidedBy === 'primary')).toBe(true);
    expect(shadows()).toHaveLength(script({ card: UNKNOWN_CARD } as Customer).length);
    expect((await counted('sent')) - sentBefore).toBe(6);
    expect((await counted('disagreed')) - disagreedBefore).toBe(1);
  });

  test('when shadow is at 0 %, then nothing is sent', async () => {
    const customer = await primary.customer(10_000);
    await primary.route({}, { shadow: 0 });
    for (const request of script(customer)) expect((await primary.call('POST', '/scheme/card/authorisations', { body: request })).status).toBe(200);
    expect(primary.shadow!.pending()).toBe(0);
    // One more at 100 %: its copy arriving means any earlier one would have arrived before it.
    await primary.route({}, { shadow: 100 });
    const last = authorisation(customer.card, 100);
    await primary.call('POST', '/scheme/card/authorisations', { body: last });
    await shadowOf(last);
    expect(shadows().map((seen) => (seen.body as ShadowCardAuthorisation).request.rrn)).toEqual([last.rrn]);
  });

  test('when a message is proxied to stand-in, then it is not shadowed; what primary decides for the same customer is', async () => {
    const customer = await primary.customer(10_000);
    await primary.route({ cardPaymentsOutbound: { mode: 'users', userIds: [customer.customerId] } }, { shadow: 100 });
    const spend = authorisation(customer.card, 1_000);
    expect((await primary.call('POST', '/scheme/card/authorisations', { body: spend })).body).toEqual({ from: 'standin' });
    // Refunds are the other direction, still primary's.
    const refund = authorisation(customer.card, 500, { processingCode: '200000' });
    expect((await primary.call('POST', '/scheme/card/authorisations', { body: refund })).body).toMatchObject({ decidedBy: 'primary' });
    await shadowOf(refund);
    expect(
      primary.standin.received.map((seen) => [
        seen.url,
        (seen.body as { rrn?: string; request?: { rrn: string } }).rrn ?? (seen.body as ShadowCardAuthorisation).request.rrn,
      ]),
    ).toEqual([
      ['/scheme/card/authorisations', spend.rrn],
      [SHADOW_ROUTES.cardAuthorisations, refund.rrn],
    ]);
  });

  // Last: the timeouts it provokes open the sender's breaker.
  test('when stand-in hangs, then every authorisation is still answered by primary, and once the queue is full copies are dropped and counted', async () => {
    const customer = await primary.customer(100_000);
    await primary.route({}, { shadow: 100 });
    primary.standin.state.silent = true;
    const droppedBefore = await counted('dropped');
    const failedBefore = await counted('failed');
    const messages = Array.from({ length: 12 }, () => authorisation(customer.card, 100));
    for (const request of messages) {
      const answer = await primary.call('POST', '/scheme/card/authorisations', { body: request });
      expect(answer).toMatchObject({ status: 200, body: { stan: request.stan, responseCode: '00', decidedBy: 'primary' } });
    }
    expect(await primary.balance(customer.id)).toMatchObject({ heldMinor: 1_200 });
    // At most one in flight and QUEUE_SIZE waiting: every other copy was dropped, except those
    // that found room because a copy before them timed out (failed), which a slow machine makes
    // happen within the loop. Counted by what happened to each copy, not by how fast the loop ran.
    const dropped = (await counted('dropped')) - droppedBefore;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + ((await counted('failed')) - failedBefore)).toBeGreaterThanOrEqual(messages.length - QUEUE_SIZE - CONCURRENCY);
    expect(primary.shadow!.pending()).toBeLessThanOrEqual(QUEUE_SIZE + CONCURRENCY);
    expect((await primary.call('GET', '/metrics')).text).toMatch(/primary_shadow_queue_depth [0-3]\b/);
    pans.push(customer.card.pan);
  });

  test('nothing primary logged about shadowing (dropping, timeouts, disagreements) names a card number', () => {
    expect(logs.some((line) => line.includes('shadow queue full'))).toBe(true);
    expect(logs.some((line) => line.includes('decided a shadow message differently'))).toBe(true);
    for (const pan of pans) expect(logs.filter((line) => line.includes(pan))).toEqual([]);
  });
});
