import { AutopilotComponentName, type AutopilotStatus } from '@bank/shared-contracts';

// `standin autopilot status`, and what a change prints: what the autopilot is set to do, what it
// sees right now, and what it did. Written for an engineer woken at 3 a.m.: the mode first, in
// capitals, and in words what it will and will not do.

const MODE_LINE: Record<AutopilotStatus['current']['settings']['mode'], string> = {
  off: 'OFF: it samples and shows the evidence, and does nothing',
  'dry-run': 'DRY-RUN: it records what it would switch on, and changes nothing',
  on: 'ON: it switches the opted-in components to stand-in for everyone once the evidence holds',
};

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const at = (iso: string) => `${iso.slice(0, 19)}Z`;
const list = (items: readonly string[]) => (items.length === 0 ? 'none' : items.join(', '));

function describeSample(sample: NonNullable<AutopilotStatus['latest']>['sample']): string[] {
  const gateway = sample.gateway
    ? `sent primary ${sample.gateway.toPrimary.total} messages since the previous sample, ${
        sample.gateway.toPrimary.timedOut +
        sample.gateway.toPrimary.connectionFailed +
        sample.gateway.toPrimary.serverErrors +
        sample.gateway.toPrimary.issuerUnavailable
      } failed; breaker ${sample.gateway.primaryBreakerOpen ? 'OPEN' : 'closed'}; primary ${sample.gateway.primaryAnswersProbe ? 'answers' : 'does NOT answer'} its probe`
    : `not read (${sample.gatewayProblem ?? 'unknown'})`;
  return [
    `  sampled ${at(sample.at)}`,
    `  stand-in's database: ${sample.standinHealthy ? 'healthy' : 'NOT healthy (the autopilot does nothing without it)'}`,
    `  primary from stand-in's cloud: ${sample.primaryFromStandin === 'ready' ? 'ready' : sample.primaryFromStandin === 'cannot_decide' ? 'answers but CANNOT decide' : 'UNREACHABLE'}`,
    `  gateway: ${gateway}`,
    `  stand-in's synced data: ${
      sample.sync
        ? `${seconds(sample.sync.lagMs)} behind primary${sample.sync.alerting ? ' (SYNC LAG ALERTING)' : ''}${
            sample.sync.syncerSilentMs === undefined ? '' : `; nothing heard from the syncer for ${seconds(sample.sync.syncerSilentMs)}`
          }`
        : 'unknown (the syncer has not reported yet)'
    } (shown, not evidence: a silent sync is not a failing primary)`,
  ];
}

export function renderAutopilotStatus(status: AutopilotStatus): string {
  const { current } = status;
  const { settings } = current;
  const optedIn = AutopilotComponentName.options.filter((component) => settings.optIn[component]);
  const optedOut = AutopilotComponentName.options.filter((component) => !settings.optIn[component]);
  const lines = [
    `autopilot: ${MODE_LINE[settings.mode]}`,
    `  set by ${current.changedBy} at ${at(current.changedAt)} (settings version ${current.version}): "${current.reason}"`,
    `  opted in: ${list(optedIn)}; not opted in: ${list(optedOut)}`,
    `  hold ${seconds(settings.holdMs)}; failing means ${Math.round(settings.failureShare * 100)}% of primary's messages, at least ${settings.minMessages} over the hold; at most ${settings.maxChangesPerHour} change(s) an hour`,
    `  already on stand-in for everyone: ${list(status.alreadyOn)}`,
    '  it never switches anything off: moving back to primary stays yours (standin disable, rollback-apps, direct-connect off)',
    '',
  ];
  const latest = status.latest;
  if (!latest) lines.push('evidence now: no sample yet on this stand-in replica');
  else {
    lines.push('evidence now:', ...describeSample(latest.sample));
    for (const component of AutopilotComponentName.options) {
      const evidence = latest.evidence[component];
      if (evidence) lines.push(`  ${component.padEnd(15)} ${evidence.holds ? 'HOLDS' : 'no   '}  ${evidence.why}`);
    }
    if (latest.switchOn.length > 0) lines.push(`  switching on now: ${latest.switchOn.join(', ')}`);
    for (const item of latest.withheld) lines.push(`  withheld: ${item.component}: ${item.why}`);
    if (latest.note) lines.push(`  note: ${latest.note}`);
  }
  lines.push('');
  if (status.recentActions.length === 0) lines.push('last actions: none');
  else {
    lines.push('last actions:');
    for (const action of status.recentActions.slice(0, 10))
      lines.push(
        `  ${at(action.at)}  ${action.kind.padEnd(8)}  ${list(action.components)}${action.configurationVersion === undefined ? '' : `  (configuration version ${action.configurationVersion})`}  ${action.reason}`,
      );
  }
  return lines.join('\n');
}

/** After a change: what was changed, by whom, then the whole status. */
export function renderAutopilotChange(status: AutopilotStatus): string {
  const { current } = status;
  return `autopilot settings version ${current.version} recorded by ${current.changedBy}: "${current.reason}"\n\n${renderAutopilotStatus(status)}`;
}
