import {
  cohortDay,
  sameConfiguration,
  StandinComponent,
  TIMEOUT_REVERSALS_ROUTE,
  type AdvicesInFlight,
  type ConfigurationAuditEntry,
  type ConfigurationDocument,
  type DailyCohortMembers,
  type ShadowReport,
} from '@bank/shared-contracts';
import type { ChangeOutcome } from './apply-change';
import { COMPONENT_LABEL, describeShare, describeTargeting } from './change-plan';
import { describeAdvices, describeAge } from './in-flight';
import { pounds } from './money-text';
import { PLATFORM_LABEL, type Reading } from './platform-client';

// What the engineer reads. Plain text, aligned columns, the important word first; --json prints
// the same facts for scripts.

export interface StatusReport {
  readonly checkedAt: string;
  readonly platforms: { readonly primary: Reading; readonly standin: Reading };
  /** true/false when both answered; null when one could not be asked. */
  readonly agree: boolean | null;
  /** Stand-in's advices primary has not applied yet; null when stand-in could not say. */
  readonly advicesInFlight: AdvicesInFlight | null;
}

export function statusReport(platforms: { primary: Reading; standin: Reading }, now: Date): StatusReport {
  const { primary, standin } = platforms;
  const agree = primary.reachable && standin.reachable ? sameConfiguration(primary.configuration, standin.configuration) : null;
  return { checkedAt: now.toISOString(), platforms, agree, advicesInFlight: (standin.reachable && standin.status?.advicesInFlight) || null };
}

const pad = (text: string, width: number) => (text.length >= width ? `${text} ` : text.padEnd(width));

/** The advices rows: stand-in's figures; primary has none. */
const inFlightOf = (r: Reading) => (r.reachable ? r.status?.advicesInFlight : undefined);

/** The status table's rows: a label, then stand-in's cell, then primary's (also what the incident console shows). */
export function statusRows(report: StatusReport): [label: string, standin: string, primary: string][] {
  const { primary, standin } = report.platforms;
  const rows: [string, (reading: Reading) => string][] = [
    ['reachable', (r) => (r.reachable ? 'yes' : `NO: ${r.reason}`)],
    ['configuration', (r) => (r.reachable ? `version ${r.configuration.version}` : '-')],
    ['last change', (r) => (r.reachable ? `${r.configuration.updatedBy}, ${r.configuration.updatedAt.slice(0, 19)}Z` : '-')],
    ['why', (r) => (r.reachable ? `"${r.configuration.reason}"` : '-')],
    ...StandinComponent.options.map((component): [string, (reading: Reading) => string] => [
      COMPONENT_LABEL[component],
      (r) => (r.reachable ? describeTargeting(r.configuration.components[component]) : '-'),
    ]),
    ['direct connection', (r) => (r.reachable ? (r.configuration.directConnect ? 'ON' : 'off') : '-')],
    ['prescale', (r) => (r.reachable ? (r.configuration.prescale ? 'on' : 'off') : '-')],
    ['shadow decisioning', (r) => (r.reachable ? describeShare(r.configuration.shadow.percent, 'card messages') : '-')],
    [
      'daily cohort',
      (r) =>
        r.reachable
          ? r.configuration.dailyCohort.percent === 0
            ? 'off'
            : `${r.configuration.dailyCohort.percent}% of users, day ${cohortDay(new Date(report.checkedAt))}`
          : '-',
    ],
    ['sync lag', (r) => (r.reachable && r.status?.sync ? `${r.status.sync.lagMs} ms${r.status.sync.alerting ? ' (PAST APPETITE)' : ''}` : '-')],
    // An older stand-in says only how many are not yet published.
    [
      'advices not published',
      (r) => {
        const figures = inFlightOf(r);
        return figures ? String(figures.notPublished) : r.reachable && r.status?.adviceBacklog !== undefined ? String(r.status.adviceBacklog) : '-';
      },
    ],
    [
      'published, not applied',
      (r) => {
        const figures = inFlightOf(r);
        return figures ? `${figures.publishedNotApplied}${figures.publishedNotApplied > 0 ? ' (NOT YET APPLIED BY PRIMARY)' : ''}` : '-';
      },
    ],
    [
      'advices quarantined',
      (r) =>
        r.reachable && r.quarantinedAdvices !== undefined ? `${r.quarantinedAdvices}${r.quarantinedAdvices > 0 ? ' (PRIMARY COULD NOT APPLY THEM)' : ''}` : '-',
    ],
    [
      'timeout reversals owed',
      (r) =>
        r.reachable && r.timeoutReversals
          ? `${r.timeoutReversals.owed}${r.timeoutReversals.flagged > 0 ? ` (${r.timeoutReversals.flagged} FLAGGED: NOT ACKNOWLEDGED BY STAND-IN)` : ''}`
          : '-',
    ],
    [
      'oldest in flight',
      (r) => {
        const figures = inFlightOf(r);
        return !figures ? '-' : figures.oldestAgeMs === undefined ? 'none' : `${describeAge(figures.oldestAgeMs)} ago (${figures.oldestAt!.slice(0, 19)}Z)`;
      },
    ],
  ];
  return rows.map(([label, cell]) => [label, cell(standin), cell(primary)]);
}

