import type { StartReport } from './infra';

export function printStartReport(report: StartReport): void {
  const seconds = (report.elapsedMs / 1000).toFixed(1);
  if (report.ok) console.log(`  ok    ${report.name.padEnd(14)} ${seconds} s`);
  else console.log(`  FAIL  ${report.name.padEnd(14)} ${report.error?.message.replace(/\n/g, '\n        ')}`);
}
