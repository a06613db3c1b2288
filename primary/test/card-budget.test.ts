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
// router are fakes that take as long as a test says; the chaos scenario c2 shows the same with
// primary's real PostgreSQL SIGSTOPped.

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
/** A call that answers after `ms`, as a database that hangs and then resumes. */
const after = <T>(ms: number, value: () => T): Promise<T> => sleep(ms).then(value);

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
    timeoutReversals: { reverseAtStandin: (message) => void reversedAtStandin.push(message) },
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
async function timed(app: FastifyInstance, url: string, payload: unknown) {
  const { port } = app.server.address() as { port: number };
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, headers: { 'retry-after': response.headers.get('retry-after') }, elapsedMs: performance.now() - started };
}

describe('when primary cannot decide a card authorisation within its budget (its database hangs)', () => {
  test('then the network hears 91 within the budget, the decision is told to roll back, and an approval that commits anyway is reversed here', async () => {
    const { app, reversedHere, deadlines } = await harness({ authorise: () => after(BUDGET_MS * 3, () => approval) });

    const answer = await timed(app, '/scheme/card/authorisations', authorisation);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ responseCode: '91', decidedBy: 'primary', reason: expect.stringContaining(`within its ${BUDGET_MS} ms budget`) });
    expect(answer.elapsedMs).toBeLessThan(BUDGET_MS + 250);
    // The database was told to roll back rather than commit once the reserve is all that is left.
    expect(deadlines[0]!.deadlineAt!.getTime()).toBeLessThanOrEqual(deadlines[0]!.askedAt + BUDGET_MS - decisionReserveMs(BUDGET_MS));
    expect(reversedHere).toEqual([]);
    await eventually(() => reversedHere.length > 0);
    expect(reversedHere).toEqual([authorisation]);
  });

  test('then, when the answer is unheard but the message key shows it committed, the network hears that answer, not 91, and nothing is reversed', async () => {
    const { app, reversedHere } = await harness({ authorise: () => after(BUDGET_MS * 3, () => approval), storedAnswer: async () => approval });
    const answer = await timed(app, '/scheme/card/authorisations', authorisation);
    expect(answer.body).toMatchObject({ responseCode: '00', authorisationCode: approval.authorisationCode });
    expect(answer.elapsedMs).toBeLessThan(BUDGET_MS + 250);
    await sleep(BUDGET_MS * 3);
    expect(reversedHere).toEqual([]);
  });

  test('then one the database rolled back at its deadline is 91 at once, with nothing to reverse', async () => {
    const { app, reversedHere } = await harness({
      authorise: () =>
        after(BUDGET_MS / 2, () => {
          throw new RolledBackAtDeadline(BUDGET_MS);
        }),
    });
    const answer = await timed(app, '/scheme/card/authorisations', authorisation);
    expect(answer.body).toMatchObject({ responseCode: '91' });
    expect(answer.elapsedMs).toBeLessThan(BUDGET_MS);
    await sleep(BUDGET_MS);
    expect(reversedHere).toEqual([]);
  });

  test('then a decline that finishes late needs nothing reversed', async () => {
    const { app, reversedHere } = await harness({
      authorise: () => after(BUDGET_MS * 2, () => ({ ...approval, responseCode: '51' as const, authorisationCode: undefined, approvedAmountMinor: 0 })),
    });
    expect((await timed(app, '/scheme/card/authorisations', authorisation)).body.responseCode).toBe('91');
    await sleep(BUDGET_MS * 3);
    expect(reversedHere).toEqual([]);
  });

  test('then one routed to stand-in whose approval comes back after the budget is reversed at stand-in', async () => {
    const standinApproval = { destination: 'standin', answer: { statusCode: 200, body: { ...approval, decidedBy: 'standin' } } } as const;
    const { app, reversedAtStandin, reversedHere } = await harness({ route: () => after(BUDGET_MS * 2, () => standinApproval) });
    expect((await timed(app, '/scheme/card/authorisations', authorisation)).body.responseCode).toBe('91');
    await eventually(() => reversedAtStandin.length > 0);
    expect(reversedAtStandin).toEqual([authorisation]);
    expect(reversedHere).toEqual([]);
  });

  test("then, within the budget, stand-in's answer for a user routed there is passed on as it came", async () => {
    const { app } = await harness({
      route: async () => ({ destination: 'standin', answer: { statusCode: 200, body: { ...approval, decidedBy: 'standin' } } }),
    });
    expect((await timed(app, '/scheme/card/authorisations', authorisation)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
  });
});

test('when a reversal cannot be processed within the budget, then it is answered 91 (send it again) within the budget', async () => {
  const { app } = await harness({ reverse: () => after(BUDGET_MS * 3, () => ({ responseCode: '00' })) });
  const answer = await timed(app, '/scheme/card/reversals', reversal);
  expect(answer.body).toMatchObject({ mti: '0410', responseCode: '91', reason: expect.stringContaining('send the reversal again') });
  expect(answer.elapsedMs).toBeLessThan(BUDGET_MS + 250);
});

test('when a clearing cannot be settled within the budget, then it is 503 with Retry-After (present it again), which the gateway does not hold against primary', async () => {
  const { app } = await harness({ clear: () => after(BUDGET_MS * 3, () => ({ status: 'settled' })) });
  const answer = await timed(app, '/scheme/card/clearings', clearing);
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({ error: { code: 'PRIMARY_DEPENDENCY_UNAVAILABLE', message: expect.any(String) } });
  expect(answer.headers['retry-after']).toBe('30');
  expect(answer.elapsedMs).toBeLessThan(BUDGET_MS + 250);
});
