import fs from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { AppUserSummary } from '../simulator/app-client';
import type { Exchange } from '../simulator/ground-truth';
import type { LoadStatistics } from '../simulator/load-generator';
import type { InvariantResult } from './invariants/invariant-result';
import { APP_KINDS, figuresOf, groupFigures, NETWORK_KINDS, type MessageFigures } from './message-figures';
import type { QuiescenceReport } from './quiescence';

// A scenario's outcome: what the network sent and heard, what the apps saw, whether the system
// came to rest, and the eight invariants with their evidence. Printed as a table and written as
// JSON under results/chaos/ (git-ignored).

export interface ScheduleStep {
  readonly atMs: number;
  readonly phase: string;
  readonly step: string;
}

export interface ScenarioReport {
  readonly scenario: { readonly id: string; readonly title: string };
  readonly passed: boolean;
  readonly seed: number;
  readonly replay: string;
  readonly run: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly gateway: string;
  readonly load: {
    readonly ratePerSecond: number;
    readonly customers: number;
    readonly appUsers: number;
    readonly deadlineMs: number;
    readonly statistics: LoadStatistics;
  };
  readonly schedule: readonly ScheduleStep[];
  /** What the scenario itself measured about its fault (an alert's timing, who was routed where). */
  readonly observations: Readonly<Record<string, unknown>>;
  /** Payment-network messages (through the gateway), all phases. */
  readonly messages: MessageFigures;
  readonly standinApprovalsDuringFault: number;
  readonly messagesByKind: Record<string, MessageFigures>;
  readonly messagesByPhase: Record<string, MessageFigures>;
  readonly appActions: Record<string, MessageFigures>;
  readonly appUsers: readonly AppUserSummary[];
  readonly scheme: { readonly outboundPaymentsReceived: number; readonly submittedMoreThanOnce: number };
  readonly clearingBatch: { readonly presented: number; readonly unsettled: number };
  readonly quiescence: QuiescenceReport;
  readonly invariants: readonly InvariantResult[];
  readonly files: {
    readonly report: string;
    readonly groundTruth: string;
    readonly appTimeline: string;
    readonly schemeReceived: string;
    readonly logs: string;
  };
}

export function messageSections(exchanges: readonly Exchange[]) {
  const network = exchanges.filter((exchange) => NETWORK_KINDS.includes(exchange.kind));
  return {
    messages: figuresOf(network),
    standinApprovalsDuringFault: network.filter(
      (e) => e.phase === 'fault' && e.decidedBy === 'standin' && (e.verdict === 'approved' || e.verdict === 'accepted'),
    ).length,
    messagesByKind: groupFigures(network, (exchange) => exchange.kind),
    messagesByPhase: groupFigures(network, (exchange) => exchange.phase),
    appActions: groupFigures(
      exchanges.filter((exchange) => APP_KINDS.includes(exchange.kind)),
      (exchange) => exchange.kind,
    ),
  };
}

export function resultsDirectory(run: string): string {
  return path.join(REPOSITORY_ROOT, 'results', 'chaos', run);
}

/** One JSON document per line, for timelines too long to read as one. */
export function writeJsonLines(file: string, items: readonly unknown[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, items.map((item) => `${JSON.stringify(item)}\n`).join(''));
}

