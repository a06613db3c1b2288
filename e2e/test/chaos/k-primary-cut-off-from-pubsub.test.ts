import type { Place } from '@bank/infra';
import {
  connectGatewayToPrimary,
  connectGatewayToStandin,
  redirectAppsToStandin,
  returnAppsToPrimary,
  waitForPrimaryToCatchUp,
} from '../../src/chaos/incident-steps';
import { cutLinks, restoreLinks } from '../../src/chaos/links';
import { countersOf } from '../../src/chaos/service-metrics';
import { runScenario, type ScenarioDefinition, type ScenarioRun } from '../../src/chaos/scenario';
import { isScenarioSelected } from '../../src/chaos/scenario-selection';
import { SURVIVED, survival } from '../../src/chaos/survival';

// A scenario runs under random faults on a shared 2-core machine: one more run, with a fresh seed
// (the failed run's seed printed first), before it fails the suite.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

// Scenario k, on the three-host topology (needs root): everyone is on stand-in (the gateway in the
// data centre connects straight to it, the apps are redirected), then primary's cloud is cut off
// from stand-in's cloud, where the Pub/Sub emulator runs. Stand-in keeps approving and advising:
// its advices reach Pub/Sub on its own side and wait there (and in its advice log) while primary's
// advice consumer can neither pull them nor re-drive them from stand-in. None may be lost: after
// the link returns they drain, and every invariant holds.
//
//
// How the advices come back: Pub/Sub's streaming pull resumes (its delivery counted from the link's
// return), and the re-drive loop applies from stand-in's log whatever is older than its age. Six
// runs on a machine loaded to 10-320 by other work once saw the stream deliver nothing after the
// link returned (a known Node client problem after network faults); since then the consumer opens
// its subscription again, on a new client, when the re-drive finds advices missing while the
// stream is silent (advice-consumer/src/advice-consumer.ts), and counts it
// (advice_consumer_subscription_reopened_total).

const INCIDENT = 'CHAOS-K';
const CUT: readonly (readonly [Place, Place])[] = [['primary-cloud', 'standin-cloud']];

/** Stand-in's advices of the run's accounts that primary has not applied (read from both run databases). */
async function advicesNotApplied(run: ScenarioRun): Promise<{ advices: number; notApplied: number; unpublished: number }> {
  const accounts = run.customers.map((customer) => customer.accountId);
  const { rows } = await run.chaos.standinDb.query<{ advice_id: string; published: boolean }>(
    'select advice_id, published_at is not null as published from advices where account_id = any($1::uuid[])',
    [accounts],
  );
  const applied = await run.chaos.primaryDb.query<{ count: string }>('select count(*) from applied_advices where advice_id = any($1::uuid[])', [
    rows.map((row) => row.advice_id),
  ]);
  return {
    advices: rows.length,
    notApplied: rows.length - Number(applied.rows[0]?.count ?? 0),
    unpublished: rows.filter((row) => !row.published).length,
  };
}

const observed: {
  duringCut?: Awaited<ReturnType<typeof advicesNotApplied>>;
  drainedMs?: number;
  /** Advices Pub/Sub delivered (applied or recognised as duplicates) from the link's return until quiescence. */
  deliveredAfterCut?: number;
  adviceConsumer?: Record<string, number>;
} = {};

/** Advices the consumer has had from Pub/Sub and settled with primary so far (applied, or duplicates of ones applied). */
function delivered(counters: Record<string, number>): number {
  return (counters['advice_consumer_outcomes_total{outcome="applied"}'] ?? 0) + (counters['advice_consumer_outcomes_total{outcome="duplicate"}'] ?? 0);
}
let deliveredAtRestore = 0;

const scenario: ScenarioDefinition = {
  id: 'k',
  title: "primary's cloud cut off from the Pub/Sub host while everyone is on stand-in",
  gatewayMode: 'direct connect to stand-in (the standin CLI) before the cut, off after primary caught up',
  stack: { topology: 'hosts', replicas: 2 },
  async fault(run) {
    await connectGatewayToStandin(run, `${INCIDENT} exercising stand-in`);
    await redirectAppsToStandin(run, `${INCIDENT} exercising stand-in`);
    await run.wait(2_000);
    cutLinks(run, CUT);
    run.step("primary's cloud cannot reach the Pub/Sub emulator (nor stand-in); stand-in keeps serving");
  },
  faultMs: 20_000,
  async recover(run) {
    observed.duringCut = await advicesNotApplied(run);
    run.step(
      `at the end of the cut: ${observed.duringCut.notApplied} of ${observed.duringCut.advices} stand-in advices not applied in primary (${observed.duringCut.unpublished} still in stand-in's outbox, the rest in Pub/Sub)`,
    );
    deliveredAtRestore = delivered(await countersOf(run.chaos.stack.adviceConsumer.url, 'advice_consumer_'));
    const restoredAt = Date.now();
    restoreLinks(run, CUT);
    await waitForPrimaryToCatchUp(run, { lagMs: 8_000, timeoutMs: 90_000 });
    observed.drainedMs = Date.now() - restoredAt;
    await connectGatewayToPrimary(run, `${INCIDENT} done`);
    await returnAppsToPrimary(run, `${INCIDENT} done`);
  },
  async afterQuiescence(run) {
    // How the advices reached primary: Pub/Sub's delivery, or the re-drive from stand-in's log.
    observed.adviceConsumer = await countersOf(run.chaos.stack.adviceConsumer.url, 'advice_consumer_');
    const redriven = Object.entries(observed.adviceConsumer)
      .filter(([name]) => name.startsWith('advice_consumer_redriven_total'))
      .reduce((sum, [, value]) => sum + value, 0);
    observed.deliveredAfterCut = delivered(observed.adviceConsumer) - deliveredAtRestore;
    run.step(
      `advice consumer: ${observed.deliveredAfterCut} advices delivered by Pub/Sub after the link returned, ${redriven} applied by re-drive from stand-in's log`,
    );
    run.observe('advices across the cut', observed);
  },
};

(isScenarioSelected(scenario.id) ? test : test.skip)(
  "when primary's cloud is cut off from the Pub/Sub host while everyone is on stand-in, then stand-in keeps approving, its advices wait, none is lost, and they drain after",
  async () => {
    const report = await runScenario(scenario);
    expect({
      ...survival(report),
      standinPaidDuringCut: report.standinApprovalsDuringFault > 0,
      advicesWaitedDuringCut: (observed.duringCut?.notApplied ?? 0) > 0,
      // The transport works again, not only the re-drive: what waited in Pub/Sub is delivered.
      pubsubDeliveredAfterCut: (observed.deliveredAfterCut ?? 0) > 0,
    }).toEqual({ ...SURVIVED, standinPaidDuringCut: true, advicesWaitedDuringCut: true, pubsubDeliveredAfterCut: true });
  },
  300_000,
);
