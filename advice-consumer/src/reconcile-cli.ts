import { readAdviceConsumerEnvironment } from './config';
import { createPrimaryClient } from './primary-client';
import { reconcile, redriveMissing } from './reconciliation';
import { fetchPrimaryApplied, fetchPrimaryQuarantined, fetchStandinLog, recordInStandin } from './reconciliation-sources';

// `npm run reconcile -w advice-consumer [-- --redrive] [--json] [--accounts a,b]`: the report that closes an incident.

async function main(argv: readonly string[]): Promise<number> {
  // The advice consumer's own settings and credentials: outside BANK_MODE=local they must be given.
  const { standin, primary } = readAdviceConsumerEnvironment().values;
  // --accounts a,b narrows the report to an incident's customers.
  const listed = argv.includes('--accounts') ? argv[argv.indexOf('--accounts') + 1] : undefined;
  const accounts = listed ? new Set(listed.split(',')) : undefined;
  const ids = accounts ? [...accounts] : undefined;
  // The log and the applied advices come narrowed by the platforms; the quarantined list whole.
  const log = await fetchStandinLog(standin, ids);
  const quarantined = async () => (await fetchPrimaryQuarantined(primary)).filter((row) => !accounts || accounts.has(row.accountId));
  let report = reconcile(log, await fetchPrimaryApplied(primary, ids), new Date(), await quarantined());
  let redrive;
  if (argv.includes('--redrive') && !report.clean) {
    redrive = await redriveMissing(report, log, createPrimaryClient(primary));
    report = reconcile(log, await fetchPrimaryApplied(primary, ids), new Date(), await quarantined());
  }
  // Recorded in stand-in for the incident report; a refusal is said, but the report stands as printed.
  const recorded = await recordInStandin(standin, report, accounts ? 'accounts' : 'all', redrive?.applied).then(
    () => undefined,
    (error: unknown) => `the result was not recorded in stand-in (${(error as Error).message}); the incident report will not show it`,
  );
  if (recorded) console.error(`reconciliation: ${recorded}`);
  if (argv.includes('--json')) console.log(JSON.stringify({ ...report, ...(redrive ? { redrive } : {}) }, null, 2));
  else {
    console.log(`stand-in advices: ${report.standinAdvices}   applied by primary: ${report.primaryApplied}`);
    if (redrive)
      console.log(
        `re-driven: ${redrive.applied} applied, ${redrive.failed.length} failed${redrive.failed.map((f) => `\n  ${f.accountId} #${f.sequence}: ${f.why}`).join('')}`,
      );
    if (report.clean) console.log('CLEAN: every stand-in advice is applied exactly once in primary');
    for (const account of report.accounts) {
      console.log(
        `${account.accountId}  missing ${JSON.stringify(account.missing)}  duplicated ${JSON.stringify(account.duplicated)}  diverging ${JSON.stringify(account.diverging)}`,
      );
    }
    for (const done of report.appliedWithoutEffect)
      console.log(`${done.accountId} #${done.sequence} ${done.type}: applied without moving money (${done.note})`);
    for (const held of report.quarantined)
      console.log(
        `${held.accountId} #${held.sequence} ${held.type}: QUARANTINED by primary since ${held.quarantinedAt} (${held.reason}); once fixed: POST ${primary.url}/advices/quarantined/${held.adviceId}/redrive`,
      );
    if (!report.clean)
      console.log(
        argv.includes('--redrive')
          ? 'NOT CLEAN after re-drive: see the failures above'
          : "NOT CLEAN: re-run with --redrive to apply what is missing from stand-in's log",
      );
  }
  return report.clean ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`reconciliation failed: ${(error as Error).message}`);
    process.exit(2);
  },
);
