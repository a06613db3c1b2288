import { randomBytes, randomUUID } from 'node:crypto';
import type { Advice } from '@bank/shared-contracts';
import { createPrimaryClient } from '../src/primary-client';
import { reconcile, redriveMissing } from '../src/reconciliation';
import { fetchPrimaryApplied } from '../src/reconciliation-sources';
import { INTERNAL_TOKEN, startPrimaryProcess } from './primary-process';

const freeze = (accountId: string, sequence: number): Advice => ({
  adviceId: randomUUID(), type: 'card.frozen', accountId, sequence, correlationId: randomUUID(), createdAt: '2026-11-21T12:00:00Z', schemaVersion: 1,
  payload: { cardId: randomUUID(), requestedBy: 'customer' },
});
const appliedFrom = (advice: Advice) => ({ adviceId: advice.adviceId, accountId: advice.accountId, sequence: advice.sequence, type: advice.type, correlationId: advice.correlationId });

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

describe('re-drive against the real primary', () => {
  let primary: Awaited<ReturnType<typeof startPrimaryProcess>>;
  beforeAll(async () => {
    primary = await startPrimaryProcess();
  }, 60_000);
  afterAll(() => primary.stop());

  test('when advices were lost in transport, then re-drive applies them from the log in order and the report comes back clean', async () => {
    const call = async (path: string, body: unknown, token?: string) =>
      (await (await fetch(`${primary.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })).json()) as Record<string, string>;
    const account = await call('/accounts', { holderName: 'Reconciled' });
    const card = await call(`/internal/accounts/${account.id}/cards`, {}, INTERNAL_TOKEN);
    const log: Advice[] = [1, 2, 3].map((sequence) => ({
      adviceId: randomUUID(), type: 'card_payment.approved', accountId: account.id!, sequence, correlationId: randomUUID(), createdAt: new Date().toISOString(), schemaVersion: 1,
      payload: { cardId: card.id!, authorisation: { stan: String(sequence).padStart(6, '0'), rrn: randomBytes(6).toString('hex').toUpperCase(), terminalId: 'RECON001', mti: '0100', processingCode: '000000', amountMinor: 500, currency: 'GBP', merchant: { name: 'SHOP', categoryCode: '5411', city: 'Ely', country: 'GB' }, authorisationCode: 'SI0001', transmittedAt: new Date().toISOString() } },
    }));
    const client = createPrimaryClient({ url: primary.url, token: INTERNAL_TOKEN });
    await client.apply(log[0]!);
    const api = { url: primary.url, token: INTERNAL_TOKEN };
    const mine = (applied: Awaited<ReturnType<typeof fetchPrimaryApplied>>) => applied.filter((row) => row.accountId === account.id);
    const before = reconcile(log, mine(await fetchPrimaryApplied(api)), new Date());
    expect(before.accounts).toEqual([{ accountId: account.id, missing: [2, 3], duplicated: [], diverging: [] }]);
    expect(await redriveMissing(before, log, client)).toEqual({ applied: 2, failed: [] });
    expect(reconcile(log, mine(await fetchPrimaryApplied(api)), new Date()).clean).toBe(true);
    // Re-driving again changes nothing.
    expect((await redriveMissing(before, log, client)).applied).toBe(2);
    const balance = (await (await fetch(`${primary.url}/accounts/${account.id}`, { headers: { authorization: `Bearer ${account.token}` } })).json()) as { balance: { heldMinor: number } };
    expect(balance.balance.heldMinor).toBe(1_500);
  }, 60_000);
});
