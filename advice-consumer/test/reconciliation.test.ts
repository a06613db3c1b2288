import { randomBytes, randomUUID } from 'node:crypto';
import type { Advice } from '@bank/shared-contracts';
import { createPrimaryClient } from '../src/primary-client';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { reconcile, redriveMissing } from '../src/reconciliation';
import { startRedriveLoop } from '../src/redrive-loop';
import { fetchPrimaryApplied } from '../src/reconciliation-sources';
import { CREDENTIALS, credentialFor, startPrimaryProcess } from './primary-process';

const freeze = (accountId: string, sequence: number): Advice => ({
  adviceId: randomUUID(),
  type: 'card.frozen',
  accountId,
  sequence,
  correlationId: randomUUID(),
  createdAt: '2026-11-21T12:00:00Z',
  schemaVersion: 1,
  payload: { cardId: randomUUID(), requestedBy: 'customer' },
});
const appliedFrom = (advice: Advice) => ({
  adviceId: advice.adviceId,
  accountId: advice.accountId,
  sequence: advice.sequence,
  type: advice.type,
  correlationId: advice.correlationId,
});

describe('reconciliation report', () => {
  const a = randomUUID();
  const b = randomUUID();
  const now = new Date('2026-11-21T13:00:00Z');

  test('when primary has applied everything once, then the report is clean', () => {
    const log = [freeze(a, 1), freeze(a, 2), freeze(b, 1)];
    expect(reconcile(log, log.map(appliedFrom), now)).toMatchObject({ clean: true, accounts: [], standinAdvices: 3, primaryApplied: 3 });
  });

  test('missing, duplicated and diverging advices are each reported against their account', () => {
    const log = [freeze(a, 1), freeze(a, 2), freeze(a, 3), freeze(b, 1)];
    const twice = { ...appliedFrom(log[0]!), adviceId: randomUUID(), sequence: 9 };
    const other = { ...appliedFrom(log[3]!), adviceId: randomUUID() };
    const report = reconcile(log, [appliedFrom(log[0]!), twice, other], now);
    expect(report.clean).toBe(false);
    const byAccount = Object.fromEntries(report.accounts.map((row) => [row.accountId, row]));
    expect(byAccount[a]).toMatchObject({ missing: [2, 3], duplicated: [log[0]!.correlationId], diverging: [{ sequence: 9, primary: twice.adviceId }] });
    expect(byAccount[b]).toMatchObject({ missing: [], diverging: [{ sequence: 1, standin: log[3]!.adviceId, primary: other.adviceId }] });
  });
});

describe('quarantined advices in the report', () => {
  test('when primary quarantined an advice, then it is listed apart with its reason, not as missing (re-sending cannot help), and the report is not clean', () => {
    const a = randomUUID();
    const log = [freeze(a, 1), freeze(a, 2), freeze(a, 3)];
    const held = {
      adviceId: log[1]!.adviceId,
      accountId: a,
      sequence: 2,
      type: 'card.frozen',
      reason: 'card x is not a card of account y',
      quarantinedAt: '2026-11-21T12:00:01.000Z',
    };
    const report = reconcile(log, [appliedFrom(log[0]!), appliedFrom(log[2]!)], new Date(), [held]);
    expect(report).toMatchObject({ accounts: [], quarantined: [held], clean: false });
  });
});

