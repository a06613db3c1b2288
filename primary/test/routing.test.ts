import { randomUUID } from 'node:crypto';
import { userBucket, type CardReversalRequest } from '@bank/shared-contracts';
import { authorisation, messageKey } from './harness';
import { credit, startRoutingPrimary } from './routing-harness';

// Payment routing in primary, over HTTP against the real PostgreSQL, with stand-in a small real
// HTTP server (see routing-harness.ts); the whole stack with the real stand-in is
// e2e/test/payment-routing.

let primary: Awaited<ReturnType<typeof startRoutingPrimary>>;
beforeAll(async () => {
  primary = await startRoutingPrimary();
}, 60_000);
afterAll(() => primary?.close());
beforeEach(() => {
  primary.standin.received.length = 0;
  primary.standin.state.silent = false;
  primary.standin.state.reply = () => ({ status: 200, body: { from: 'standin' } });
});

const route = (components: Parameters<typeof primary.route>[0], shares?: Parameters<typeof primary.route>[1]) => primary.route(components, shares);
const customer = (fundedMinor?: number) => primary.customer(fundedMinor);
const balance = (accountId: string) => primary.balance(accountId);
const storedAuthorisations = async (key: { stan: string; rrn: string; terminalId: string }) =>
  Number(
    (
      await primary.db.query<{ count: string }>('select count(*) from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3', [
        key.stan,
        key.rrn,
        key.terminalId,
      ])
    ).rows[0]!.count,
  );
