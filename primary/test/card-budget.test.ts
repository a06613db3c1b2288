import Fastify, { type FastifyInstance } from 'fastify';
import type { CardAuthorisationRequest, CardAuthorisationResponse, ConfigurationDocument } from '@bank/shared-contracts';
import { INITIAL_CONFIGURATION } from '@bank/shared-contracts';
import type { CardProcessor } from '../src/card-processor/card-processor';
import { decisionReserveMs, schemeCardRoutes } from '../src/card-processor/routes';
import { installApiDocs } from '../src/platform/api-docs';
import { installErrorHandling } from '../src/platform/http';
import { RolledBackAtDeadline } from '../src/card-processor/authorise-in-database';
import { createMetrics } from '../src/platform/metrics';
import type { PaymentRouter, Routed } from '../src/routing/payment-router';

// Issue 12, defect 3: primary answers every card message within its card budget, whatever its
// database does. A hung database is a promise that never settles, so here the processor and the
// router are fakes held until the test releases them; the chaos scenario c2 shows the same with
// primary's real PostgreSQL SIGSTOPped. That the budget answered is read from the answer while the
// work is still held, never from a stopwatch: a busy machine cannot fail these tests.

const BUDGET_MS = 200;

const authorisation: CardAuthorisationRequest = {
  mti: '0100',
  pan: '4598761234567896',
  expiry: '3011',
  processingCode: '000000',
  amountMinor: 1_250,
  currency: 'GBP',
  transmittedAt: '2026-11-21T09:30:00Z',
  stan: '000123',
  rrn: 'ABC123DEF456',
  terminalId: 'TERM0001',
  acquirerId: '12345678',
  merchant: { name: 'CORNER CAFE', categoryCode: '5814', city: 'London', country: 'GB' },
  posEntryMode: 'contactless',
};
const reversal = {
  mti: '0400',
  pan: authorisation.pan,
  original: { stan: '000123', rrn: 'ABC123DEF456', terminalId: 'TERM0001' },
  amountMinor: 1_250,
  currency: 'GBP',
  transmittedAt: '2026-11-21T09:31:00Z',
  stan: '000124',
  rrn: 'ABC123DEF456',
  terminalId: 'TERM0001',
};
const clearing = {
  clearingId: 'CLR-1',
  pan: authorisation.pan,
  processingCode: '000000',
  amountMinor: 1_250,
  currency: 'GBP',
  merchant: authorisation.merchant,
  clearedAt: '2026-11-22T02:00:00Z',
};