describe('re-drive against the real primary', () => {
  let primary: Awaited<ReturnType<typeof startPrimaryProcess>>;
  beforeAll(async () => {
    primary = await startPrimaryProcess();
  }, 60_000);
  afterAll(() => primary.stop());

  test('when advices were lost in transport, then re-drive applies them from the log in order and the report comes back clean', async () => {
    const call = async (path: string, body: unknown, token?: string) =>
      (await (
        await fetch(`${primary.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...((token ?? credentialFor(path)) ? { authorization: `Bearer ${token ?? credentialFor(path)}` } : {}),
          },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, string>;
    const account = await call('/accounts', { holderName: 'Reconciled' });
    const card = await call(`/internal/accounts/${account.id}/cards`, {});
    const log: Advice[] = [1, 2, 3].map((sequence) => ({
      adviceId: randomUUID(),
      type: 'card_payment.approved',
      accountId: account.id!,
      sequence,
      correlationId: randomUUID(),
      createdAt: new Date().toISOString(),
      schemaVersion: 1,
      payload: {
        cardId: card.id!,
        authorisation: {
          stan: String(sequence).padStart(6, '0'),
          rrn: randomBytes(6).toString('hex').toUpperCase(),
          terminalId: 'RECON001',
          mti: '0100',
          processingCode: '000000',
          amountMinor: 500,
          currency: 'GBP',
          merchant: { name: 'SHOP', categoryCode: '5411', city: 'Ely', country: 'GB' },
          authorisationCode: 'SI0001',
          transmittedAt: new Date().toISOString(),
        },
      },
    }));
    const client = createPrimaryClient({ url: primary.url, token: CREDENTIALS['advice-consumer'] });
    await client.apply(log[0]!);
    const api = { url: primary.url, token: CREDENTIALS['advice-consumer'] };
    const mine = (applied: Awaited<ReturnType<typeof fetchPrimaryApplied>>) => applied.filter((row) => row.accountId === account.id);
    const before = reconcile(log, mine(await fetchPrimaryApplied(api)), new Date());
    expect(before.accounts).toEqual([{ accountId: account.id, missing: [2, 3], duplicated: [], diverging: [] }]);
    expect(await redriveMissing(before, log, client)).toEqual({ applied: 2, failed: [] });
    expect(reconcile(log, mine(await fetchPrimaryApplied(api)), new Date()).clean).toBe(true);
    // Re-driving again changes nothing.
    expect((await redriveMissing(before, log, client)).applied).toBe(2);
    const balance = (await (await fetch(`${primary.url}/accounts/${account.id}`, { headers: { authorization: `Bearer ${account.token}` } })).json()) as {
      balance: { heldMinor: number };
    };
    expect(balance.balance.heldMinor).toBe(1_500);
  }, 60_000);
});

describe('the re-drive loop', () => {
  let primary: Awaited<ReturnType<typeof startPrimaryProcess>>;
  beforeAll(async () => {
    primary = await startPrimaryProcess();
  }, 60_000);
  afterAll(() => primary.stop());

  test('when advices are missing in primary, then the loop asks stand-in only for those not seen applied, primary which of them it has, and applies the rest in order', async () => {
    const call = async (path: string, body: unknown, token?: string) =>
      (await (
        await fetch(`${primary.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...((token ?? credentialFor(path)) ? { authorization: `Bearer ${token ?? credentialFor(path)}` } : {}),
          },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, string>;
    const account = await call('/accounts', { holderName: 'Re-driven' });
    const card = await call(`/internal/accounts/${account.id}/cards`, {});
    const log: Advice[] = [1, 2, 3].map((sequence) => ({
      ...freeze(account.id!, sequence),
      type: 'card.frozen',
      payload: { cardId: card.id!, requestedBy: 'customer' },
    }));
    const client = createPrimaryClient({ url: primary.url, token: CREDENTIALS['advice-consumer'] });
    expect((await client.apply(log[0]!)).kind).toBe('applied');

    // Stand-in's internal API as the loop uses it: the advices it has not seen applied, by a time.
    const asked: URLSearchParams[] = [];
    const standin = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      asked.push(url.searchParams);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ advices: url.searchParams.has('unseenAppliedBefore') ? log : [] }));
    });
    await new Promise<void>((resolve) => standin.listen(0, '127.0.0.1', resolve));
    const registry = new Registry();
    const redriven = new Counter({ name: 'redriven', help: 'test', registers: [registry] });
    const loop = startRedriveLoop({
      standin: { url: `http://127.0.0.1:${(standin.address() as AddressInfo).port}`, token: 'standin-token' },
      primaryApi: { url: primary.url, token: CREDENTIALS['advice-consumer'] },
      primary: client,
      logger: pino({ level: 'silent' }),
      redriven,
      intervalMs: 50,
      minimumAgeMs: 0,
    });
    try {
      const mine = async () =>
        (await fetchPrimaryApplied({ url: primary.url, token: CREDENTIALS['advice-consumer'] }))
          .filter((row) => row.accountId === account.id)
          .map((row) => row.sequence);
      const deadline = Date.now() + 20_000;
      while ((await mine()).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await mine()).toEqual([1, 2, 3]);
      // Only the two missing were applied: the one primary had was found by asking, not re-sent.
      expect((await registry.getSingleMetric('redriven')!.get()).values[0]!.value).toBe(2);
      expect(asked[0]!.get('limit')).toBe('2000');
    } finally {
      loop.stop();
      await new Promise((resolve) => standin.close(resolve));
    }
  }, 60_000);
});
