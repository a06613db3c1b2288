import { sleep } from '../simulator/concurrency';
import { timedRequest } from '../simulator/timed-request';
import type { ScenarioRun } from './scenario';

// What incident engineers do, step by step, as the scenarios need it: each step waits until its
// effect is visible (the gateway's destination, primary's applied advices), with a timeout.

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
}

export async function gatewayDestination(run: ScenarioRun): Promise<string | undefined> {
  const result = await timedRequest({ method: 'GET', url: `${run.chaos.gateway.url}/routing`, giveUpMs: 2_000 });
  return result.kind === 'answer' && result.status === 200 ? (result.body as { destination?: string }).destination : undefined;
}

/** `standin direct-connect on`, then wait until the gateway sends traffic to stand-in. */
export async function connectGatewayToStandin(run: ScenarioRun, reason: string): Promise<void> {
  await run.engineer.standin('direct-connect', 'on', '--reason', reason, '--yes');
  await waitFor('the gateway sending traffic to stand-in', async () => (await gatewayDestination(run)) === 'standin', 15_000);
  run.step('gateway sends payment traffic to stand-in (direct connect)');
}

/** `standin direct-connect off`, then wait until the gateway sends traffic to primary again. */
export async function connectGatewayToPrimary(run: ScenarioRun, reason: string): Promise<void> {
  await run.engineer.standin('direct-connect', 'off', '--reason', reason, '--yes');
  await waitFor('the gateway sending traffic to primary', async () => (await gatewayDestination(run)) === 'primary', 15_000);
  run.step('gateway sends payment traffic to primary again');
}

export async function redirectAppsToStandin(run: ScenarioRun, reason: string): Promise<void> {
  await run.engineer.standin('redirect-apps', '--all', '--reason', reason, '--yes');
  run.step('apps redirected to stand-in (everyone)');
}

export async function returnAppsToPrimary(run: ScenarioRun, reason: string): Promise<void> {
  await run.engineer.standin('disable', 'apps', '--reason', reason, '--yes');
  run.step('apps back on primary (nobody on stand-in)');
}

/**
 * Until primary has applied every stand-in advice older than `lagMs`: it has caught up, give or
 * take the last moments, while stand-in is still taking traffic. ("Clean" at one instant would
 * wait for ever while stand-in keeps advising.) Read from both run databases.
 */
export async function waitForPrimaryToCatchUp(run: ScenarioRun, options: { lagMs: number; timeoutMs: number }): Promise<void> {
  const accounts = run.customers.map((customer) => customer.accountId);
  const began = Date.now();
  let behind = -1;
  await waitFor(
    `primary applying every stand-in advice older than ${options.lagMs / 1000} s`,
    async () => {
      const { rows } = await run.chaos.standinDb.query<{ advice_id: string }>(
        'select advice_id from advices where account_id = any($1::uuid[]) and created_at < now() - make_interval(secs => $2)',
        [accounts, options.lagMs / 1000],
      );
      const applied = await run.chaos.primaryDb.query<{ count: string }>('select count(*) from applied_advices where advice_id = any($1::uuid[])', [
        rows.map((row) => row.advice_id),
      ]);
      behind = rows.length - Number(applied.rows[0]?.count ?? 0);
      return behind === 0;
    },
    options.timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (${behind} still not applied)`);
  });
  run.step(`primary caught up: every stand-in advice older than ${options.lagMs / 1000} s applied (waited ${((Date.now() - began) / 1000).toFixed(1)} s)`);
}

async function configurationVersion(url: string, token: string): Promise<number | undefined> {
  const result = await timedRequest({ method: 'GET', url: `${url}/configuration`, token, giveUpMs: 2_000 });
  return result.kind === 'answer' && result.status === 200 ? (result.body as { version?: number }).version : undefined;
}

/**
 * Until primary routes by the configuration stand-in holds: when primary cannot record a change
 * itself (its database is down), it takes stand-in's document through its peer sync.
 */
export async function waitForPrimaryToFollowStandin(run: ScenarioRun, token: string): Promise<void> {
  const began = Date.now();
  const wanted = await configurationVersion(run.chaos.stack.urls.standin, token);
  if (wanted === undefined) throw new Error("stand-in's configuration could not be read");
  await waitFor(
    `primary routing by stand-in's configuration v${wanted}`,
    async () => ((await configurationVersion(run.chaos.stack.urls.primary, token)) ?? 0) >= wanted,
    15_000,
  );
  run.step(`primary routes by configuration v${wanted} (taken from stand-in after ${((Date.now() - began) / 1000).toFixed(1)} s)`);
}

/** `standin route-payments <who>`: primary proxies these users' payments (both schemes, both directions) to stand-in. */
export async function routePaymentsToStandin(run: ScenarioRun, who: readonly string[], reason: string): Promise<void> {
  await run.engineer.standin('route-payments', ...who, '--reason', reason, '--yes');
  run.step(`payments of ${who.join(' ').replace(/^--/, '')} routed to stand-in`);
}

/** `standin disable payments`: everyone's payments back on primary. */
export async function returnPaymentsToPrimary(run: ScenarioRun, reason: string): Promise<void> {
  await run.engineer.standin('disable', 'payments', '--reason', reason, '--yes');
  run.step('payments back on primary (nobody on stand-in)');
}

/** Until primary answers /health, which reads its database. */
export async function waitForPrimaryHealthy(run: ScenarioRun, timeoutMs: number): Promise<void> {
  const began = Date.now();
  await waitFor(
    'primary healthy (its database reachable)',
    async () => {
      const result = await timedRequest({ method: 'GET', url: `${run.chaos.stack.urls.primary}/health`, giveUpMs: 2_000 });
      return result.kind === 'answer' && result.status === 200;
    },
    timeoutMs,
  );
  run.step(`primary healthy again (waited ${((Date.now() - began) / 1000).toFixed(1)} s)`);
}
