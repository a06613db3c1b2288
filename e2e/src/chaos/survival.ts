import type { ScenarioReport } from './scenario-report';

// What every scenario must show, whatever its fault: the network heard every message in time (a
// platform's answer, or the gateway's 91 while nobody could answer), the system came to rest, and
// all eight invariants hold. A scenario adds what its own fault must show.

export function survival(report: ScenarioReport) {
  return {
    sentSomething: report.messages.sent > 0,
    lateOrMissing: { late: report.messages.late, missing: report.messages.missing },
    allAnsweredInTime: report.messages.answeredWithinDeadline === report.messages.sent,
    settled: report.quiescence.settled,
    invariantsChecked: report.invariants.length,
    invariantsFailed: report.invariants.filter((invariant) => !invariant.passed).map((invariant) => `${invariant.id}. ${invariant.name}: ${invariant.summary}`),
  };
}

export const SURVIVED = {
  sentSomething: true,
  lateOrMissing: { late: 0, missing: 0 },
  allAnsweredInTime: true,
  settled: true,
  invariantsChecked: 8,
  invariantsFailed: [],
} as const;
