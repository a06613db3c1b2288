import { connectGatewayToPrimary, connectGatewayToStandin, redirectAppsToStandin, returnAppsToPrimary, waitForPrimaryToCatchUp } from '../../src/chaos/incident-steps';
import { runScenario, type ScenarioDefinition } from '../../src/chaos/scenario';
import { isScenarioSelected } from '../../src/chaos/scenario-selection';

// Scenario b: as a, but primary hangs (SIGSTOP) instead of crashing. A hang is the harder fault:
// connections are accepted and never answered, so nothing is refused and every wait must end on a
// timeout (the gateway answers 91 in time, the advice consumer's breaker opens). The engineer
// connects the gateway to stand-in; primary is resumed (SIGCONT) and finishes whatever it held,
// catches up on stand-in's advices, and traffic returns to it. Then all seven invariants must hold.

const scenario: ScenarioDefinition = {
  id: 'b',
  title: "primary's process SIGSTOPped (hung) under load",
  gatewayMode: 'direct connect, turned on and off by the incident engineer with the standin CLI (automatic failover off)',
  autoFailover: false,
  async fault(run) {
    run.chaos.stack.primary.pause();
    run.step('primary SIGSTOPped');
    // The engineer notices and reacts; until then the gateway answers the network 91 in time.
    await run.wait(1_500);
    await connectGatewayToStandin(run, 'CHAOS-B primary hangs');
    await redirectAppsToStandin(run, 'CHAOS-B primary hangs');
    // A customer freezes a card while primary is down: stand-in's freeze, advised to primary later.
    const frozen = await run.load.freezeCards(1);
    run.step(`1 card frozen through the app during the outage (${frozen.map((card) => `${card.exchange.via}: ${card.exchange.verdict}`).join(', ')})`);
  },
  faultMs: 12_000,
  async recover(run) {
    run.chaos.stack.primary.resume();
    run.step('primary resumed (SIGCONT)');
    // Traffic goes back only once primary holds what stand-in approved: a reversal of a payment
    // primary has not heard of yet would find nothing to reverse.
    await waitForPrimaryToCatchUp(run, { lagMs: 8_000, timeoutMs: 60_000 });
    await connectGatewayToPrimary(run, 'CHAOS-B primary recovered and caught up');
    await returnAppsToPrimary(run, 'CHAOS-B primary recovered and caught up');
  },
};

const scenarioTest = isScenarioSelected(scenario.id) ? test : test.skip;

scenarioTest(
  'when primary hangs under load, then payments continue through stand-in, and after it resumes every invariant holds',
  async () => {
    const report = await runScenario(scenario);

    expect(report.messages.sent).toBeGreaterThan(0);
    // The network hears every message in time: a platform's answer, or the gateway's 91 while nobody could answer.
    expect({ late: report.messages.late, missing: report.messages.missing }).toEqual({ late: 0, missing: 0 });
    expect(report.messages.answeredWithinDeadline).toBe(report.messages.sent);
    expect(report.standinApprovalsDuringFault).toBeGreaterThan(0);
    expect(report.quiescence.settled).toBe(true);
    expect(report.invariants.filter((invariant) => !invariant.passed).map((invariant) => `${invariant.id}. ${invariant.name}: ${invariant.summary}`)).toEqual([]);
    expect(report.invariants).toHaveLength(7);
  },
  240_000,
);