export function renderStatus(report: StatusReport): string {
  const { primary, standin } = report.platforms;
  const width = 40;
  const labels = 24;
  const lines = [
    `stand-in status at ${report.checkedAt.slice(0, 19)}Z`,
    '',
    `${pad('', labels)}${pad(`stand-in  ${standin.url}`, width)}primary  ${primary.url}`,
  ];
  for (const [label, standinCell, primaryCell] of statusRows(report)) lines.push(`${pad(label, labels)}${pad(standinCell, width)}${primaryCell}`);
  lines.push('');
  if (report.agree === true) lines.push(`OK: both platforms agree (version ${(standin as { configuration: ConfigurationDocument }).configuration.version})`);
  else if (report.agree === false)
    lines.push(
      "WARNING: the platforms DISAGREE; they converge on the higher version within seconds (two documents at one version: stand-in's stands, as a new version), or a new change settles it",
    );
  else if (!primary.reachable && standin.reachable)
    lines.push("PRIMARY IS UNREACHABLE: working against stand-in alone; primary takes stand-in's configuration when it is back");
  else if (!standin.reachable && primary.reachable) lines.push('STAND-IN IS UNREACHABLE: changes go to primary alone; stand-in takes them when it is back');
  else lines.push('NEITHER PLATFORM ANSWERED');
  const inFlight = report.advicesInFlight;
  if (inFlight && inFlight.notPublished + inFlight.publishedNotApplied > 0) {
    const lagging =
      standin.reachable && standin.status?.sync?.alerting ? " Stand-in's sync is behind, so some may be applied already and not yet seen back." : '';
    lines.push(
      `IN FLIGHT: ${inFlight.users} user${inFlight.users === 1 ? ' has' : 's have'} effects from stand-in primary has not applied yet: ${describeAdvices(inFlight)}; oldest ${describeAge(inFlight.oldestAgeMs ?? 0)} ago.${lagging}`,
      '  Moving those users back to primary now would let primary decide without them: commands that would are refused without --yes.',
    );
  } else if (inFlight) lines.push('no advices in flight: primary has applied everything stand-in did');
  else if (standin.reachable) lines.push('advices in flight: stand-in did not say (an older version?)');
  if (primary.reachable && (primary.quarantinedAdvices ?? 0) > 0)
    lines.push(
      `QUARANTINED: primary could not apply ${primary.quarantinedAdvices} of stand-in's advice${primary.quarantinedAdvices === 1 ? '' : 's'} (the customers' later advices went on): their effects are missing from primary's ledger.`,
      '  See the reasons in the reconciliation report (npm run reconcile -w advice-consumer); once fixed, re-drive each: POST <primary>/advices/quarantined/<advice id>/redrive.',
    );
  const flagged = primary.reachable ? (primary.timeoutReversals?.flagged ?? 0) : 0;
  if (flagged > 0)
    lines.push(
      `FLAGGED: ${flagged} timeout reversal${flagged === 1 ? '' : 's'} primary owes stand-in ${flagged === 1 ? 'is' : 'are'} still not acknowledged after many attempts (still retried): money stand-in approved after primary answered 91 may stay held.`,
      `  See which: GET <primary>${TIMEOUT_REVERSALS_ROUTE}; check stand-in's card reversals route answers.`,
    );
  return lines.join('\n');
}