/** Writes results/chaos/<run>/report.json, and a copy as results/chaos/<scenario>.json (the latest run of it). */
export function writeReport(report: ScenarioReport): void {
  fs.mkdirSync(path.dirname(report.files.report), { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(report.files.report, json);
  fs.writeFileSync(path.join(REPOSITORY_ROOT, 'results', 'chaos', `${report.scenario.id}.json`), json);
}

const FIGURE_COLUMNS: [string, (f: MessageFigures) => number][] = [
  ['sent', (f) => f.sent],
  ['on time', (f) => f.answeredWithinDeadline],
  ['approved', (f) => f.approvals],
  ['declined', (f) => f.declines],
  ['gw 91', (f) => f.gatewayNoAnswer],
  ['deferred', (f) => f.deferred],
  ['error', (f) => f.errors],
  ['late', (f) => f.late],
  ['missing', (f) => f.missing],
  ['by prim.', (f) => f.decidedBy.primary],
  ['by st-in', (f) => f.decidedBy.standin],
];

function figuresTable(title: string, rows: [string, MessageFigures][]): string[] {
  const header = `${title.padEnd(18)}${FIGURE_COLUMNS.map(([name]) => name.padStart(9)).join('')}`;
  return [header, ...rows.map(([label, figures]) => `${label.padEnd(18)}${FIGURE_COLUMNS.map(([, value]) => String(value(figures)).padStart(9)).join('')}`)];
}

export function renderReport(report: ScenarioReport): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `chaos scenario ${report.scenario.id}: ${report.scenario.title} — ${report.passed ? 'PASSED' : 'FAILED'}`,
    `run ${report.run}, seed ${report.seed} (replay: ${report.replay}), ${seconds(report.durationMs)}`,
    `load ${report.load.ratePerSecond} msg/s over ${report.load.customers} customers (${report.load.appUsers} app users polling), deadline ${report.load.deadlineMs} ms; gateway: ${report.gateway}`,
    '',
    'schedule:',
    ...report.schedule.map((step) => `  ${seconds(step.atMs).padStart(8)}  [${step.phase}] ${step.step}`),
    '',
    ...figuresTable('network messages', [...Object.entries(report.messagesByKind), ['all', report.messages]]),
    '',
    ...figuresTable('by phase', Object.entries(report.messagesByPhase)),
    '',
    ...figuresTable('app actions', Object.entries(report.appActions)),
    '',
    `stand-in approvals during the fault: ${report.standinApprovalsDuringFault}`,
    ...Object.entries(report.observations).map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`),
    `apps: ${report.appUsers.map((user) => `${user.user.slice(0, 8)} ${user.switches.map((s) => `${s.from}->${s.to}`).join(',') || 'no switch'} (${user.failedCalls} failed calls)`).join('; ')}`,
    `scheme: ${report.scheme.outboundPaymentsReceived} outbound payments received (${report.scheme.submittedMoreThanOnce} submitted more than once); clearing batch presented ${report.clearingBatch.presented}, unsettled ${report.clearingBatch.unsettled}`,
    `quiescence: ${report.quiescence.settled ? 'settled' : 'NOT settled'} after ${seconds(report.quiescence.waitedMs)} ${JSON.stringify(report.quiescence.last)}`,
    '',
    'invariants:',
    ...report.invariants.map((invariant) => `  ${invariant.id}. ${invariant.passed ? 'PASS' : 'FAIL'}  ${invariant.name}\n       ${invariant.summary}`),
    ...modelDisagreements(report),
    '',
    `report: ${path.relative(REPOSITORY_ROOT, report.files.report)}; ground truth, app timeline, scheme's payments beside it; service logs: ${path.relative(REPOSITORY_ROOT, report.files.logs)}`,
  ];
  return lines.join('\n');
}

/** Invariant 8's first accounts that differ, the model's history beside the ledger's, printed where the failure is read. */
function modelDisagreements(report: ScenarioReport): string[] {
  const model = report.invariants.find((invariant) => invariant.id === 8 && !invariant.passed);
  const differing =
    (
      model?.evidence.differing as
        { first?: { accountId: string; model: unknown; ledger: unknown; modelHistory: string[]; ledgerHistory: string[] }[] } | undefined
    )?.first ?? [];
  return differing.flatMap((account) => [
    '',
    `  account ${account.accountId}: model ${JSON.stringify(account.model)}, ledger ${JSON.stringify(account.ledger)}`,
    ...sideBySide(account.modelHistory, account.ledgerHistory).map((line) => `    ${line}`),
  ]);
}

function sideBySide(left: readonly string[], right: readonly string[]): string[] {
  const width = 90;
  const rows = Math.max(left.length, right.length);
  const cell = (text: string | undefined) => (text ?? '').slice(0, width).padEnd(width);
  return [
    `${cell('what the outside world was told (model)')} | primary's ledger`,
    ...Array.from({ length: rows }, (_, index) => `${cell(left[index])} | ${right[index] ?? ''}`),
  ];
}
