import { randomUUID } from 'node:crypto';
import { parseOperatorTokens } from '../src/configuration/operators';
import { tokensEqual } from '../src/platform/http';
import { startPrimary, type TestPrimary } from './harness';

// Rotating a credential: during a rotation primary accepts two for one identity (`<NAME>` and
// `<NAME>_NEXT`; an operator's name twice in OPERATOR_TOKENS), and once the old one is removed it
// is refused like any unknown token.

const OLD = 'gateway-credential-being-retired';
const NEW = 'gateway-credential-taking-over';

let rotating: TestPrimary;
let rotated: TestPrimary;
let accountId: string;

beforeAll(async () => {
  rotating = await startPrimary({
    services: { gateway: [OLD, NEW] },
    operators: parseOperatorTokens('ops-alice:alice-old,ops-alice:alice-new'),
  });
  rotated = await startPrimary({ services: { gateway: [NEW] }, operators: parseOperatorTokens('ops-alice:alice-new') });
});
afterAll(async () => {
  await rotating?.close();
  await rotated?.close();
});

/** A scheme message primary answers (a credit to an account it does not have: rejected, but decided). */
const credit = () => ({
  fpsId: `FPS-${randomUUID()}`,
  amountMinor: 100,
  currency: 'GBP',
  debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer Ltd' },
  creditor: { sortCode: '040004', accountNumber: accountId ?? '00000000', name: 'Nobody' },
  reference: 'ROTATION',
  sentAt: '2026-11-21T12:00:00.000Z',
});

test('when an identity has two credentials during a rotation, then both are let through', async () => {
  accountId = '12345678';
  for (const token of [OLD, NEW]) expect((await rotating.call('POST', '/scheme/faster-payments/inbound', { token, body: credit() })).status).toBe(200);
});

test('when the old credential has been removed, then it is refused (401) and the new one works', async () => {
  const refused = await rotated.call('POST', '/scheme/faster-payments/inbound', { token: OLD, body: credit() });
  expect(refused.status).toBe(401);
  expect(refused.body.error.code).toBe('PRIMARY_UNAUTHENTICATED');
  expect((await rotated.call('POST', '/scheme/faster-payments/inbound', { token: NEW, body: credit() })).status).toBe(200);
});

test("when an operator's token is rotated, then both name the same operator, and the removed one is refused", async () => {
  for (const token of ['alice-old', 'alice-new']) expect((await rotating.call('GET', '/configuration/audit', { token })).status).toBe(200);
  expect((await rotated.call('GET', '/configuration/audit', { token: 'alice-old' })).status).toBe(401);
  expect((await rotated.call('GET', '/configuration/audit', { token: 'alice-new' })).status).toBe(200);
  expect(() => parseOperatorTokens('bob:1,bob:2,bob:3')).toThrow(/more than twice/);
});

test('tokens are compared hashed: any lengths compare without throwing, equal only when equal', () => {
  expect(tokensEqual('a', 'a')).toBe(true);
  expect(tokensEqual('a', 'a-much-longer-token')).toBe(false);
  expect(tokensEqual('', 'x')).toBe(false);
});
