import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { CREDENTIALS } from '../src/stack/credentials';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 12, defect 6: bad input that broke a platform, tried from outside on the real servers.
// Every one of these answered 500, leaked a card number, broke the envelope or wrote an advice
// per click before the fix.

let stack: Stack;
let customer: Customer;
beforeAll(async () => {
  stack = await startStack();
  customer = await openCustomer(stack, 10_000);
  await eventually(
    `stand-in to see ${customer.id}'s card`,
    async () =>
      (await http<{ cards: { cardId: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body.cards,
    (cards) => cards.some((card) => card.cardId === customer.card.id),
    120_000,
  );
}, 180_000);
afterAll(() => stack?.stop());

const platforms = () =>
  [
    ['primary', stack.primary.url],
    ['stand-in', stack.standin.url],
  ] as const;

/** A raw request, for what fetch would refuse to send or would normalise away. */
function raw(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const sent = httpRequest({ host: target.hostname, port: target.port, path, method: 'GET', headers, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

const expectEnvelope = (body: unknown) => expect(body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });

describe('text PostgreSQL cannot store (NUL, an unpaired surrogate)', () => {
  const BAD = ['NUL\u0000NAME', 'LONE\uD800SURROGATE'];

  test.each(BAD)('a card authorisation with %j in the merchant name gets an ISO answer 30 from both platforms, naming the field', async (name) => {
    for (const [platform, url] of platforms()) {
      const message = cardPayment(customer, 100, { merchant: { name, categoryCode: '5814', city: 'London', country: 'GB' } });
      const answer = await http<Record<string, unknown>>('POST', `${url}/scheme/card/authorisations`, { body: message });
      expect({ platform, status: answer.status, code: answer.body.responseCode }).toEqual({ platform, status: 200, code: '30' });
      expect(answer.body).toMatchObject({ stan: message.stan, rrn: message.rrn, reason: expect.stringContaining('merchant.name') });
    }
  });

  test.each(BAD)('%j in app and Faster Payments text is a 400 naming the field, and changes nothing', async (text) => {
    const opened = await http<{ error: { message: string } }>('POST', `${stack.primary.url}/accounts`, { body: { holderName: text, overdraftLimitMinor: 0 } });
    expect(opened.status).toBe(400);
    expect(opened.body.error.message).toContain('holderName');

    const pot = await http<{ error: { message: string } }>('POST', `${stack.primary.url}/accounts/${customer.id}/pots`, {
      token: customer.token,
      body: { name: text },
    });
    expect(pot.status).toBe(400);
    expect(pot.body.error.message).toContain('name');

    const payee = await http<{ error: { message: string } }>('POST', `${stack.primary.url}/accounts/${customer.id}/payees`, {
      token: customer.token,
      body: { sortCode: '200000', accountNumber: '12345678', name: text },
    });
    expect(payee.status).toBe(400);
    expect(payee.body.error.message).toContain('name');

    for (const [platform, url] of platforms()) {
      const credit = await http<{ error: { message: string } }>('POST', `${url}/scheme/faster-payments/inbound`, {
        body: {
          fpsId: `FPS-${randomUUID()}`,
          amountMinor: 100,
          currency: 'GBP',
          debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
          creditor: { sortCode: customer.sortCode, accountNumber: customer.accountNumber, name: 'Outage Customer' },
          reference: text.slice(0, 18),
          sentAt: new Date().toISOString(),
        },
      });
      expect({ platform, status: credit.status }).toEqual({ platform, status: 400 });
      expect(credit.body.error.message).toContain('reference');
      const transfer = await http<{ error: { message: string } }>('POST', `${url}/accounts/${customer.id}/transfers`, {
        token: customer.token,
        idempotencyKey: randomUUID(),
        body: { amountMinor: 100, creditor: { sortCode: '200000', accountNumber: '12345678', name: text }, reference: 'RENT' },
      });
      expect({ platform, status: transfer.status }).toEqual({ platform, status: 400 });
      expect(transfer.body.error.message).toContain('creditor.name');
    }
    const balance = await http<{ balance: { settledMinor: number } }>('GET', `${stack.primary.url}/accounts/${customer.id}`, { token: customer.token });
    expect(balance.body.balance.settledMinor).toBe(10_000);
  });
});

test('a feed cursor past the bigint range is a 400, not a 500', async () => {
  const page = await http('GET', `${stack.primary.url}/accounts/${customer.id}/transactions?before=9223372036854775808`, { token: customer.token });
  expect(page.status).toBe(400);
  expectEnvelope(page.body);
});

test('ids in upper case are the same ids: a pot deposit works, and a card frozen by its upper-case id reaches stand-in', async () => {
  const pot = await http<{ id: string }>('POST', `${stack.primary.url}/accounts/${customer.id}/pots`, { token: customer.token, body: { name: 'Holiday' } });
  expect(pot.status).toBe(201);
  const deposit = await http<{ balanceMinor: number }>(
    'POST',
    `${stack.primary.url}/accounts/${customer.id.toUpperCase()}/pots/${pot.body.id.toUpperCase()}/deposit`,
    { token: customer.token, idempotencyKey: randomUUID(), body: { amountMinor: 500 } },
  );
  expect(deposit.status).toBe(200);

  const frozen = await http<{ status: string }>('POST', `${stack.primary.url}/cards/${customer.card.id.toUpperCase()}/freeze`, { token: customer.token });
  expect(frozen.status).toBe(200);
  await eventually(
    'stand-in to see the card frozen',
    async () =>
      (await http<{ cards: { cardId: string; status: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body
        .cards,
    (cards) => cards.length === 1 && cards[0]!.cardId === customer.card.id && cards[0]!.status === 'frozen',
  );
  expect((await http('POST', `${stack.primary.url}/cards/${customer.card.id}/unfreeze`, { token: customer.token })).status).toBe(200);
  await eventually(
    'stand-in to see the card active again',
    async () =>
      (await http<{ cards: { status: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body.cards,
    (cards) => cards[0]?.status === 'active',
  );
});

test('the notifications stream answers at once, before any notification exists', async () => {
  const quiet = await openCustomer(stack, 0, 'Quiet Customer');
  const controller = new AbortController();
  const started = Date.now();
  const response = await fetch(`${stack.primary.url}/accounts/${quiet.id}/notifications/stream`, {
    headers: { authorization: `Bearer ${quiet.token}` },
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(5_000)]),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  expect(Date.now() - started).toBeLessThan(5_000);
  controller.abort();
});

test('no card number comes back in an error body, from either platform', async () => {
  const pan = customer.card.pan;
  for (const [platform, url] of platforms()) {
    const unknownKey = await http('POST', `${url}/scheme/card/authorisations`, { body: { ...cardPayment(customer, 100), [pan]: 'x' } });
    expect({ platform, status: unknownKey.status }).toEqual({ platform, status: 400 });
    expect(JSON.stringify(unknownKey.body)).not.toContain(pan);
    const inPath = await http('GET', `${url}/cards/${pan}`);
    expect({ platform, status: inPath.status }).toEqual({ platform, status: 404 });
    expectEnvelope(inPath.body);
    expect(JSON.stringify(inPath.body)).not.toContain(pan);
  }
});

test('every 4xx that fails before a route runs uses the envelope: bad URL encoding, an over-long path parameter, headers too large', async () => {
  for (const [platform, url] of platforms()) {
    for (const [what, answer] of [
      ['bad URL encoding', await raw(url, `/accounts/${customer.id}/%E0%A4%A`)],
      ['over-long path parameter', await raw(url, `/accounts/${'a'.repeat(500)}`)],
      ['headers too large', await raw(url, `/accounts/${customer.id}`, { 'x-filler': 'a'.repeat(32 * 1024) })],
    ] as const) {
      expect({ platform, what, status: answer.status >= 400 && answer.status < 500 }).toEqual({ platform, what, status: true });
      expectEnvelope(JSON.parse(answer.body));
    }
  }
});

test('freezing an already frozen card in stand-in is a no-op: one advice, not one per request', async () => {
  const adviceCount = async () =>
    (
      await http<{ advices: { accountId: string; type: string }[] }>('GET', `${stack.standin.url}/internal/advices`, { token: CREDENTIALS['advice-consumer'] })
    ).body.advices.filter((advice) => advice.accountId === customer.id && advice.type.startsWith('card.')).length;
  const before = await adviceCount();
  for (let index = 0; index < 5; index++) {
    const answer = await http<{ status: string }>('POST', `${stack.standin.url}/cards/${customer.card.id}/freeze`, { token: customer.token });
    expect(answer.body.status).toBe('frozen');
  }
  expect(await adviceCount()).toBe(before + 1);
  await http('POST', `${stack.standin.url}/cards/${customer.card.id}/unfreeze`, { token: customer.token });
  await http('POST', `${stack.standin.url}/cards/${customer.card.id}/unfreeze`, { token: customer.token });
  expect(await adviceCount()).toBe(before + 2);
});
