import type { IncidentReport, IncidentSummary } from '../incidents/incident-report';
import { describeAge } from './in-flight';
import { pounds } from './money-text';

// The incident as the engineer reads it in a terminal, and as Markdown to paste into a
// regulator's major-incident notification (initial, intermediate, final).

function describeReconciliation(result: IncidentReport['reconciliation']): string {
  if (!result) return 'not run since the incident opened: npm run reconcile -w advice-consumer';
  const when = `${result.afterClose ? 'final, ' : 'before the close, '}${result.checkedAt}`;
  const scope = result.scope === 'all' ? 'the whole advice log' : 'some accounts';
  if (result.clean) return `CLEAN (${when}): ${result.standinAdvices} stand-in advices, each applied once in primary (${scope})`;
  return `NOT CLEAN (${when}): ${result.missing} missing, ${result.duplicated} duplicated, ${result.diverging} diverging, ${result.quarantined} quarantined in ${result.accountsNotClean} account(s) (${scope})`;
}

const counted = (money: { count: number; amountMinor: number }) => `${money.count} (${pounds(money.amountMinor)})`;

export function renderIncidentList(incidents: readonly IncidentSummary[]): string {
  if (incidents.length === 0) return 'no incidents: stand-in has not served anyone';
  return incidents
    .map(
      (incident) =>
        `${incident.incidentId}  ${incident.stage === 'open' ? 'OPEN  ' : 'closed'}  from ${incident.openedAt.slice(0, 19)}Z (version ${incident.openedVersion})` +
        (incident.closedAt ? ` to ${incident.closedAt.slice(0, 19)}Z (version ${incident.closedVersion})` : ''),
    )
    .join('\n');
}

/** The autopilot is named as such, with its evidence: nobody at the keyboard made this call. */
const openedBy = (by: NonNullable<IncidentReport['openedBy']>) =>
  by.by === 'autopilot' ? `the autopilot (no operator), on this evidence: "${by.reason}"` : `${by.by}: "${by.reason}"`;

function sections(report: IncidentReport): { title: string; rows: [string, string][] }[] {
  const { money } = report;
  return [
    {
      title: 'Impact',
      rows: [
        ['report', report.incident.stage === 'open' ? 'initial or intermediate: the incident is still open' : 'final: the incident is closed'],
        ['started', `${report.incident.openedAt} (configuration version ${report.incident.openedVersion})`],
        ...(report.openedBy ? [['opened by', openedBy(report.openedBy)] as [string, string]] : []),
        ['ended', report.incident.closedAt ? `${report.incident.closedAt} (configuration version ${report.incident.closedVersion})` : 'not yet'],
        ['duration', describeAge(report.durationMs)],
        [
          'time to first stand-in decision',
          report.timeToFirstDecisionMs === undefined ? 'stand-in decided nothing' : describeAge(report.timeToFirstDecisionMs),
        ],
        ['customers affected (served by stand-in)', String(report.customersAffected)],
        ['unapproved overdrafts primary shows for them', String(report.unapprovedOverdrafts)],
      ],
    },
    {
      title: 'Money decided by stand-in',
      rows: [
        ['card spending approved', counted(money.cardSpendingApproved)],
        ['card spending declined', counted(money.cardSpendingDeclined)],
        ['card refunds declined (stand-in takes none)', counted(money.cardRefundsDeclined)],
        ['card reversals', String(money.cardReversals)],
        ['Faster Payments in, credited', counted(money.fasterPaymentsIn)],
        ['Faster Payments out, sent', counted(money.fasterPaymentsOutSent)],
        ['Faster Payments out, awaiting the scheme', counted(money.fasterPaymentsOutPending)],
        ['Faster Payments out, refused', counted(money.fasterPaymentsOutRefused)],
        ['cards frozen or unfrozen', String(money.cardFreezes)],
      ],
    },
    {
      title: 'Declines by rule',
      rows:
        report.declinesByRule.length === 0
          ? [['none', '']]
          : report.declinesByRule.map((row): [string, string] => [row.rule ? `${row.reason} [${row.rule}]` : row.reason, counted(row)]),
    },
    {
      title: 'Peaks and reconciliation',
      rows: [
        ['sync lag, highest seen', `${report.peaks.syncLagMs} ms`],
        ['advices in flight, most at once', String(report.peaks.advicesInFlight)],
        ['advices recorded by stand-in', String(report.advices.recorded)],
        ['applied by primary', String(report.advices.appliedByPrimary)],
        [
          'not yet applied by primary',
          `${report.advices.notYetApplied}${report.advices.notYetApplied > 0 ? ' (PRIMARY IS MISSING THESE EFFECTS SO FAR)' : ''}`,
        ],
        ['reconciliation', describeReconciliation(report.reconciliation)],
      ],
    },
  ];
}

export function renderIncidentReport(report: IncidentReport): string {
  const lines = [`incident ${report.incident.incidentId}, report generated ${report.generatedAt}`, ''];
  for (const section of sections(report)) {
    lines.push(section.title);
    for (const [label, value] of section.rows) lines.push(`  ${label.padEnd(46)}${value}`);
    lines.push('');
  }
  lines.push('Timeline (configuration changes)');
  for (const entry of report.timeline) lines.push(`  v${entry.version}  ${entry.decidedAt}  ${entry.by}: "${entry.reason}"  -> stand-in: ${entry.standin}`);
  return lines.join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderIncidentMarkdown(report: IncidentReport): string {
  const lines = [
    `# Incident ${report.incident.incidentId}: stand-in served customers`,
    '',
    `Report generated ${report.generatedAt}; ${report.incident.stage === 'open' ? 'the incident is still open (initial or intermediate report)' : 'final report'}.`,
  ];
  for (const section of sections(report)) {
    lines.push('', `## ${section.title}`, '', '| | |', '|---|---|');
    for (const [label, value] of section.rows) lines.push(`| ${cell(label)} | ${cell(value)} |`);
  }
  lines.push('', '## Timeline', '', '| version | decided at | by | reason | stand-in serving |', '|---|---|---|---|---|');
  for (const entry of report.timeline)
    lines.push(`| ${entry.version} | ${entry.decidedAt} | ${cell(entry.by)} | ${cell(entry.reason)} | ${cell(entry.standin)} |`);
  return lines.join('\n');
}
