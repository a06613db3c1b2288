import { figure, type HeadlineFigure } from '../shared/headline';
import type { PrimaryReplicasResult } from './benchmark';

export function printPrimaryReplicasReport(result: PrimaryReplicasResult, file: string): void {
  const { figures } = result;
  console.log(
    [
      '',
      'primary-auth through HAProxy: one primary replica, then two, then one again (same run, same database)',
      `  one replica:        ${figures.oneReplicaPerSecond}/s`,
      `  two replicas:       ${figures.twoReplicasPerSecond}/s`,
      `  one replica again:  ${figures.oneReplicaAgainPerSecond}/s`,
      `  two / one:          ${figures.twoToOneRatio} (near 1: the database is the bound; near 2: primary's process is)`,
      `  load average at start: ${result.loadAverageAtStart.join(' ')}; ${result.note}`,
      `  written to ${file}`,
    ].join('\n'),
  );
}

export function primaryReplicasHeadline(result: PrimaryReplicasResult): readonly HeadlineFigure[] {
  return [
    figure('one replica, saturation', result.figures.oneReplicaPerSecond, 'authorisations/s'),
    figure('two replicas, saturation', result.figures.twoReplicasPerSecond, 'authorisations/s'),
    figure('two / one replicas', result.figures.twoToOneRatio, 'ratio'),
  ];
}
