import { OUTAGE_SURVIVED, outageSurvived } from '../../src/chaos/primary-outage';
import {
  redirectAppsToStandin,
  returnAppsToPrimary,
  returnPaymentsToPrimary,
  routePaymentsToStandin,
  waitForPrimaryHealthy,
  waitForPrimaryToCatchUp,
} from '../../src/chaos/incident-steps';
import { runScenario, type ScenarioDefinition, type ScenarioRun } from '../../src/chaos/scenario';
import { isScenarioSelected } from '../../src/chaos/scenario-selection';
import type { ScenarioReport } from '../../src/chaos/scenario-report';
import { sleep } from '../../src/simulator/concurrency';
import { timedRequest } from '../../src/simulator/timed-request';

// One more run, with a fresh seed, if this one fails: a scenario runs under random faults on a shared
// 2-core machine. The failed run's error and its seed are printed first (replay it with CHAOS_SEED),
// and a scenario that fails twice fails the suite.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

// Scenario c2 (issue 12, defect 3): primary's PostgreSQL hangs (SIGSTOP: connections stay open,
// nothing answers, nothing is refused) under card load while primary's service keeps running. The
// engineer runs `standin route-payments --all --yes`. Primary's card path must answer inside the
// gateway's deadline whatever its database does (91 while it cannot decide, stand-in's answer once
// payments are routed there), the gateway must keep sending to a primary that can route, and so
// stand-in must be deciding within seconds of the CLI change, not when the database comes back.
// The database resumes, primary catches up, payments return. Then every invariant must hold.

const INCIDENT = 'CHAOS-C2';
/** How soon after the CLI change stand-in must be deciding card payments. */
const STANDIN_DECIDES_WITHIN_MS = 5_000;

/** When stand-in first decided a card authorisation received after `sinceMs` (its own record, in its database), polled up to `timeoutMs`. */
async function standinFirstDecisionAfter(run: ScenarioRun, sinceMs: number, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rows } = await run.chaos.standinDb
      .query<{ first: Date | null }>("select min(received_at) as first from card_messages where kind = 'authorisation' and received_at >= $1", [
        new Date(sinceMs),
      ])
      .catch(() => ({ rows: [] as { first: Date | null }[] }));
    const first = rows[0]?.first;
    if (first) return first.getTime();
    await sleep(100);
  }
  return undefined;
}

/** Until primary says it routes by stand-in's configuration version `version` (its configuration API answers from memory). */
async function primaryRoutesBy(run: ScenarioRun, version: number, timeoutMs: number): Promise<number | undefined> {
  const began = Date.now();
  while (Date.now() - began < timeoutMs) {
    const result = await timedRequest({ method: 'GET', url: `${run.chaos.stack.urls.primary}/status`, giveUpMs: 2_000 });
    const primaryVersion =
      result.kind === 'answer' && result.status === 200 ? (result.body as { configurationVersion?: number }).configurationVersion : undefined;
    if ((primaryVersion ?? 0) >= version) return Date.now() - began;
    await sleep(100);
  }
  return undefined;
}

async function standinVersion(run: ScenarioRun): Promise<number> {
  const result = await timedRequest({ method: 'GET', url: `${run.chaos.stack.urls.standin}/status`, giveUpMs: 2_000 });
  return result.kind === 'answer' ? ((result.body as { configurationVersion?: number }).configurationVersion ?? 0) : 0;
}

