import { connectGatewayToPrimary, connectGatewayToStandin, redirectAppsToStandin, returnAppsToPrimary, waitForPrimaryToCatchUp } from './incident-steps';
import type { ScenarioDefinition, ScenarioRun } from './scenario';
import type { ScenarioReport } from './scenario-report';
import { SURVIVED, survival } from './survival';

// The incident procedure when primary's process is gone or hung (scenarios a and b): the engineer
// connects the gateway straight to stand-in and sends the apps there (the `standin` CLI, against
// stand-in alone while primary is away); stand-in keeps taking payments. Once primary is back and
// has caught up on stand-in's advices, traffic and apps return to it. Only the fault and its end
// differ between the scenarios.

export interface PrimaryOutage {
  readonly id: string;
  readonly title: string;
  /** Incident reference used in every configuration change's reason. */
  readonly incident: string;
  /** Takes primary away; returns the line for the report's schedule. */
  readonly takePrimaryAway: (run: ScenarioRun) => Promise<string>;
  /** Brings it back; returns the line for the schedule. */
  readonly bringPrimaryBack: (run: ScenarioRun) => Promise<string>;
}

export function primaryOutageScenario(outage: PrimaryOutage): ScenarioDefinition {
  return {
    id: outage.id,
    title: outage.title,
    gatewayMode: 'direct connect, turned on and off by the incident engineer with the standin CLI (automatic failover off)',
    autoFailover: false,
    async fault(run) {
      run.step(await outage.takePrimaryAway(run));
      // The engineer notices and reacts; until then the gateway answers the network 91 in time.
      await run.wait(1_500);
      await connectGatewayToStandin(run, `${outage.incident} primary is away`);
      await redirectAppsToStandin(run, `${outage.incident} primary is away`);
      // A customer freezes a card while primary is away: stand-in's freeze, advised to primary later.
      const frozen = await run.load.freezeCards(1);
      run.step(`1 card frozen through the app during the outage (${frozen.map((card) => `${card.exchange.via}: ${card.exchange.verdict}`).join(', ')})`);
    },
    faultMs: 12_000,
    async recover(run) {
      run.step(await outage.bringPrimaryBack(run));
      // Traffic goes back only once primary holds what stand-in approved: a reversal of a payment
      // primary has not heard of yet would find nothing to reverse.
      await waitForPrimaryToCatchUp(run, { lagMs: 8_000, timeoutMs: 60_000 });
      await connectGatewayToPrimary(run, `${outage.incident} primary recovered and caught up`);
      await returnAppsToPrimary(run, `${outage.incident} primary recovered and caught up`);
    },
  };
}

/** What every outage scenario must show: survival, and stand-in paying while primary was away. */
export function outageSurvived(report: ScenarioReport) {
  return { ...survival(report), standinPaidDuringOutage: report.standinApprovalsDuringFault > 0 };
}

export const OUTAGE_SURVIVED = { ...SURVIVED, standinPaidDuringOutage: true } as const;