const transfer = { amountMinor: 700, creditor: { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' }, reference: 'RENT' };

describe('payment routing in primary', () => {
  test('when nobody is on stand-in, then primary processes every payment and stand-in hears nothing', async () => {
    const alice = await customer();
    expect((await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(alice.card, 1_000) })).body).toMatchObject({
      responseCode: '00',
      decidedBy: 'primary',
    });
    expect((await primary.call('POST', `/accounts/${alice.id}/transfers`, { token: alice.token, idempotencyKey: randomUUID(), body: transfer })).status).toBe(
      201,
    );
    expect(await balance(alice.id)).toMatchObject({ settledMinor: 10_000 - 700, heldMinor: 1_000 });
    expect(primary.standin.received).toEqual([]);
  });

  test("when card spending is on stand-in for one customer, then their authorisation reaches stand-in unchanged and stand-in's answer reaches the network unchanged; primary holds nothing", async () => {
    const alice = await customer();
    const bob = await customer();
    await route({ cardPaymentsOutbound: { mode: 'users', userIds: [alice.customerId] } });
    const standinAnswer = {
      mti: '0110',
      stan: '000001',
      rrn: 'STANDIN00001',
      terminalId: 'TERM0001',
      responseCode: '00',
      authorisationCode: 'SI0001',
      approvedAmountMinor: 1_000,
      decidedBy: 'standin',
    };
    primary.standin.state.reply = () => ({ status: 200, body: standinAnswer });

    const message = authorisation(alice.card, 1_000);
    const answer = await primary.call('POST', '/scheme/card/authorisations', { body: message });
    expect(answer).toMatchObject({ status: 200, body: standinAnswer });
    expect(primary.standin.received).toEqual([expect.objectContaining({ url: '/scheme/card/authorisations', body: message })]);
    expect(await balance(alice.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0 });
    expect(await storedAuthorisations(message)).toBe(0);

    const bobs = await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(bob.card, 1_000) });
    expect(bobs.body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
    expect(await balance(bob.id)).toMatchObject({ heldMinor: 1_000 });
    expect(primary.standin.received).toHaveLength(1);
  });

  test("when card spending is on stand-in for a customer, then their refunds and incoming transfers are still primary's (direction is the money's)", async () => {
    const alice = await customer();
    await route({ cardPaymentsOutbound: { mode: 'users', userIds: [alice.customerId] } });
    const refund = await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(alice.card, 500, { processingCode: '200000' }) });
    expect(refund.body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
    expect((await primary.call('POST', '/scheme/faster-payments/inbound', { body: credit(alice, 2_000) })).body).toMatchObject({
      status: 'accepted',
      decidedBy: 'primary',
    });
    expect(await balance(alice.id)).toMatchObject({ settledMinor: 12_000 });
    expect(primary.standin.received).toEqual([]);

    await route({ cardPaymentsInbound: { mode: 'users', userIds: [alice.customerId] } });
    await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(alice.card, 500, { processingCode: '200000' }) });
    expect((await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(alice.card, 300) })).body).toMatchObject({
      decidedBy: 'primary',
      responseCode: '00',
    });
    expect(primary.standin.received.map((seen) => (seen.body as { processingCode: string }).processingCode)).toEqual(['200000']);
  });

  test('when incoming Faster Payments are on stand-in for a customer, then credits to them are forwarded and others are credited by primary', async () => {
    const alice = await customer();
    const bob = await customer();
    await route({ fasterPaymentsInbound: { mode: 'users', userIds: [alice.customerId] } });
    primary.standin.state.reply = (seen) => ({
      status: 200,
      body: { fpsId: (seen.body as { fpsId: string }).fpsId, status: 'accepted', decidedBy: 'standin' },
    });
    const toAlice = credit(alice, 3_000);
    expect((await primary.call('POST', '/scheme/faster-payments/inbound', { body: toAlice })).body).toEqual({
      fpsId: toAlice.fpsId,
      status: 'accepted',
      decidedBy: 'standin',
    });
    expect(primary.standin.received).toEqual([expect.objectContaining({ url: '/scheme/faster-payments/inbound', body: toAlice })]);
    expect(await balance(alice.id)).toMatchObject({ settledMinor: 10_000 });
    expect((await primary.call('POST', '/scheme/faster-payments/inbound', { body: credit(bob, 3_000) })).body).toMatchObject({
      status: 'accepted',
      decidedBy: 'primary',
    });
    expect(await balance(bob.id)).toMatchObject({ settledMinor: 13_000 });
  });

  test("when outgoing transfers are on stand-in for a customer, then their app's request is forwarded with its token and Idempotency-Key, and stand-in's status and body come back", async () => {
    const alice = await customer();
    const bob = await customer();
    await route({ fasterPaymentsOutbound: { mode: 'users', userIds: [alice.customerId] } });
    primary.standin.state.reply = () => ({ status: 201, body: { status: 'sent', fpsId: 'SI-1', correlationId: 'c' } });
    const key = randomUUID();
    const sent = await primary.call('POST', `/accounts/${alice.id}/transfers?source=app`, { token: alice.token, idempotencyKey: key, body: transfer });
    expect(sent).toMatchObject({ status: 201, body: { status: 'sent', fpsId: 'SI-1', correlationId: 'c' } });
    expect(primary.standin.received).toHaveLength(1);
    expect(primary.standin.received[0]).toMatchObject({ url: `/accounts/${alice.id}/transfers?source=app`, body: transfer });
    expect(primary.standin.received[0]!.headers).toMatchObject({ authorization: `Bearer ${alice.token}`, 'idempotency-key': key });
    expect(await balance(alice.id)).toMatchObject({ settledMinor: 10_000 });

    expect(
      (await primary.call('POST', `/accounts/${bob.id}/transfers`, { token: bob.token, idempotencyKey: randomUUID(), body: transfer })).body,
    ).toMatchObject({ kind: 'faster_payment' });
    expect(await balance(bob.id)).toMatchObject({ settledMinor: 10_000 - 700 });
    expect(primary.standin.received).toHaveLength(1);
  });

  test('when stand-in refuses a message, then its status code and body are passed back as they are', async () => {
    const alice = await customer();
    await route({ fasterPaymentsOutbound: { mode: 'everyone' } });
    primary.standin.state.reply = () => ({ status: 422, body: { status: 'refused', why: 'not enough money as stand-in sees it' } });
    const refused = await primary.call('POST', `/accounts/${alice.id}/transfers`, {
      token: alice.token,
      idempotencyKey: randomUUID(),
      body: { ...transfer, amountMinor: 1_000_000 },
    });
    expect(refused).toMatchObject({ status: 422, body: { status: 'refused', why: 'not enough money as stand-in sees it' } });
  });

  test('when card spending is on stand-in for a percentage, then each customer goes where their stable bucket says', async () => {
    const customers: Awaited<ReturnType<typeof customer>>[] = [];
    // Enough customers that both sides of 50 % are seen (each is a coin toss).
    while (customers.length < 4 || customers.every((c) => userBucket(c.customerId) < 50) || customers.every((c) => userBucket(c.customerId) >= 50))
      customers.push(await customer());
    await route({ cardPaymentsOutbound: { mode: 'percent', percent: 50 } });
    primary.standin.state.reply = (seen) => ({ status: 200, body: { ...(seen.body as object), routedTo: 'standin' } });
    for (const routed of customers) {
      const answer = (await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(routed.card, 100) })).body;
      if (userBucket(routed.customerId) < 50) expect(answer).toMatchObject({ routedTo: 'standin' });
      else expect(answer).toMatchObject({ decidedBy: 'primary', responseCode: '00' });
    }
    expect(primary.standin.received).toHaveLength(customers.filter((c) => userBucket(c.customerId) < 50).length);
  });

  test('when primary approved the original authorisation, then primary reverses it even with card spending now on stand-in; a reversal of an authorisation primary never saw goes to stand-in', async () => {
    const alice = await customer();
    const original = authorisation(alice.card, 2_500);
    expect((await primary.call('POST', '/scheme/card/authorisations', { body: original })).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
    expect(await balance(alice.id)).toMatchObject({ heldMinor: 2_500 });

    await route({ cardPaymentsOutbound: { mode: 'everyone' } });
    const ours: CardReversalRequest = {
      mti: '0400',
      pan: alice.card.pan,
      original: { stan: original.stan, rrn: original.rrn, terminalId: original.terminalId },
      amountMinor: 2_500,
      currency: 'GBP',
      transmittedAt: '2026-11-21T12:01:00Z',
      ...messageKey(),
    };
    expect((await primary.call('POST', '/scheme/card/reversals', { body: ours })).body).toMatchObject({
      mti: '0410',
      responseCode: '00',
      decidedBy: 'primary',
    });
    expect(await balance(alice.id)).toMatchObject({ heldMinor: 0 });
    expect(primary.standin.received).toEqual([]);

    primary.standin.state.reply = () => ({ status: 200, body: { mti: '0410', responseCode: '00', decidedBy: 'standin' } });
    const theirs: CardReversalRequest = { ...ours, original: messageKey(), ...messageKey() };
    expect((await primary.call('POST', '/scheme/card/reversals', { body: theirs })).body).toMatchObject({ decidedBy: 'standin' });
    expect(primary.standin.received).toEqual([expect.objectContaining({ url: '/scheme/card/reversals', body: theirs })]);
  });

  test('when everything is on stand-in, then clearings are still settled by primary, the system of record', async () => {
    const alice = await customer();
    const original = authorisation(alice.card, 1_200);
    await primary.call('POST', '/scheme/card/authorisations', { body: original });
    await route({ cardPaymentsOutbound: { mode: 'everyone' }, cardPaymentsInbound: { mode: 'everyone' } });
    const cleared = await primary.call('POST', '/scheme/card/clearings', {
      body: {
        clearingId: `CLR-${randomUUID()}`,
        pan: alice.card.pan,
        original: { stan: original.stan, rrn: original.rrn, terminalId: original.terminalId },
        processingCode: '000000',
        amountMinor: 1_200,
        currency: 'GBP',
        merchant: original.merchant,
        clearedAt: '2026-11-22T02:00:00Z',
      },
    });
    expect(cleared.body).toMatchObject({ status: 'settled' });
    expect(await balance(alice.id)).toMatchObject({ settledMinor: 10_000 - 1_200, heldMinor: 0 });
    expect(primary.standin.received).toEqual([]);
  });

  test('when a routed message is malformed, then primary answers 400 itself and forwards nothing', async () => {
    await route({ cardPaymentsOutbound: { mode: 'everyone' } });
    const response = await primary.call('POST', '/scheme/card/authorisations', {
      body: { ...authorisation({ pan: '4598760000000001', expiry: '2911' }, 100), amountMinor: 1.5 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('amountMinor');
    expect(primary.standin.received).toEqual([]);
  });

  // Last: the failures it provokes may open the proxy's breaker for the tests after it.
  test('when stand-in does not answer in time, then the network hears 91 from primary, transfers and credits get 503, and primary itself moves no money', async () => {
    const alice = await customer();
    await route({ cardPaymentsOutbound: { mode: 'everyone' }, fasterPaymentsInbound: { mode: 'everyone' }, fasterPaymentsOutbound: { mode: 'everyone' } });
    primary.standin.state.silent = true;

    const single = authorisation(alice.card, 1_000, { mti: '0200', processingCode: '010000' });
    const declined = await primary.call('POST', '/scheme/card/authorisations', { body: single });
    expect(declined).toMatchObject({
      status: 200,
      body: {
        mti: '0210',
        stan: single.stan,
        rrn: single.rrn,
        terminalId: single.terminalId,
        responseCode: '91',
        approvedAmountMinor: 0,
        decidedBy: 'primary',
      },
    });
    // The proxy's own timeout answered (not the card budget, nor a stopwatch): its reason says so.
    expect(declined.body.reason).toBe('routed to stand-in, which did not answer in time; declined as issuer unavailable');
    expect(declined.body).not.toHaveProperty('authorisationCode');
    expect(declined.text).not.toContain(alice.card.pan);

    const reversal: CardReversalRequest = {
      mti: '0400',
      pan: alice.card.pan,
      original: messageKey(),
      amountMinor: 1_000,
      currency: 'GBP',
      transmittedAt: '2026-11-21T12:00:00Z',
      ...messageKey(),
    };
    expect((await primary.call('POST', '/scheme/card/reversals', { body: reversal })).body).toMatchObject({
      mti: '0410',
      stan: reversal.stan,
      responseCode: '91',
      decidedBy: 'primary',
    });

    const fps = await primary.call('POST', '/scheme/faster-payments/inbound', { body: credit(alice, 2_000) });
    expect(fps.status).toBe(503);
    expect(fps.body.error).toMatchObject({ code: 'PRIMARY_STANDIN_UNAVAILABLE' });
    expect(fps.body.error.message).toContain('same fpsId');
    const sent = await primary.call('POST', `/accounts/${alice.id}/transfers`, { token: alice.token, idempotencyKey: randomUUID(), body: transfer });
    expect(sent.status).toBe(503);
    expect(sent.body.error.message).toContain('same Idempotency-Key');

    expect(await balance(alice.id)).toMatchObject({ settledMinor: 10_000, heldMinor: 0 });
    expect(await storedAuthorisations(single)).toBe(0);
    const metrics = (await primary.call('GET', '/metrics')).text;
    expect(metrics).toMatch(/primary_standin_proxy_failures_total\{component="cardPaymentsOutbound",reason="(timeout|circuit_open)"\} [1-9]/);
    expect(metrics).toMatch(/primary_payments_routed_total\{component="fasterPaymentsOutbound",destination="standin"\} [1-9]/);

    // Stand-in may have approved the authorisation after primary said 91: once it answers again,
    // primary has it reverse that authorisation, as an acquirer reverses what timed out.
    primary.standin.state.silent = false;
    primary.standin.state.reply = (seen) => ({
      status: 200,
      body: { mti: '0430', stan: (seen.body as CardReversalRequest).stan, responseCode: '00', decidedBy: 'standin' },
    });
    const reversalOfSingle = () =>
      primary.standin.received.filter((seen) => seen.url === '/scheme/card/reversals' && (seen.body as CardReversalRequest).original.rrn === single.rrn);
    const deadline = Date.now() + 15_000;
    while ((await primary.timeoutReversals.report(0)).owed > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await primary.timeoutReversals.report(0)).owed).toBe(0);
    expect(reversalOfSingle().at(-1)!.body).toMatchObject({
      mti: '0420',
      pan: alice.card.pan,
      original: { stan: single.stan, rrn: single.rrn, terminalId: single.terminalId },
      amountMinor: 1_000,
      rrn: single.rrn,
      terminalId: single.terminalId,
    });
    // Every attempt is the same message: stand-in answers a repeat as it answered the first.
    expect(new Set(reversalOfSingle().map((seen) => (seen.body as CardReversalRequest).stan)).size).toBe(1);
    expect((await primary.call('GET', '/metrics')).text).toMatch(/primary_standin_timeout_reversals_total\{outcome="acknowledged"\} 1/);
  }, 40_000);
});
