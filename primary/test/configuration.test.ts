import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { INITIAL_CONFIGURATION, userBucket, type ConfigurationDocument } from '@bank/shared-contracts';
import { createConfigurationCache } from '../src/configuration/configuration-cache';
import { createConfigurationStore } from '../src/configuration/configuration-store';
import { createConfigurationPeerSync } from '../src/configuration/peer-sync';
import { createPool } from '../src/platform/db';
import { createMetrics } from '../src/platform/metrics';
import { CREDENTIALS, startPrimary } from './harness';

// Primary's configuration service over HTTP, against the real PostgreSQL, in a database of its
// own: the configuration is platform-wide, and every primary on the shared database (other
// tests, `npm start`, end-to-end stacks) would otherwise route with what these tests write.

const ALICE = { name: 'alice', token: 'alice-operator-token' };
const BOB = { name: 'bob', token: 'bob-operator-token' };

const startConfiguredPrimary = () => startPrimary({ ownDatabase: 'configuration', operators: [ALICE, BOB] });

let primary: Awaited<ReturnType<typeof startConfiguredPrimary>>;
let customerToken: string;
beforeAll(async () => {
  primary = await startConfiguredPrimary();
  customerToken = (await primary.call('POST', '/accounts', { body: { holderName: 'Curious Customer' } })).body.token;
}, 60_000);
afterAll(() => primary?.close());

const current = async (): Promise<ConfigurationDocument> => (await primary.call('GET', '/configuration', { token: ALICE.token })).body;
const audit = async (limit = 1_000) =>
  (await primary.call('GET', `/configuration/audit?limit=${limit}`, { token: ALICE.token })).body.entries as {
    version: number;
    source: string;
    recordedBy: string;
    document: ConfigurationDocument;
  }[];

/** An operator's change based on whatever is current now. */
async function change(operator: { token: string }, body: Record<string, unknown>) {
  const { version } = await current();
  return primary.call('POST', '/configuration/changes', { token: operator.token, body: { basedOnVersion: version, ...body } });
}

/** A user id whose stable bucket is below (or at or above) `percent`. */
function userInBucket(below: boolean, percent: number): string {
  for (let index = 0; ; index++) {
    const candidate = `user-${index}`;
    if (userBucket(candidate) < percent === below) return candidate;
  }
}