const approval: CardAuthorisationResponse = {
  mti: '0110',
  stan: '000123',
  rrn: 'ABC123DEF456',
  terminalId: 'TERM0001',
  responseCode: '00',
  authorisationCode: 'A1B2C3',
  approvedAmountMinor: 1_250,
  decidedBy: 'primary',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A call that hangs until the test releases it, as a database that hangs and then resumes. */
function held<T>(value: () => T): { call: () => Promise<T>; release: () => Promise<void> } {
  let resume!: () => void;
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  const answered = resumed.then(value);
  return {
    call: () => answered,
    /** Lets the held work finish, and waits until what primary chained on it has run. */
    release: async () => {
      resume();
      await answered;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

interface Harness {
  app: FastifyInstance;
  reversedHere: CardAuthorisationRequest[];
  reversedAtStandin: CardAuthorisationRequest[];
  /** The database deadline each decision was given, and when it was asked for. */
  deadlines: { deadlineAt: Date | undefined; askedAt: number }[];
}

function build(parts: {
  route?: () => Promise<Routed>;
  authorise?: () => Promise<CardAuthorisationResponse>;
  storedAnswer?: () => Promise<CardAuthorisationResponse | undefined>;
  reverse?: () => Promise<unknown>;
  clear?: () => Promise<unknown>;
}): Harness {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  installApiDocs(app, { title: 'card budget', description: 'test', version: '0', serve: false });
  const reversedHere: CardAuthorisationRequest[] = [];
  const reversedAtStandin: CardAuthorisationRequest[] = [];
  const deadlines: Harness['deadlines'] = [];
  const processor = {
    authorise: (_message: CardAuthorisationRequest, options: { deadlineAt?: Date } = {}) => {
      deadlines.push({ deadlineAt: options.deadlineAt, askedAt: Date.now() });
      return (parts.authorise ?? (async () => approval))();
    },
    storedAnswer: parts.storedAnswer ?? (async () => undefined),
    reverse: parts.reverse ?? (async () => ({ responseCode: '00' })),
    clear: parts.clear ?? (async () => ({ clearingId: 'CLR-1', status: 'settled' })),
  } as unknown as CardProcessor;
  const router = {
    cardAuthorisation: parts.route ?? (async () => ({ destination: 'primary' })),
    cardReversal: async () => ({ destination: 'primary' }),
  } as unknown as PaymentRouter;
  schemeCardRoutes(app, {
    processor,
    router,
    configuration: { current: (): ConfigurationDocument => INITIAL_CONFIGURATION },
    budgetMs: BUDGET_MS,
    lateApprovals: { reverseHere: (message) => void reversedHere.push(message) },
    timeoutReversals: { reverseAtStandin: async (message) => void reversedAtStandin.push(message) },
    metrics: createMetrics(),
  });
  return { app, reversedHere, reversedAtStandin, deadlines };
}

const harness = (parts: Parameters<typeof build>[0]) => listening(build(parts));

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function listening(built: Harness): Promise<Harness> {
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  apps.push(built.app);
  // The first request over a new connection pays for warming up; it is not what is measured.
  const { port } = built.app.server.address() as { port: number };
  await (await fetch(`http://127.0.0.1:${port}/warm-up`)).text();
  return built;
}

/** Polls until `done`, for what happens after the answer has gone. */
async function eventually(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(20);
}

/** Over a real socket, as the gateway calls primary. */
async function post(app: FastifyInstance, url: string, payload: unknown) {
  const { port } = app.server.address() as { port: number };
  const response = await fetch(`http://127.0.0.1:${port}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, headers: { 'retry-after': response.headers.get('retry-after') } };
}

describe('when primary cannot decide a card authorisation within its budget (its database hangs)', () => {
  test('then the network hears 91 within the budget, the decision is told to roll back, and an approval that commits anyway is reversed here', async () => {
    const database = held(() => approval);
    const { app, reversedHere, deadlines } = await harness({ authorise: database.call });

    const answer = await post(app, '/scheme/card/authorisations', authorisation);

    // Answered while the decision is still held: by the budget.
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ responseCode: '91', decidedBy: 'primary', reason: expect.stringContaining(`within its ${BUDGET_MS} ms budget`) });
    // The database was told to roll back rather than commit once the reserve is all that is left.
    expect(deadlines[0]!.deadlineAt!.getTime()).toBeLessThanOrEqual(deadlines[0]!.askedAt + BUDGET_MS - decisionReserveMs(BUDGET_MS));
    expect(reversedHere).toEqual([]);
    await database.release();
    await eventually(() => reversedHere.length > 0);
    expect(reversedHere).toEqual([authorisation]);
  });

  test('then, when the answer is unheard but the message key shows it committed, the network hears that answer, not 91, and nothing is reversed', async () => {
    const database = held(() => approval);
    const { app, reversedHere } = await harness({ authorise: database.call, storedAnswer: async () => approval });
    const answer = await post(app, '/scheme/card/authorisations', authorisation);
    expect(answer.body).toMatchObject({ responseCode: '00', authorisationCode: approval.authorisationCode });
    await database.release();
    expect(reversedHere).toEqual([]);
  });

  test('then one the database rolled back at its deadline is 91, with nothing to reverse', async () => {
    const { app, reversedHere } = await harness({
      authorise: async () => {
        throw new RolledBackAtDeadline(BUDGET_MS);
      },
    });
    const answer = await post(app, '/scheme/card/authorisations', authorisation);
    expect(answer.body).toMatchObject({ responseCode: '91' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reversedHere).toEqual([]);
  });

  test('then a decline that finishes late needs nothing reversed', async () => {
    const database = held(() => ({ ...approval, responseCode: '51' as const, authorisationCode: undefined, approvedAmountMinor: 0 }));
    const { app, reversedHere } = await harness({ authorise: database.call });
    expect((await post(app, '/scheme/card/authorisations', authorisation)).body.responseCode).toBe('91');
    await database.release();
    expect(reversedHere).toEqual([]);
  });

  test('then one routed to stand-in whose approval comes back after the budget is reversed at stand-in', async () => {
    const standinApproval = { destination: 'standin', answer: { statusCode: 200, body: { ...approval, decidedBy: 'standin' } } } as const;
    const standin = held(() => standinApproval);
    const { app, reversedAtStandin, reversedHere } = await harness({ route: standin.call });
    expect((await post(app, '/scheme/card/authorisations', authorisation)).body.responseCode).toBe('91');
    await standin.release();
    await eventually(() => reversedAtStandin.length > 0);
    expect(reversedAtStandin).toEqual([authorisation]);
    expect(reversedHere).toEqual([]);
  });

  test("then, within the budget, stand-in's answer for a user routed there is passed on as it came", async () => {
    const { app } = await harness({
      route: async () => ({ destination: 'standin', answer: { statusCode: 200, body: { ...approval, decidedBy: 'standin' } } }),
    });
    expect((await post(app, '/scheme/card/authorisations', authorisation)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
  });
});

test('when a reversal cannot be processed within the budget, then it is answered 91 (send it again) within the budget', async () => {
  const database = held(() => ({ responseCode: '00' }));
  const { app } = await harness({ reverse: database.call });
  const answer = await post(app, '/scheme/card/reversals', reversal);
  // Answered while the reversal is still held: by the budget.
  expect(answer.body).toMatchObject({ mti: '0410', responseCode: '91', reason: expect.stringContaining('send the reversal again') });
  await database.release();
});

test('when a clearing cannot be settled within the budget, then it is 503 with Retry-After (present it again), which the gateway does not hold against primary', async () => {
  const database = held(() => ({ status: 'settled' }));
  const { app } = await harness({ clear: database.call });
  const answer = await post(app, '/scheme/card/clearings', clearing);
  // Answered while the clearing is still held: by the budget.
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({ error: { code: 'PRIMARY_DEPENDENCY_UNAVAILABLE', message: expect.any(String) } });
  expect(answer.headers['retry-after']).toBe('30');
  await database.release();
});
