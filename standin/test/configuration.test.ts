import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { INITIAL_CONFIGURATION, userBucket, type ConfigurationDocument } from '@bank/shared-contracts';
import { createStandinServer } from '../src/app/server';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import type { Database } from '../src/store/database';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { startPeerConfiguration } from '../src/configuration/peer-configuration';
import { SyncedAccount, testKeys } from './synced-state';
import { temporaryStandinDatabase } from './temporary-database';
import { CREDENTIALS, TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// Stand-in's configuration service through its HTTP API, on a database of the test's own: the
// configuration is global state, and the shared database belongs to whatever stack is running.

let temporary: Awaited<ReturnType<typeof temporaryStandinDatabase>>;
let database: Database;
let address = '';
let server: ReturnType<typeof createStandinServer>;
const OPERATOR = 'night-shift-token';
/** Primary's credential: the peer platform reads and adopts with it. */
const INTERNAL = CREDENTIALS.primary;

beforeAll(async () => {
  temporary = await temporaryStandinDatabase('configuration');
  database = temporary.database;
  const now = () => new Date();
  server = createStandinServer({
    database,
    logger: pino({ level: 'silent' }),
    now,
    keys: testKeys,
    services: TEST_SERVICES,
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: `dana:${OPERATOR},eli:other-operator-token` }),
    cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
  });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server.close();
  await temporary.drop();
});

async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${address}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const current = async () => (await call('GET', '/configuration', { token: OPERATOR })).body as ConfigurationDocument;
const change = (body: Record<string, unknown>, token = OPERATOR) => call('POST', '/configuration/changes', { token, body });

