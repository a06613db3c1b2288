import { randomBytes, randomUUID } from 'node:crypto';
import { changeConfiguration, currentConfiguration } from '../src/configuration/configuration-store';
import { trackIncident } from '../src/incidents/incident-tracker';
import { renderIncidentMarkdown, renderIncidentReport } from '../src/cli/incident-render';
import { IncidentReport } from '../src/incidents/incident-report';
import type { Database } from '../src/store/database';
import { SyncedAccount } from './synced-state';
import { temporaryStandinDatabase } from './temporary-database';
import { testStandinServer } from './test-server';
import { CREDENTIALS } from './test-credentials';

// The incident, written down: it opens when stand-in is switched on for anyone, records what
// stand-in decided while it served, and closes once everyone is back on primary and primary has
// applied every advice. A database of the file's own: incidents are one open at a time.

let database: Database;
let drop: () => Promise<void>;
let server: ReturnType<typeof testStandinServer>;
let address = '';

beforeAll(async () => {
  ({ database, drop } = await temporaryStandinDatabase('incidents'));
  server = testStandinServer(database, { operatorTokens: 'night-shift:night-token' });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await drop?.();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${address}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes
  return { status: response.status, body: (await response.json()) as any };
}

const authorisation = (account: SyncedAccount, amountMinor: number) => ({
  mti: '0100',
  pan: account.pan,
  expiry: '3011',
  processingCode: '000000',
  amountMinor,
  currency: 'GBP',
  transmittedAt: new Date().toISOString(),
  stan: String(Math.floor(Math.random() * 1e6)).padStart(6, '0'),
  rrn: randomBytes(6).toString('hex').toUpperCase(),
  terminalId: 'SHOP0009',
  acquirerId: '12345678',
  merchant: { name: 'BAKERY', categoryCode: '5462', city: 'Leeds', country: 'GB' },
  posEntryMode: 'contactless',
});

const change = async (components: Record<string, unknown>, reason: string, directConnect?: boolean) =>
  changeConfiguration(database, {
    operator: 'night-shift',
    now: new Date(),
    change: { basedOnVersion: (await currentConfiguration(database)).version, reason, components, ...(directConnect === undefined ? {} : { directConnect }) },
  });

test('an incident opens when stand-in serves anyone, records what it decided, and closes when everyone is back and every advice is applied', async () => {
  expect(await trackIncident(database, new Date())).toEqual({ kind: 'none' });
  // The daily cohort is routine, not an incident.
  await changeConfiguration(database, {
    operator: 'night-shift',
    now: new Date(),
    change: { basedOnVersion: 0, reason: 'daily stand-in exercise', dailyCohort: { percent: 5 } },
  });
  expect(await trackIncident(database, new Date())).toEqual({ kind: 'none' });

  const switchedOn = await change({ cardPaymentsOutbound: { mode: 'everyone' } }, 'INC-42 card processor down', true);
  const opened = await trackIncident(database, new Date());
  expect(opened.kind).toBe('opened');
  const incidentId = (opened as { incidentId: string }).incidentId;
  expect(await trackIncident(database, new Date())).toEqual({ kind: 'open', incidentId });

  // Stand-in serves: two approvals, one decline over the risk limit, one for a frozen card.
  const alice = await new SyncedAccount(database).open({ settledMinor: 500_000 });
  const bob = await new SyncedAccount(database).open({ settledMinor: 1_000, cardStatus: 'frozen' });
  expect((await call('POST', '/scheme/card/authorisations', CREDENTIALS.gateway, authorisation(alice, 1_250))).body.responseCode).toBe('00');
  expect((await call('POST', '/scheme/card/authorisations', CREDENTIALS.gateway, authorisation(alice, 2_000))).body.responseCode).toBe('00');
  expect((await call('POST', '/scheme/card/authorisations', CREDENTIALS.gateway, authorisation(alice, 150_000))).body.responseCode).toBe('61');
  expect((await call('POST', '/scheme/card/authorisations', CREDENTIALS.gateway, authorisation(bob, 500))).body.responseCode).toBe('62');

  // An interim report while it is open: what a regulator's initial notification needs.
  const interim = await call('GET', `/incidents/${incidentId}`, 'night-token');
  expect(interim.status).toBe(200);
  const report = IncidentReport.parse(interim.body);
  expect(report.incident).toMatchObject({ incidentId, stage: 'open', openedVersion: switchedOn.version, openedAt: switchedOn.updatedAt });
  expect(report.customersAffected).toBe(2);
  expect(report.money.cardSpendingApproved).toEqual({ count: 2, amountMinor: 3_250 });
  expect(report.money.cardSpendingDeclined).toEqual({ count: 2, amountMinor: 150_500 });
  expect(report.declinesByRule).toEqual([
    { reason: 'card frozen', count: 1, amountMinor: 500 },
    { rule: 'per-payment', reason: 'stand-in risk limit: per payment', count: 1, amountMinor: 150_000 },
  ]);
  expect(report.timeToFirstDecisionMs).toBeGreaterThanOrEqual(0);
  expect(report.timeline).toEqual([
    {
      version: switchedOn.version,
      decidedAt: switchedOn.updatedAt,
      by: 'night-shift',
      reason: 'INC-42 card processor down',
      standin: 'cardPaymentsOutbound everyone, direct connect',
    },
  ]);
  // Two approvals and two declines, each advised (a decline moves nothing, but primary records it).
  expect(report.advices).toEqual({ recorded: 4, appliedByPrimary: 0, notYetApplied: 4 });
  expect(report.openedBy).toEqual({ by: 'night-shift', reason: 'INC-42 card processor down' });
  expect(renderIncidentReport(report)).toMatch(/opened by\s+night-shift: "INC-42 card processor down"/);
  expect(renderIncidentReport(report)).toMatch(/card spending approved\s+2 \(£32\.50\)/);
  expect(renderIncidentMarkdown(report)).toContain('| stand-in risk limit: per payment [per-payment] | 1 (£1,500.00) |');

  // Everyone back on primary, but primary has not applied the advices yet: still open.
  await change({ cardPaymentsOutbound: { mode: 'nobody' } }, 'INC-42 resolved', false);
  expect(await trackIncident(database, new Date())).toEqual({ kind: 'open', incidentId });
  // Primary applies them (its events carrying the advices' correlation ids sync back, and the sweep sees them).
  const advices = await database.query<{ account_id: string; correlation_id: string }>('select account_id, correlation_id from advices');
  for (const advice of advices.rows) await database.query('update advices set applied_seen_at = now() where correlation_id = $1', [advice.correlation_id]);
  expect(await trackIncident(database, new Date())).toEqual({ kind: 'closed', incidentId });

  const listed = await call('GET', '/incidents', 'night-token');
  expect(listed.body.incidents).toEqual([expect.objectContaining({ incidentId, stage: 'closed', closedVersion: switchedOn.version + 1 })]);
  const final = IncidentReport.parse((await call('GET', `/incidents/${incidentId}`, 'night-token')).body);
  expect(final.timeline.map((entry) => entry.reason)).toEqual(['INC-42 card processor down', 'INC-42 resolved']);
  expect(final.advices).toEqual({ recorded: 4, appliedByPrimary: 4, notYetApplied: 0 });
  // Not reconciled yet: the report says what to run.
  expect(final.reconciliation).toBeUndefined();
  expect(renderIncidentReport(final)).toMatch(/reconciliation\s+not run since the incident opened: npm run reconcile -w advice-consumer/);
  // The advice consumer's reconcile command records its result; the final report carries it.
  const result = {
    checkedAt: new Date(Date.now() + 1_000).toISOString(),
    clean: true,
    scope: 'all',
    standinAdvices: 2,
    primaryApplied: 2,
    accountsNotClean: 0,
    missing: 0,
    duplicated: 0,
    diverging: 0,
    quarantined: 0,
    appliedWithoutEffect: 0,
  };
  expect((await call('POST', '/internal/reconciliations', 'night-token', result)).status).toBe(403);
  expect((await call('POST', '/internal/reconciliations', CREDENTIALS['advice-consumer'], { ...result, clean: 'yes' })).status).toBe(400);
  expect((await call('POST', '/internal/reconciliations', CREDENTIALS['advice-consumer'], result)).body).toEqual({ recorded: true });
  const reconciled = IncidentReport.parse((await call('GET', `/incidents/${incidentId}`, 'night-token')).body);
  expect(reconciled.reconciliation).toEqual({ ...result, afterClose: true });
  expect(renderIncidentMarkdown(reconciled)).toMatch(
    /\| reconciliation \| CLEAN \(final, .*\): 2 stand-in advices, each applied once in primary \(the whole advice log\) \|/,
  );
  // Only operators read incidents.
  expect((await call('GET', '/incidents', alice.token)).status).toBe(403);
  expect((await call('GET', `/incidents/${randomUUID()}`, 'night-token')).status).toBe(404);
});
