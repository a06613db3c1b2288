import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import { OPERATOR } from '../../src/stack/services';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `standin <args>` as an engineer runs it, against these platforms, whatever it exits with. */
export function standinCli(urls: { primary: string; standin: string }, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPOSITORY_ROOT, 'standin/bin/standin.cjs'), ...args],
      { env: { ...process.env, PRIMARY_URL: urls.primary, STANDIN_URL: urls.standin, STANDIN_OPERATOR_TOKEN: OPERATOR.token }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