describe("stand-in's configuration service", () => {
  test('when nothing has been changed yet, then it serves the initial document: stand-in off for everyone', async () => {
    expect(await current()).toEqual(INITIAL_CONFIGURATION);
  });

  test('when an operator routes card spending for two users, then the version goes up and says who, when and why', async () => {
    const before = await current();
    const answer = await change({
      basedOnVersion: before.version,
      reason: 'card processor down INC-42',
      components: { cardPaymentsOutbound: { mode: 'users', userIds: ['u-1', 'u-2'] } },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      version: before.version + 1,
      updatedBy: 'dana',
      reason: 'card processor down INC-42',
      components: { cardPaymentsOutbound: { mode: 'users', userIds: ['u-1', 'u-2'] }, app: { mode: 'nobody' } },
    });
    expect(Date.now() - Date.parse(answer.body.updatedAt)).toBeLessThan(60_000);
    expect(await current()).toEqual(answer.body);
  });

  test('when a change is based on a version that is no longer current, then it is refused with 409 and nothing changes', async () => {
    const before = await current();
    const answer = await change({ basedOnVersion: before.version - 1, reason: 'stale view', directConnect: true });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('CONFIGURATION_STALE');
    expect(answer.body.error.message).toContain(`now holds version ${before.version}`);
    expect(await current()).toEqual(before);
  });

  test('when two operators change the same version at once, then exactly one wins', async () => {
    const before = await current();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        change({ basedOnVersion: before.version, reason: `race ${index}`, prescale: index % 2 === 0 }, index % 2 ? 'other-operator-token' : OPERATOR),
      ),
    );
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 409)).toHaveLength(5);
    expect((await current()).version).toBe(before.version + 1);
  });

  test('when a customer token, a wrong token or no token asks to change or read the configuration, then it is refused and nothing changes', async () => {
    const customer = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const before = await current();
    for (const token of [customer.token, 'not-a-token', '', INTERNAL]) {
      const answer = await change({ basedOnVersion: before.version, reason: 'should not land', directConnect: true }, token);
      // Known to stand-in (a customer, the internal token) but not allowed: 403; unknown: 401.
      const known = token === customer.token || token === INTERNAL;
      expect(answer.status).toBe(known ? 403 : 401);
      expect(answer.body.error.code).toBe(known ? 'STANDIN_FORBIDDEN' : 'STANDIN_UNAUTHENTICATED');
    }
    expect((await call('GET', '/configuration', { token: customer.token })).status).toBe(403);
    // The gateway and primary read with the internal token; they may not write with it.
    expect((await call('GET', '/configuration', { token: INTERNAL })).body).toEqual(before);
    expect(await current()).toEqual(before);
  });

  test('when a change is malformed, then the error names the field and nothing changes', async () => {
    const before = await current();
    const answer = await change({ basedOnVersion: before.version, reason: '', components: { app: { mode: 'percent', percent: 150 } } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual(expect.arrayContaining(['reason', 'components.app.percent']));
    expect(await current()).toEqual(before);
  });

  test('when primary offers a newer document, then it is adopted whole; an equal one is a no-op; an older or conflicting one is refused', async () => {
    const before = await current();
    const newer: ConfigurationDocument = {
      ...before,
      version: before.version + 3,
      updatedBy: 'fay',
      reason: 'changed on primary while stand-in was away',
      directConnect: true,
    };
    const adopted = await call('POST', '/configuration/adopt', { token: INTERNAL, body: newer });
    expect(adopted.body).toEqual({ adopted: true, current: newer });
    expect(await current()).toEqual(newer);

    expect((await call('POST', '/configuration/adopt', { token: OPERATOR, body: newer })).body).toMatchObject({
      adopted: false,
      reason: `already at version ${newer.version}`,
    });
    expect((await call('POST', '/configuration/adopt', { token: OPERATOR, body: before })).status).toBe(409);
    const conflicting = await call('POST', '/configuration/adopt', { token: OPERATOR, body: { ...newer, reason: 'a different story' } });
    expect(conflicting.status).toBe(409);
    expect(conflicting.body.error.message).toContain('different document');
    expect(await current()).toEqual(newer);
  });

  test('when an operator reads the audit log, then every version is there, newest first, with where it came from', async () => {
    const { entries } = (await call('GET', '/configuration/audit?limit=100', { token: OPERATOR })).body as {
      entries: { version: number; source: string; recordedBy: string }[];
    };
    expect(entries.map((entry) => entry.version)).toEqual([...entries.map((entry) => entry.version)].sort((a, b) => b - a));
    expect(entries[0]).toMatchObject({ source: 'adopted', recordedBy: 'peer:primary' });
    expect(entries.some((entry) => entry.source === 'change' && entry.recordedBy === 'dana')).toBe(true);
    expect((await call('GET', '/configuration/audit', { token: INTERNAL })).status).toBe(403);
  });

  test('when an app asks for its status, then the answer follows the app targeting for that user', async () => {
    const users = Array.from({ length: 40 }, (_, index) => `user-${index}`);
    const before = await current();
    await change({ basedOnVersion: before.version, reason: 'apps to stand-in for a quarter', components: { app: { mode: 'percent', percent: 25 } } });
    for (const user of users) {
      const status = (await call('GET', `/status?user=${user}`)).body;
      const expected = userBucket(user) < 25 ? 'standin' : 'primary';
      expect({ user, talkTo: status.talkTo, experience: status.experience }).toEqual({
        user,
        talkTo: expected,
        experience: expected === 'standin' ? 'standin' : 'full',
      });
    }
    expect((await call('GET', '/status?user=bad%20user')).status).toBe(400);
  });

  test("when primary holds a different document at stand-in's version (a change on each side of a partition), then stand-in records its own again as the next version, saying what it dropped, once", async () => {
    const ours = await current();
    const theirs: ConfigurationDocument = { ...ours, updatedBy: 'gil', reason: 'prescale on primary while cut off', prescale: !ours.prescale };
    const primary = createServer((request, response) => {
      response.writeHead(request.headers.authorization === `Bearer ${CREDENTIALS.standin}` ? 200 : 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify(theirs));
    });
    await new Promise<void>((resolve) => primary.listen(0, '127.0.0.1', resolve));
    const peer = startPeerConfiguration({
      database,
      logger: pino({ level: 'silent' }),
      primaryUrl: `http://127.0.0.1:${(primary.address() as AddressInfo).port}`,
      standinCredential: CREDENTIALS.standin,
      intervalMs: 60_000,
      now: () => new Date('2026-12-06T03:00:00.000Z'),
    });
    try {
      await peer.pullOnce();
      const settled = await current();
      expect(settled).toEqual({
        ...ours,
        version: ours.version + 1,
        updatedAt: '2026-12-06T03:00:00.000Z',
        updatedBy: 'standin:split-settlement',
        reason: `settles a split at version ${ours.version}: stand-in's "${ours.reason}" by ${ours.updatedBy} stands; primary's "prescale on primary while cut off" by gil is dropped`,
      });
      // Primary is now behind, not split: a second pass (or another replica's) records nothing more.
      await peer.pullOnce();
      expect(await current()).toEqual(settled);
      const { entries } = (await call('GET', '/configuration/audit?limit=2', { token: OPERATOR })).body as {
        entries: { version: number; source: string; recordedBy: string }[];
      };
      expect(entries[0]).toMatchObject({ version: ours.version + 1, source: 'change', recordedBy: 'standin:split-settlement' });
      expect(entries[1]).toMatchObject({ version: ours.version });
    } finally {
      await peer.stop();
      primary.close();
    }
  });
});
