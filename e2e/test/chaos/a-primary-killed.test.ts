import { OUTAGE_SURVIVED, outageSurvived, primaryOutageScenario } from '../../src/chaos/primary-outage';
import { runScenario } from '../../src/chaos/scenario';
import { isScenarioSelected } from '../../src/chaos/scenario-selection';

// One more run, with a fresh seed, if this one fails: a scenario runs under random faults on a shared
// 2-core machine. The failed run's error and its seed are printed first (replay it with CHAOS_SEED),
// and a scenario that fails twice fails the suite.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

// Scenario a: under steady load through the gateway, primary's process is SIGKILLed; the engineer
// follows the outage procedure (src/chaos/primary-outage.ts); primary is restarted. Then the
// system comes to rest and all seven invariants must hold.

const scenario = primaryOutageScenario({
  id: 'a',
  title: "primary's process SIGKILLed under load",
  incident: 'CHAOS-A',
  async takePrimaryAway(run) {
    await run.chaos.stack.primary.kill();
    return 'primary SIGKILLed';
  },
  async bringPrimaryBack(run) {
    await run.chaos.stack.primary.restart();
    return 'primary restarted';
  },
});

(isScenarioSelected(scenario.id) ? test : test.skip)(
  'when primary is SIGKILLed under load, then payments continue through stand-in, and after recovery every invariant holds',
  async () => {
    expect(outageSurvived(await runScenario(scenario))).toEqual(OUTAGE_SURVIVED);
  },
  240_000,
);
