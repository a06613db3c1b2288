import { summariseLatencies, type LatencySummary } from '../shared/latency-stats';
import type { TimelineEntry } from '../shared/load-protocol';

// What the payment network saw around primary's SIGKILL, from the load's per-request timeline:
// pure functions of the timeline and the kill's time, so the figures follow from the data alone.

/** How the network heard about a group of requests. */
export interface AnswerCounts {
  readonly requests: number;
  readonly approvedByPrimary: number;
  readonly approvedByStandin: number;
  /** Answered with a decision other than approval (by either platform). */
  readonly declined: number;
  /** The gateway's own 504 with response code 91: no platform answered in time. */
  readonly noAnswer504: number;
  /** Anything else: no answer at all, connection failures, other statuses. */
  readonly otherErrors: number;
  /** Answered or failed (any outcome, 504 included) later than the network's deadline after being due to leave; a client timeout counts here too. */
  readonly pastDeadline: number;
}

export interface TimelineBin {
  /** Start of the bin, ms from the kill (negative: before it), by answer time. */
  readonly fromMs: number;
  readonly counts: AnswerCounts;
}

export interface SwitchFigures {
  /** Answered before the kill: the steady state. */
  readonly beforeKill: AnswerCounts;
  /** Latency of the answers before the kill (from when each was due to leave): whether the steady state was steady. */
  readonly beforeKillLatencyMs: LatencySummary;
  /** Due to leave before the kill, answered after it. */
  readonly inFlightAtKill: AnswerCounts;
  /** Answered from the kill until the first approval stand-in decided (inclusive): the switch. */
  readonly duringSwitch: AnswerCounts;
  /** Everything answered after the kill, to the end of the load. */
  readonly afterKill: AnswerCounts;
  /** From the SIGKILL until the network had stand-in's first approval; null if it never came. */
  readonly firstStandinApprovalAfterKillMs: number | null;
  /** That approval's own latency, and when it was due to leave relative to the kill. */
  readonly firstStandinApproval: { readonly latencyMs: number; readonly sentAfterKillMs: number } | null;
  /** The last answer decided by primary, relative to the kill (requests it answered as it died). */
  readonly lastPrimaryAnswerAfterKillMs: number | null;
  /** From the first stand-in approval to the end: the share of requests approved by stand-in. */
  readonly standinApprovedShareAfterSwitch: number | null;
}

const APPROVED = '00';
const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;

function classify(entry: TimelineEntry): keyof Omit<AnswerCounts, 'requests' | 'pastDeadline'> {
  if (entry.outcome === 'answered') {
    if (entry.responseCode !== APPROVED) return 'declined';
    return entry.decidedBy === 'standin' ? 'approvedByStandin' : 'approvedByPrimary';
  }
  if (entry.outcome === 'http-504' && entry.responseCode === '91') return 'noAnswer504';
  return 'otherErrors';
}

export function countAnswers(entries: readonly TimelineEntry[], deadlineMs: number): AnswerCounts {
  const counts = { requests: 0, approvedByPrimary: 0, approvedByStandin: 0, declined: 0, noAnswer504: 0, otherErrors: 0, pastDeadline: 0 };
  for (const entry of entries) {
    counts.requests++;
    counts[classify(entry)]++;
    if (entry.answeredAtMs - entry.sentAtMs > deadlineMs) counts.pastDeadline++;
  }
  return counts;
}

export function switchFigures(timeline: readonly TimelineEntry[], killedAtMs: number, deadlineMs: number): SwitchFigures {
  const after = timeline.filter((entry) => entry.answeredAtMs >= killedAtMs);
  const firstStandin = after
    .filter((entry) => entry.outcome === 'answered' && entry.responseCode === APPROVED && entry.decidedBy === 'standin')
    .reduce<TimelineEntry | undefined>((first, entry) => (first === undefined || entry.answeredAtMs < first.answeredAtMs ? entry : first), undefined);
  const switchEnd = firstStandin?.answeredAtMs ?? Number.POSITIVE_INFINITY;
  const lastPrimary = after
    .filter((entry) => entry.decidedBy === 'primary')
    .reduce((last, entry) => Math.max(last, entry.answeredAtMs), Number.NEGATIVE_INFINITY);
  const afterSwitch = firstStandin ? timeline.filter((entry) => entry.sentAtMs >= firstStandin.sentAtMs) : [];
  const before = timeline.filter((entry) => entry.answeredAtMs < killedAtMs);
  return {
    beforeKill: countAnswers(before, deadlineMs),
    beforeKillLatencyMs: summariseLatencies(before.map((entry) => entry.answeredAtMs - entry.sentAtMs)),
    inFlightAtKill: countAnswers(
      after.filter((entry) => entry.sentAtMs < killedAtMs),
      deadlineMs,
    ),
    duringSwitch: countAnswers(
      after.filter((entry) => entry.answeredAtMs <= switchEnd),
      deadlineMs,
    ),
    afterKill: countAnswers(after, deadlineMs),
    firstStandinApprovalAfterKillMs: firstStandin ? round(firstStandin.answeredAtMs - killedAtMs) : null,
    firstStandinApproval: firstStandin
      ? { latencyMs: round(firstStandin.answeredAtMs - firstStandin.sentAtMs), sentAfterKillMs: round(firstStandin.sentAtMs - killedAtMs) }
      : null,
    lastPrimaryAnswerAfterKillMs: Number.isFinite(lastPrimary) ? round(lastPrimary - killedAtMs) : null,
    standinApprovedShareAfterSwitch:
      afterSwitch.length > 0 ? round(afterSwitch.filter((entry) => classify(entry) === 'approvedByStandin').length / afterSwitch.length, 4) : null,
  };
}

/** The timeline in bins of `binMs` by answer time, from `fromMs` to `toMs` relative to the kill (empty bins included). */
export function binTimeline(
  timeline: readonly TimelineEntry[],
  killedAtMs: number,
  deadlineMs: number,
  window: { readonly fromMs: number; readonly toMs: number; readonly binMs: number },
): TimelineBin[] {
  const bins: TimelineBin[] = [];
  for (let fromMs = window.fromMs; fromMs < window.toMs; fromMs += window.binMs) {
    const inBin = timeline.filter((entry) => entry.answeredAtMs - killedAtMs >= fromMs && entry.answeredAtMs - killedAtMs < fromMs + window.binMs);
    bins.push({ fromMs, counts: countAnswers(inBin, deadlineMs) });
  }
  return bins;
}