const scenario: ScenarioDefinition = {
  id: 'c2',
  title: "primary's PostgreSQL SIGSTOPped (hung) under card load",
  gatewayMode: 'primary throughout; primary proxies payments to stand-in by the configuration (automatic failover off)',
  autoFailover: false,
  // The breaker opened on base code at any rate (five slow answers in ten seconds do it); 15 msg/s
  // keeps stand-in's advices within what primary applies while it takes every payment, on a
  // shared two-core machine (at 25-30 msg/s there scenario c, too, does not catch up in 60 s).
  ratePerSecond: 15,
  customers: 40,
  warmUpMs: 5_000,
  async fault(run) {
    run.chaos.stack.infra.pause('pg-primary');
    run.step("primary's PostgreSQL SIGSTOPped (hung; primary's service still running)");
    // Until the engineer reacts, primary answers card messages 91 (issuer unavailable) in time.
    await run.wait(1_500);
    const cliStartedAt = Date.now();
    await routePaymentsToStandin(run, ['--all'], `${INCIDENT} primary's database hangs`);
    const cliDoneAt = Date.now();
    const version = await standinVersion(run);
    const followedAfterMs = await primaryRoutesBy(run, version, 10_000);
    const decidedAt = await standinFirstDecisionAfter(run, cliDoneAt, 12_000);
    const measured = {
      cliTookMs: cliDoneAt - cliStartedAt,
      primaryRoutesByItAfterCliMs: followedAfterMs === undefined ? null : followedAfterMs,
      standinDecidesAfterCliMs: decidedAt === undefined ? null : decidedAt - cliDoneAt,
    };
    run.observe('afterTheCliChange', measured);
    run.step(
      `stand-in ${decidedAt === undefined ? 'decided NOTHING within 12 s of the CLI change' : `decided its first card payment ${((decidedAt - cliDoneAt) / 1000).toFixed(1)} s after the CLI change`} (the CLI took ${(measured.cliTookMs / 1000).toFixed(1)} s; primary routed by v${version} ${followedAfterMs === undefined ? 'not within 10 s' : `after ${(followedAfterMs / 1000).toFixed(1)} s`})`,
    );
    await redirectAppsToStandin(run, `${INCIDENT} primary's database hangs`);
  },
  faultMs: 5_000,
  async recover(run) {
    run.chaos.stack.infra.resume('pg-primary');
    run.step("primary's PostgreSQL resumed (SIGCONT)");
    await waitForPrimaryHealthy(run, 60_000);
    await waitForPrimaryToCatchUp(run, { lagMs: 8_000, timeoutMs: 60_000 });
    await returnPaymentsToPrimary(run, `${INCIDENT} primary's database recovered and caught up`);
    await returnAppsToPrimary(run, `${INCIDENT} primary's database recovered and caught up`);
  },
  afterRecoveryMs: 3_000,
  async afterQuiescence(run) {
    // Whatever the gateway answered 91 in a platform's place has been reversed there by now.
    const health = await timedRequest({ method: 'GET', url: `${run.chaos.gateway.url}/health`, giveUpMs: 2_000 });
    run.observe(
      'gatewayTimeoutReversalsOwedAtRest',
      health.kind === 'answer' ? ((health.body as { timeoutReversalsOwed?: unknown }).timeoutReversalsOwed ?? 'not reported') : 'no answer',
    );
  },
};

function hangFigures(report: ScenarioReport) {
  const measured = report.observations.afterTheCliChange as { standinDecidesAfterCliMs: number | null } | undefined;
  const decidedAfterMs = measured?.standinDecidesAfterCliMs ?? null;
  return { standinDecidesWithinSecondsOfTheCli: decidedAfterMs !== null && decidedAfterMs <= STANDIN_DECIDES_WITHIN_MS, decidedAfterMs };
}

(isScenarioSelected(scenario.id) ? test : test.skip)(
  "when primary's database hangs under load and the engineer routes every payment to stand-in, then stand-in decides within seconds of the CLI change, and after recovery every invariant holds",
  async () => {
    const report = await runScenario(scenario);
    const figures = hangFigures(report);
    expect({
      ...outageSurvived(report),
      standinDecidesWithinSecondsOfTheCli: figures.standinDecidesWithinSecondsOfTheCli,
      decidedAfterMs: figures.decidedAfterMs,
    }).toEqual({
      ...OUTAGE_SURVIVED,
      standinDecidesWithinSecondsOfTheCli: true,
      decidedAfterMs: expect.any(Number),
    });
  },
  240_000,
);
