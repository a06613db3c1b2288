import { connectGatewayToPrimary, connectGatewayToStandin, redirectAppsToStandin, returnAppsToPrimary, waitForPrimaryToCatchUp } from '../../src/chaos/incident-steps';
import { runScenario, type ScenarioDefinition } from '../../src/chaos/scenario';
import { isScenarioSelected } from '../../src/chaos/scenario-selection';

// Scenario a: under steady load through the gateway, primary's process is SIGKILLed. The incident
// engineer connects the gateway straight to stand-in and sends the apps there (the `standin` CLI,
// against stand-in alone while primary is down); stand-in keeps taking payments. Primary is
// restarted, catches up on stand-in's advices, and then traffic returns to it. Then the system comes to
// rest and all seven invariants must hold.

const scenario: ScenarioDefinition = {
  id: 'a',
  title: "primary's process SIGKILLed under load",
  gatewayMode: 'direct connect, turned on and off by the incident engineer with the standin CLI (automatic failover off)',
  autoFailover: false,
  async fault(run) {
    await run.chaos.stack.primary.kill();
    run.step('primary SIGKILLed');
    // The engineer notices and reacts; until then the gateway answers the network 91 in time.
    await run.wait(1_500);
    await connectGatewayToStandin(run, 'CHAOS-A primary is down');
    await redirectAppsToStandin(run, 'CHAOS-A primary is down');
    // A customer freezes a card while primary is down: stand-in's freeze, advised to primary later.
    const frozen = await run.load.freezeCards(1);
    run.step(`1 card frozen through the app during the outage (${frozen.map((card) => `${card.exchange.via}: ${card.exchange.verdict}`).join(', ')})`);
  },
  faultMs: 12_000,
  async recover(run) {
    await run.chaos.stack.primary.restart();
    run.step('primary restarted');
    // Traffic goes back only once primary holds what stand-in approved: a reversal of a payment
    // primary has not heard of yet would find nothing to reverse.
    await waitForPrimaryToCatchUp(run, { lagMs: 8_000, timeoutMs: 60_000 });
    await connectGatewayToPrimary(run, 'CHAOS-A primary recovered and caught up');
    await returnAppsToPrimary(run, 'CHAOS-A primary recovered and caught up');
  },
};

const scenarioTest = isScenarioSelected(scenario.id) ? test : test.skip;

scenarioTest(
  'when primary is SIGKILLed under load, then payments continue through stand-in, and after recovery every invariant holds',
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
