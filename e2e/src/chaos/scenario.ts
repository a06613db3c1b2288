import path from 'node:path';
import { startAppClients, type AppClients } from '../simulator/app-client';
import { sleep } from '../simulator/concurrency';
import { openCustomers, waitUntilKnownToStandin } from '../simulator/customer-onboarding';
import { createGroundTruth, type GroundTruth } from '../simulator/ground-truth';
import { startLoad, type LoadGenerator, type LoadMix } from '../simulator/load-generator';
import { createPaymentNetwork, DEFAULT_DEADLINE_MS } from '../simulator/payment-network';
import { freshSeed, mulberry32 } from '../simulator/prng';
import { createSchemeMessages } from '../simulator/scheme-messages';
import type { SimulatedCustomer } from '../simulator/simulated-customer';
import { OPERATOR } from '../stack/services';
import { CREDENTIALS } from '../stack/credentials';
import { startChaosStack, type ChaosStack, type ChaosStackOptions } from './chaos-stack';
import { incidentEngineer, type IncidentEngineer } from './incident-engineer';
import { checkInvariants } from './invariants/check-invariants';
import { waitForQuiescence } from './quiescence';
import { seedFromEnvironment } from './scenario-selection';
import { messageSections, renderReport, resultsDirectory, writeJsonLines, writeReport, type ScenarioReport, type ScheduleStep } from './scenario-report';

// The shape every chaos scenario shares: start the system (stack, gateway, scheme endpoint),
// open customers, put steady load through the gateway and the apps, break something (the
// scenario's fault, with what the incident engineers do), recover, let the system come to rest,
// check the eight invariants, report. A scenario file says only what its fault and recovery are.

export interface ScenarioDefinition {
  /** The letter of the scenario (a–h): its report file and the `--scenarios` flag use it. */
  readonly id: string;
  readonly title: string;
  /** How the gateway finds stand-in when primary is gone, in words for the report. */
  readonly gatewayMode: string;
  readonly autoFailover?: boolean;
  readonly stack?: Pick<ChaosStackOptions, 'gatewayEnv' | 'standinEnv' | 'primaryEnv' | 'replicas' | 'topology' | 'gatewayPort'>;
  readonly customers?: number;
  readonly appUsers?: number;
  /** Messages per second through the gateway and the apps (2 cores: 20–40). */
  readonly ratePerSecond?: number;
  readonly mix?: LoadMix;
  /** Steady load before the fault. */
  readonly warmUpMs?: number;
  /** Cards frozen (through the apps) during the warm-up. */
  readonly freezesBeforeFault?: number;
  /** Breaks something, and does what the incident engineers do about it; the load keeps running. */
  fault(run: ScenarioRun): Promise<void>;
  /** How long the load runs with the fault in place, after `fault` returns. */
  readonly faultMs?: number;
  /** Repairs what `fault` broke, as the engineers would, until the system serves normally again. */
  recover(run: ScenarioRun): Promise<void>;
  /** Load after recovery, before it stops. */
  readonly afterRecoveryMs?: number;
  /** Reads what the scenario reports once the system is at rest (counters, states), before the invariants. */
  afterQuiescence?(run: ScenarioRun): Promise<void>;
  readonly quiescenceTimeoutMs?: number;
}

/** What a scenario's fault and recovery steps work with. */
export interface ScenarioRun {
  readonly chaos: ChaosStack;
  readonly engineer: IncidentEngineer;
  readonly load: LoadGenerator;
  readonly customers: readonly SimulatedCustomer[];
  /** Records a step of the fault schedule (printed in the report, with its time). */
  step(what: string): void;
  /** Records something the scenario measured, for its report and its own assertions. */
  observe(name: string, value: unknown): void;
  log(line: string): void;
  wait(ms: number): Promise<void>;
}

/** Mixed into the seed for the fault moment's own generator, so it does not shift the load's draws. */
const FAULT_MOMENT_SALT = 0x5eed;

/** How long the networks' re-presentations and timeout reversals may take after the load stops (their own schedules are shorter). */
const OBLIGATIONS_TIMEOUT_MS = 120_000;

const DEFAULTS = {
  customers: 60,
  appUsers: 6,
  ratePerSecond: 25,
  warmUpMs: 8_000,
  freezesBeforeFault: 2,
  faultMs: 12_000,
  afterRecoveryMs: 5_000,
  quiescenceTimeoutMs: 90_000,
  fundedMinor: 200_000,
} as const;

