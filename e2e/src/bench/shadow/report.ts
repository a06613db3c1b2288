import { figure, type HeadlineFigure } from '../shared/headline';
import { round, SHADOW_TARGETS, type ShadowBenchResult } from './benchmark';

export function printShadowReport(result: ShadowBenchResult, file: string): void {
  console.log(
    [
      '',
      `shadow decisioning: primary card authorisations at the same open-loop rate, medians of ${result.parameters.rounds} alternating rounds`,
      `  shadow off    p50 ${result.figures.shadowOff.p50Ms} ms  p99 ${result.figures.shadowOff.p99Ms} ms  ${result.figures.shadowOff.throughputPerSecond}/s  errors ${result.figures.shadowOff.errors}`,
      `  shadow 100%   p50 ${result.figures.shadowAll.p50Ms} ms  p99 ${result.figures.shadowAll.p99Ms} ms  ${result.figures.shadowAll.throughputPerSecond}/s  errors ${result.figures.shadowAll.errors}`,
      `  p99 change ${(result.figures.p99Increase * 100).toFixed(1)}% (target at most +${SHADOW_TARGETS.maxP99IncreaseFraction * 100}%: ${result.target.p99WithinFractionOfShadowOff.met ? 'met' : 'NOT met'})`,
      `  copies sent ${result.figures.shadowMessagesSent ?? '-'}, dropped ${result.figures.shadowMessagesDropped ?? '-'}; decided by stand-in ${result.figures.shadowDecisions}, agreement ${result.figures.agreementRate === null ? '-' : `${(result.figures.agreementRate * 100).toFixed(1)}%`}, defects ${result.figures.defects}`,
      ...result.report.byMessageType.map((type) => `    ${type.messageType}: ${type.agreed}/${type.decisions} agree`),
      ...result.report.disagreements.map((group) => `    ${group.explained ? 'explained' : 'DEFECT'} ${group.reason}: ${group.count}`),
      `  written to ${file}`,
    ].join('\n'),
  );
}

export function shadowHeadline(result: ShadowBenchResult): readonly HeadlineFigure[] {
  return [
    figure('primary p99, shadow off', result.figures.shadowOff.p99Ms, 'ms'),
    figure('primary p99, shadow 100%', result.figures.shadowAll.p99Ms, 'ms', {
      description: 'within 10% of shadow off',
      met: result.target.p99WithinFractionOfShadowOff.met,
    }),
    figure('shadow agreement rate', result.figures.agreementRate === null ? null : round(result.figures.agreementRate * 100, 1), '%'),
    figure('shadow defects', result.figures.defects, 'disagreements'),
  ];
}