export function renderChange(command: string, outcome: ChangeOutcome): string {
  const lines: string[] = [];
  if (!outcome.changed) lines.push(`${command}: nothing to change; version ${outcome.before.version} already says so`);
  else {
    lines.push(`${command}: version ${outcome.before.version} -> ${outcome.after.version} by ${outcome.after.updatedBy}: "${outcome.after.reason}"`);
    for (const difference of outcome.differences) lines.push(`  ${pad(difference.what, 28)}${difference.from} -> ${difference.to}`);
  }
  for (const note of outcome.notes) lines.push(`  note: ${note}`);
  if (outcome.changed && outcome.inFlight.state === 'in_flight') {
    lines.push(
      `  WARNING: moved ${outcome.inFlight.users} user(s) back to primary with effects in flight (${describeAdvices(outcome.inFlight)}); primary applies them when the advices reach it`,
    );
  } else if (outcome.changed && outcome.inFlight.state === 'unknown') {
    lines.push(`  WARNING: moved users back to primary without knowing whether their effects in stand-in were applied (${outcome.inFlight.reason})`);
  }
  for (const platform of outcome.platforms) lines.push(`  ${pad(PLATFORM_LABEL[platform.platform], 10)}${platform.outcome}`);
  const primary = outcome.platforms.find((platform) => platform.platform === 'primary');
  if (primary && !primary.reachable) lines.push('  PRIMARY IS UNREACHABLE: the change is in stand-in only, for now');
  return lines.join('\n');
}

export function renderAudit(entries: ConfigurationAuditEntry[]): string {
  if (entries.length === 0) return 'no changes recorded yet: the initial configuration (stand-in off for everyone) stands';
  return entries
    .map(
      (entry) =>
        `version ${entry.version}  ${entry.document.updatedAt.slice(0, 19)}Z  ${pad(entry.document.updatedBy, 16)}${entry.source === 'adopted' ? `(adopted from ${entry.recordedBy}) ` : ''}"${entry.document.reason}"`,
    )
    .join('\n');
}

export function renderCohort(cohort: DailyCohortMembers): string {
  if (cohort.percent === 0) return `daily cohort: off (${cohort.customersKnown} customers known to stand-in)`;
  const lines = [
    `daily cohort ${cohort.day}: ${cohort.percent}% of users; ${cohort.members.length} of the ${cohort.customersKnown} customers stand-in knows are in it today`,
  ];
  for (const member of cohort.members) lines.push(`  ${member}`);
  if (cohort.next !== undefined) lines.push(`  ... the list stops here: more members follow ${cohort.next}`);
  return lines.join('\n');
}

const percentText = (rate: number | undefined) => (rate === undefined ? '-' : `${(rate * 100).toFixed(1)}%`);

export function renderShadowReport(report: ShadowReport): string {
  if (report.decisions === 0)
    return `shadow report${report.since ? ` since ${report.since}` : ''}: no shadow decisions yet (turn it on with standin shadow --percent N)`;
  const lines = [
    `shadow report${report.since ? ` since ${report.since}` : ''}: ${report.decisions} messages decided in the shadow, ${report.agreed} agreed (${percentText(report.agreementRate)})`,
    '',
    `${pad('message type', 26)}${pad('decisions', 12)}${pad('agreed', 10)}agreement`,
    ...report.byMessageType.map(
      (type) => `${pad(type.messageType, 26)}${pad(String(type.decisions), 12)}${pad(String(type.agreed), 10)}${percentText(type.agreementRate)}`,
    ),
    '',
  ];
  if (report.disagreements.length === 0) lines.push('no disagreements');
  for (const group of report.disagreements) {
    lines.push(`${group.explained ? 'explained  ' : 'DEFECT     '}${pad(group.reason, 22)}${group.count}`);
    for (const example of group.examples) {
      lines.push(
        `    ${example.stan}/${example.rrn}/${example.terminalId}: primary ${example.primaryResponseCode}, stand-in ${example.standinResponseCode} "${example.standinReason}"${example.syncLagMs === undefined ? '' : ` (sync lag ${example.syncLagMs} ms)`}`,
      );
    }
  }
  lines.push('');
  if (report.costByRule.length > 0) {
    lines.push("the cost of stand-in's rules: primary's approvals each would have declined");
    for (const cost of report.costByRule)
      lines.push(`    ${pad(String(cost.primaryApprovalsDeclined), 8)}${pad(pounds(cost.amountMinor), 14)}${cost.label} [${cost.rule}]`);
    lines.push('');
  }
  lines.push(
    report.defects === 0
      ? "OK: every disagreement is explained by sync lag or stand-in's deliberate limits"
      : `DEFECTS: ${report.defects} disagreements no lag or limit explains: investigate them`,
  );
  return lines.join('\n');
}