export async function runScenario(definition: ScenarioDefinition, log: (line: string) => void = (line) => console.log(line)): Promise<ScenarioReport> {
  const began = Date.now();
  const seed = seedFromEnvironment() ?? freshSeed();
  const replay = `CHAOS_SEED=${seed} npm run chaos -- --scenarios ${definition.id}`;
  log(`chaos scenario ${definition.id} (${definition.title}): seed ${seed}; replay with ${replay}`);
  const prng = mulberry32(seed);
  const schedule: ScheduleStep[] = [];
  const observations: Record<string, unknown> = {};
  let truth: GroundTruth | undefined;
  let load: LoadGenerator | undefined;
  let apps: AppClients | undefined;

  const chaos = await startChaosStack({ scenario: definition.id, autoFailover: definition.autoFailover ?? false, ...definition.stack });
  try {
    const step = (what: string) => {
      schedule.push({ atMs: Date.now() - began, phase: truth?.phase() ?? 'setup', step: what });
      log(`  ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s  ${what}`);
    };
    step(`stack up: run ${chaos.stack.run} (primary ${chaos.stack.primary.url}, stand-in ${chaos.stack.standin.url}, gateway ${chaos.gateway.url})`);

    const customers = await openCustomers({
      // The platform's address: its load balancer when it runs replicas.
      primaryUrl: chaos.stack.urls.primary,
      credentials: { onboarding: CREDENTIALS.onboarding, cardManufacturer: CREDENTIALS['card-manufacturer'], gateway: CREDENTIALS.gateway },
      count: definition.customers ?? DEFAULTS.customers,
      fundedMinor: DEFAULTS.fundedMinor,
    });
    const known = await waitUntilKnownToStandin(chaos.stack.databases.standin, customers, 60_000);
    step(`${customers.length} customers opened in primary and known to stand-in (sync waited ${(known.waitedMs / 1000).toFixed(1)} s)`);

    truth = createGroundTruth(resultsDirectory(chaos.stack.run));
    const network = createPaymentNetwork({ gatewayUrl: chaos.gateway.url, networkToken: CREDENTIALS.network, truth, deadlineMs: DEFAULT_DEADLINE_MS });
    const ratePerSecond = definition.ratePerSecond ?? DEFAULTS.ratePerSecond;
    load = startLoad({
      prng,
      ratePerSecond,
      customers,
      network,
      messages: createSchemeMessages(prng),
      truth,
      urls: chaos.stack.urls,
      ...(definition.mix ? { mix: definition.mix } : {}),
    });
    const appUsers = customers
      .slice(0, definition.appUsers ?? DEFAULTS.appUsers)
      .map((customer) => ({ customerId: customer.customerId, accountId: customer.accountId, token: customer.token }));
    apps = startAppClients({ urls: chaos.stack.urls, users: appUsers, intervalMs: 1_000 });
    const engineer = incidentEngineer({ urls: chaos.stack.urls, operatorToken: OPERATOR.token, log: (line) => log(line.replace(/^/gm, '           ')) });
    const observe = (name: string, value: unknown) => void (observations[name] = value);
    const run: ScenarioRun = { chaos, engineer, load, customers, step, observe, log, wait: sleep };
    step(`load started: ${ratePerSecond} msg/s`);

    truth.setPhase('before');
    await sleep(1_000);
    const frozen = await load.freezeCards(definition.freezesBeforeFault ?? DEFAULTS.freezesBeforeFault);
    step(
      `${frozen.filter((card) => card.exchange.verdict === 'accepted').length} cards frozen through the app (${frozen.map((card) => card.exchange.via).join(', ')})`,
    );
    // The fault lands at a moment drawn from the seed (a half to one and a half warm-ups in), not
    // at a fixed time, so runs hit it in different states (mid-batch, mid-commit, mid-change); the
    // schedule prints the moment and the seed replays it.
    const warmUpMs = Math.round((definition.warmUpMs ?? DEFAULTS.warmUpMs) * (0.5 + mulberry32(seed ^ FAULT_MOMENT_SALT).next()));
    await sleep(Math.max(0, warmUpMs - 1_000));
    step(`fault moment drawn from the seed: ${(warmUpMs / 1000).toFixed(1)} s of load before the fault`);

    truth.setPhase('fault');
    await definition.fault(run);
    await sleep(definition.faultMs ?? DEFAULTS.faultMs);

    truth.setPhase('recovery');
    step('recovery begins');
    await definition.recover(run);

    truth.setPhase('after');
    await sleep(definition.afterRecoveryMs ?? DEFAULTS.afterRecoveryMs);
    await load.stop();
    await apps.stop();
    step('load stopped; every message answered or given up on');
    // The networks keep their word after the load: the scheme re-presents credits it got no
    // definite answer for, the card network repeats its timeout reversals until acknowledged.
    const owed = await load.settleObligations(OBLIGATIONS_TIMEOUT_MS);
    const networks = load.statistics();
    step(
      `networks settled: ${networks.fpsRepresentations} re-presentations (${networks.fpsUnresolved} unresolved), ${networks.networkTimeoutReversals} timeout reversals sent (${networks.networkTimeoutReversalsUnacknowledged} unacknowledged), ${networks.repeatedMessages} repeats, ${networks.earlyClearings} early clearings; ${owed.outstanding} still owed`,
    );
    const directory = resultsDirectory(chaos.stack.run);
    const files = {
      report: path.join(directory, 'report.json'),
      groundTruth: truth.file,
      appTimeline: path.join(directory, 'app-timeline.jsonl'),
      schemeReceived: path.join(directory, 'scheme-received.jsonl'),
      logs: chaos.stack.logDirectory,
    };
    writeJsonLines(
      files.appTimeline,
      apps.observations().map((observation) => ({ ...observation, at: new Date(observation.atMs).toISOString() })),
    );
    const quiet = {
      primaryDb: chaos.primaryDb,
      standinDb: chaos.standinDb,
      urls: chaos.stack.urls,
      adviceConsumerUrl: chaos.stack.adviceConsumer.url,
      operatorToken: OPERATOR.token,
      accounts: customers.map((customer) => customer.accountId),
    };
    const quiescenceTimeoutMs = definition.quiescenceTimeoutMs ?? DEFAULTS.quiescenceTimeoutMs;
    const beforeClearing = await waitForQuiescence(quiet, quiescenceTimeoutMs);
    step(`quiescence ${beforeClearing.settled ? 'reached' : 'NOT reached'} after ${(beforeClearing.waitedMs / 1000).toFixed(1)} s`);
    // The network's next clearing file comes after the incident, as it would (hours later): by
    // then primary holds every authorisation stand-in approved, and settles each against its hold.
    truth.setPhase('clearing-batch');
    const clearingBatch = await load.presentOutstandingClearings(30_000);
    step(`clearing batch: ${clearingBatch.presented} presented, ${clearingBatch.unsettled} unsettled`);
    const afterClearing = await waitForQuiescence(quiet, quiescenceTimeoutMs);
    const quiescence = {
      ...afterClearing,
      settled: beforeClearing.settled && afterClearing.settled,
      waitedMs: beforeClearing.waitedMs + afterClearing.waitedMs,
    };
    step(`quiescence after the clearing batch ${afterClearing.settled ? 'reached' : 'NOT reached'} after ${(afterClearing.waitedMs / 1000).toFixed(1)} s`);
    await definition.afterQuiescence?.(run);

    const invariants = await checkInvariants({
      primaryDb: chaos.primaryDb,
      standinDb: chaos.standinDb,
      urls: chaos.stack.urls,
      adviceConsumerUrl: chaos.stack.adviceConsumer.url,
      operatorToken: OPERATOR.token,
      customers,
      exchanges: truth.all(),
      schemeReceived: chaos.scheme.received(),
      frozenCards: load.frozenCards(),
      logDirectory: chaos.stack.logDirectory,
      kafkaBrokers: chaos.kafkaBrokers,
      primaryEventsTopic: chaos.stack.primaryEventsTopic,
      runStartedAtMs: began,
      pubsub: { config: chaos.stack.infra.config, projectId: chaos.stack.pubsub.projectId },
    });
    step('invariants checked');
    writeJsonLines(files.schemeReceived, chaos.scheme.received());

    const report: ScenarioReport = {
      scenario: { id: definition.id, title: definition.title },
      passed: quiescence.settled && invariants.every((invariant) => invariant.passed),
      seed,
      replay,
      run: chaos.stack.run,
      startedAt: new Date(began).toISOString(),
      durationMs: Date.now() - began,
      gateway: definition.gatewayMode,
      load: { ratePerSecond, customers: customers.length, appUsers: appUsers.length, deadlineMs: network.deadlineMs, statistics: load.statistics() },
      schedule,
      observations,
      ...messageSections(truth.all()),
      appUsers: apps.summaries(),
      scheme: {
        outboundPaymentsReceived: chaos.scheme.received().length,
        submittedMoreThanOnce: chaos.scheme.received().filter((payment) => payment.submissions > 1).length,
      },
      clearingBatch,
      quiescence,
      invariants,
      files,
    };
    writeReport(report);
    log(renderReport(report));
    return report;
  } finally {
    await load?.stop().catch(() => undefined);
    await apps?.stop().catch(() => undefined);
    await truth?.close();
    await chaos.stop();
  }
}