describe('configuration changes', () => {
  test('when nothing was ever changed, then the configuration is the initial one: stand-in off for everyone', async () => {
    expect(await current()).toEqual(INITIAL_CONFIGURATION);
    expect((await primary.call('GET', '/configuration', { token: CREDENTIALS.standin })).body).toEqual(INITIAL_CONFIGURATION);
    expect(await audit()).toEqual([]);
  });

  test('when an operator changes one component, then the version goes up by one with who, when and why, and the rest is kept', async () => {
    const before = await current();
    primary.clock.set('2026-11-21T13:05:00Z');
    const response = await change(ALICE, {
      reason: 'INC-42: card payments for a pilot user',
      components: { cardPaymentsOutbound: { mode: 'users', userIds: ['pilot-1'] } },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...before,
      version: before.version + 1,
      updatedAt: '2026-11-21T13:05:00.000Z',
      updatedBy: 'alice',
      reason: 'INC-42: card payments for a pilot user',
      components: { ...before.components, cardPaymentsOutbound: { mode: 'users', userIds: ['pilot-1'] } },
    });
    expect(await current()).toEqual(response.body);
    expect((await audit(1))[0]).toMatchObject({ version: before.version + 1, source: 'change', recordedBy: 'alice' });
  });

  test('when a client claims to be someone else, then the change is refused as invalid: the operator is who the token says', async () => {
    const before = await current();
    const response = await change(ALICE, { reason: 'pretending', updatedBy: 'mallory', prescale: true });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('CONFIGURATION_INVALID');
    expect(response.body.error.message).toContain('updatedBy');
    expect(await current()).toEqual(before);
  });

  test('when a change is malformed, then the reply names each bad field and nothing changes', async () => {
    const before = await current();
    const response = await primary.call('POST', '/configuration/changes', {
      token: ALICE.token,
      body: { basedOnVersion: before.version, reason: '', components: { app: { mode: 'percent', percent: 120 } } },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('CONFIGURATION_INVALID');
    expect(response.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual(['components.app.percent', 'reason']);
    expect(await current()).toEqual(before);
  });

  test('when a change is based on a stale version, then it is refused 409 naming both versions and who made the current one, and nothing changes', async () => {
    await change(BOB, { reason: 'INC-43: prescale stand-in', prescale: true });
    const now = await current();
    const auditBefore = await audit();
    const response = await primary.call('POST', '/configuration/changes', {
      token: ALICE.token,
      body: { basedOnVersion: now.version - 1, reason: 'late change', directConnect: true },
    });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CONFIGURATION_STALE');
    expect(response.body.error.message).toContain(`based on version ${now.version - 1}`);
    expect(response.body.error.message).toContain(`version ${now.version} (by bob at ${now.updatedAt}: "INC-43: prescale stand-in")`);
    expect(response.body.error.message).toContain('read the configuration again and re-apply');
    expect(await current()).toEqual(now);
    expect(await audit()).toEqual(auditBefore);
  });

  test('when two operators change the same version at the same moment, then exactly one wins and the other is told it is stale', async () => {
    for (let round = 0; round < 5; round++) {
      const { version } = await current();
      const attempts = await Promise.all(
        [ALICE, BOB].map((operator) =>
          primary.call('POST', '/configuration/changes', {
            token: operator.token,
            body: {
              basedOnVersion: version,
              reason: `race ${round} by ${operator.token}`,
              components: { app: { mode: 'users', userIds: [operator.token.split('-')[0]!] } },
            },
          }),
        ),
      );
      expect(attempts.map((attempt) => attempt.status).sort()).toEqual([200, 409]);
      expect(attempts.find((attempt) => attempt.status === 409)!.body.error.code).toBe('CONFIGURATION_STALE');
      const winner = attempts.find((attempt) => attempt.status === 200)!.body as ConfigurationDocument;
      expect(await current()).toEqual(winner);
      expect(winner.version).toBe(version + 1);
    }
    const versions = (await audit()).map((entry) => entry.version);
    expect(new Set(versions).size).toBe(versions.length);
  });

  test('the audit lists every version newest first, and honours the limit', async () => {
    const entries = await audit();
    const versions = entries.map((entry) => entry.version);
    expect(versions).toEqual([...versions].sort((a, b) => b - a));
    expect(versions[0]).toBe((await current()).version);
    expect(entries.every((entry) => entry.document.version === entry.version)).toBe(true);
    expect(await audit(2)).toEqual(entries.slice(0, 2));
    const bad = await primary.call('GET', '/configuration/audit?limit=0', { token: ALICE.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('CONFIGURATION_INVALID');
  });

  test('the stored history cannot be rewritten, even from inside the database', async () => {
    await expect(primary.db.query("update configuration_versions set recorded_by = 'mallory'")).rejects.toThrow(/append-only/);
    await expect(primary.db.query('delete from configuration_versions')).rejects.toThrow(/append-only/);
  });
});

describe('who may read and change the configuration', () => {
  test.each([
    ['no token', undefined],
    ['a wrong token', 'not-an-operator'],
    ["a customer's app token", 'customer'],
  ])('with %s, changes, adoption, the audit and reads are refused (401 unknown, 403 a customer) and nothing changes', async (_what, token) => {
    const presented = token === 'customer' ? customerToken : token;
    const before = await current();
    const attempts = [
      await primary.call('POST', '/configuration/changes', {
        ...(presented ? { token: presented } : {}),
        body: { basedOnVersion: before.version, reason: 'sneaky', directConnect: true },
      }),
      await primary.call('POST', '/configuration/adopt', {
        ...(presented ? { token: presented } : {}),
        body: { ...before, version: before.version + 1, reason: 'sneaky' },
      }),
      await primary.call('GET', '/configuration/audit', presented ? { token: presented } : {}),
      await primary.call('GET', '/configuration', presented ? { token: presented } : {}),
    ];
    for (const attempt of attempts) {
      // A customer is known to primary, and the call map does not let them near the configuration.
      expect(attempt.status).toBe(token === 'customer' ? 403 : 401);
      expect(attempt.body.error.code).toBe(token === 'customer' ? 'PRIMARY_FORBIDDEN' : 'PRIMARY_UNAUTHENTICATED');
    }
    expect(await current()).toEqual(before);
  });

  test("stand-in's credential reads the configuration and offers documents, but cannot make changes; other services cannot read it", async () => {
    for (const identity of ['gateway', 'advice-consumer', 'card-manufacturer', 'onboarding'] as const) {
      expect((await primary.call('GET', '/configuration', { token: CREDENTIALS[identity] })).status).toBe(403);
      const { version } = await current();
      expect(
        (await primary.call('POST', '/configuration/adopt', { token: CREDENTIALS[identity], body: { ...(await current()), version: version + 1 } })).status,
      ).toBe(403);
    }
    expect((await primary.call('GET', '/configuration', { token: CREDENTIALS.standin })).status).toBe(200);
    const { version } = await current();
    const response = await primary.call('POST', '/configuration/changes', {
      token: CREDENTIALS.standin,
      body: { basedOnVersion: version, reason: 'a service is not an operator' },
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('PRIMARY_FORBIDDEN');
  });
});

describe('adopting a whole document from the other platform', () => {
  const offered = (base: ConfigurationDocument, overrides: Partial<ConfigurationDocument>): ConfigurationDocument => ({
    ...base,
    updatedAt: '2026-11-21T14:00:00.000Z',
    updatedBy: 'carol',
    reason: 'INC-44: decided on stand-in while primary was down',
    ...overrides,
  });

  test('when the offered version is higher, then it is taken verbatim and recorded as adopted by whoever sent it', async () => {
    const before = await current();
    const document = offered(before, {
      version: before.version + 3,
      components: { ...before.components, fasterPaymentsInbound: { mode: 'percent', percent: 10 } },
    });
    const response = await primary.call('POST', '/configuration/adopt', { token: CREDENTIALS.standin, body: document });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ adopted: true, current: document });
    expect(await current()).toEqual(document);
    expect((await audit(1))[0]).toMatchObject({ version: document.version, source: 'adopted', recordedBy: 'peer:standin', document });
  });

  test('when the offered document is the one primary holds, then nothing is recorded and the answer says why', async () => {
    const now = await current();
    const auditBefore = await audit();
    const response = await primary.call('POST', '/configuration/adopt', { token: ALICE.token, body: now });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ adopted: false, reason: `primary already holds version ${now.version} with the same content`, current: now });
    expect(await audit()).toEqual(auditBefore);
  });

  test('when the offered version is lower, or the same version says something else, then it is refused 409 and never merged', async () => {
    const now = await current();
    const auditBefore = await audit();
    const lower = await primary.call('POST', '/configuration/adopt', { token: ALICE.token, body: offered(now, { version: now.version - 1 }) });
    expect(lower.status).toBe(409);
    expect(lower.body.error.code).toBe('CONFIGURATION_STALE');
    expect(lower.body.error.message).toContain(`offered version ${now.version - 1} is older than primary's version ${now.version}`);
    const different = await primary.call('POST', '/configuration/adopt', {
      token: ALICE.token,
      body: offered(now, { version: now.version, directConnect: !now.directConnect }),
    });
    expect(different.status).toBe(409);
    expect(different.body.error.code).toBe('CONFIGURATION_STALE');
    expect(different.body.error.message).toContain(`different document at version ${now.version}`);
    expect(await current()).toEqual(now);
    expect(await audit()).toEqual(auditBefore);
  });
});

describe('GET /status?user=', () => {
  test('when the app is on stand-in for a list of users, then exactly those users are told to use stand-in', async () => {
    const response = await change(ALICE, {
      reason: 'INC-45: app on stand-in for two users',
      components: { app: { mode: 'users', userIds: ['listed-1', 'listed-2'] } },
    });
    const version = response.body.version;
    const listed = await primary.call('GET', '/status?user=listed-2');
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ platform: 'primary', configurationVersion: version, user: 'listed-2', experience: 'standin', talkTo: 'standin' });
    expect((await primary.call('GET', '/status?user=someone-else')).body).toMatchObject({
      configurationVersion: version,
      user: 'someone-else',
      experience: 'full',
      talkTo: 'primary',
    });
    const anonymous = (await primary.call('GET', '/status')).body;
    expect(anonymous).toMatchObject({ platform: 'primary', configurationVersion: version, experience: 'full', talkTo: 'primary' });
    expect(anonymous).not.toHaveProperty('user');
  });

  test("when the app is on stand-in for a percentage, then each user's answer follows their stable bucket", async () => {
    await change(ALICE, { reason: 'INC-46: app on stand-in for 30 %', components: { app: { mode: 'percent', percent: 30 } } });
    const below = userInBucket(true, 30);
    const above = userInBucket(false, 30);
    expect((await primary.call('GET', `/status?user=${below}`)).body).toMatchObject({ user: below, experience: 'standin', talkTo: 'standin' });
    expect((await primary.call('GET', `/status?user=${above}`)).body).toMatchObject({ user: above, experience: 'full', talkTo: 'primary' });
    await change(ALICE, { reason: 'INC-46: app on stand-in for everyone', components: { app: { mode: 'everyone' } } });
    expect((await primary.call('GET', `/status?user=${above}`)).body).toMatchObject({ experience: 'standin', talkTo: 'standin' });
  });

  test('when the user id is not a valid user id, then it is a 400 naming the parameter', async () => {
    for (const bad of ['has%20space', 'x'.repeat(65), '']) {
      const response = await primary.call('GET', `/status?user=${bad}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('PRIMARY_INVALID_REQUEST');
      expect(response.body.error.message).toContain('user: expected a user id');
    }
  });
});

describe('the in-memory configuration routing reads', () => {
  test('when the database cannot be read, then the cache keeps the last known document and says so once', async () => {
    const db = createPool(primary.databaseUrl, { maxConnections: 1 });
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const cache = createConfigurationCache({ store: createConfigurationStore({ db, clock: primary.clock }), logger, metrics: createMetrics() });
    await cache.refresh();
    const known = cache.current();
    expect(known).toEqual(await current());
    await db.end();
    await cache.refresh();
    await cache.refresh();
    expect(cache.current()).toEqual(known);
    expect(lines.filter((line) => line.msg.includes('routing keeps the last known version'))).toHaveLength(1);
  });
});

/** Stand-in's configuration API as far as primary's peer sync sees it: a real HTTP server answering what the test says. */
async function startPeer(answer: { status: number; body?: unknown }) {
  const seenTokens: (string | undefined)[] = [];
  const server = http.createServer((request, response) => {
    seenTokens.push(request.headers.authorization);
    if (request.url !== '/configuration') return void response.writeHead(404).end();
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answer,
    seenTokens,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("peer sync: primary takes stand-in's newer configuration", () => {
  function peerSync(url: string) {
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const { store, cache } = primary.services.configuration;
    return {
      sync: createConfigurationPeerSync({
        standinUrl: url,
        primaryCredential: 'standin-internal',
        timeoutMs: 500,
        store,
        cache,
        logger,
        metrics: primary.metrics,
      }),
      lines,
    };
  }

  test('when stand-in holds a higher version, then primary adopts it, records it as from stand-in, and routes with it at once', async () => {
    const ours = await current();
    const theirs: ConfigurationDocument = {
      ...ours,
      version: ours.version + 2,
      updatedBy: 'dave',
      updatedAt: '2026-11-21T15:00:00.000Z',
      reason: 'INC-47: changed on stand-in',
      components: { ...ours.components, app: { mode: 'users', userIds: ['from-standin'] } },
    };
    const peer = await startPeer({ status: 200, body: theirs });
    try {
      const { sync } = peerSync(peer.url);
      expect(await sync.syncOnce()).toBe('adopted');
      expect(peer.seenTokens).toEqual(['Bearer standin-internal']);
      expect(await current()).toEqual(theirs);
      expect((await audit(1))[0]).toMatchObject({ version: theirs.version, source: 'adopted', recordedBy: 'peer:standin' });
      expect((await primary.call('GET', '/status?user=from-standin')).body).toMatchObject({ configurationVersion: theirs.version, talkTo: 'standin' });
      expect(await sync.syncOnce()).toBe('current');
    } finally {
      await peer.close();
    }
  });

  test("when primary's database cannot record stand-in's newer document, then primary routes by it at once and records it when the database is back", async () => {
    const ours = await current();
    const theirs: ConfigurationDocument = {
      ...ours,
      version: ours.version + 1,
      updatedBy: 'erin',
      updatedAt: '2026-11-21T16:00:00.000Z',
      reason: "INC-48: primary's database is down",
      components: { ...ours.components, app: { mode: 'users', userIds: ['db-outage'] } },
    };
    const peer = await startPeer({ status: 200, body: theirs });
    const { store, cache } = primary.services.configuration;
    let databaseDown = true;
    const failingStore = {
      ...store,
      adopt: (document: ConfigurationDocument, recordedBy: string) =>
        databaseDown
          ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:15432'), { code: 'ECONNREFUSED' }))
          : store.adopt(document, recordedBy),
    };
    try {
      const sync = createConfigurationPeerSync({
        standinUrl: peer.url,
        primaryCredential: 'standin-internal',
        timeoutMs: 500,
        store: failingStore,
        cache,
        logger: pino({ level: 'silent' }),
        metrics: primary.metrics,
      });
      expect(await sync.syncOnce()).toBe('adopted_unrecorded');
      // Routing (and GET /configuration, which answers from the same cache) follows stand-in's document ...
      expect(await current()).toEqual(theirs);
      // ... which primary's own database does not hold yet.
      expect(await store.current()).toEqual(ours);
      expect(await sync.syncOnce()).toBe('adopted_unrecorded');
      databaseDown = false;
      expect(await sync.syncOnce()).toBe('adopted');
      expect(await store.current()).toEqual(theirs);
      expect((await audit(1))[0]).toMatchObject({ version: theirs.version, source: 'adopted', recordedBy: 'peer:standin' });
      expect(await sync.syncOnce()).toBe('current');
    } finally {
      await peer.close();
    }
  });

  test('when stand-in holds a different document at the same version, then primary keeps its own and logs the split once, not every tick', async () => {
    const ours = await current();
    const peer = await startPeer({ status: 200, body: { ...ours, reason: 'a different decision at the same version', directConnect: !ours.directConnect } });
    try {
      const { sync, lines } = peerSync(peer.url);
      expect([await sync.syncOnce(), await sync.syncOnce(), await sync.syncOnce()]).toEqual(['conflict', 'conflict', 'conflict']);
      expect(await current()).toEqual(ours);
      expect(lines.filter((line) => line.level === 50)).toHaveLength(1);
    } finally {
      await peer.close();
    }
  });

  test('when stand-in is behind, has no configuration API, sends nonsense or cannot be reached, then primary keeps its own and does not crash', async () => {
    const ours = await current();
    const peer = await startPeer({ status: 200, body: { ...ours, version: ours.version - 1 } });
    try {
      const { sync } = peerSync(peer.url);
      expect(await sync.syncOnce()).toBe('behind');
      peer.answer.status = 404;
      expect(await sync.syncOnce()).toBe('no_service');
      peer.answer.status = 200;
      peer.answer.body = { version: 'latest' };
      expect(await sync.syncOnce()).toBe('invalid');
    } finally {
      await peer.close();
    }
    const unreachable = peerSync(peer.url);
    expect(await unreachable.sync.syncOnce()).toBe('unavailable');
    expect(await unreachable.sync.syncOnce()).toBe('unavailable');
    expect(unreachable.lines.filter((line) => line.level === 40)).toHaveLength(1);
    expect(await current()).toEqual(ours);
  });
});
