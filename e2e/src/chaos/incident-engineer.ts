import { execFile } from 'node:child_process';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { PlatformUrls } from '../stack/services';

// The incident engineer at a terminal: the `standin` CLI, against the run's own platforms. Every
// command is logged with what it printed, so the report shows the incident as it was handled.

export interface CliRun {
  readonly command: string;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

export interface IncidentEngineer {
  /** Runs `standin <args>`; throws (with what the CLI said) unless it exits 0. */
  standin(...args: string[]): Promise<CliRun>;
  /**
   * The same, from a terminal inside a network namespace of the hosts topology (an engineer who
   * reaches only what that host reaches, e.g. one side of a partition); `where` names it in the log.
   */
  standinFrom(at: { readonly netns: string; readonly where: string }, ...args: string[]): Promise<CliRun>;
  history(): readonly CliRun[];
}

export function incidentEngineer(options: { urls: PlatformUrls; operatorToken: string; log: (line: string) => void }): IncidentEngineer {
  const runs: CliRun[] = [];
  const cli = [path.join(REPOSITORY_ROOT, 'standin/bin/standin.cjs')];
  const execute = (command: string, commandArgs: string[], args: string[], where: string): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const began = Date.now();
      execFile(
        command,
        commandArgs,
        {
          env: { ...process.env, PRIMARY_URL: options.urls.primary, STANDIN_URL: options.urls.standin, STANDIN_OPERATOR_TOKEN: options.operatorToken },
          timeout: 30_000,
        },
        (error, stdout, stderr) => {
          const run: CliRun = {
            command: `${where}standin ${args.join(' ')}`,
            code: error ? Number((error as { code?: number }).code ?? 1) : 0,
            stdout: stdout.trim(),
            stderr: stderr.trim(),
            elapsedMs: Date.now() - began,
          };
          runs.push(run);
          options.log(`$ ${run.command} -> exit ${run.code} (${run.elapsedMs} ms)${run.stdout ? `\n${run.stdout}` : ''}${run.stderr ? `\n${run.stderr}` : ''}`);
          if (run.code === 0) resolve(run);
          else reject(new Error(`${run.command} exited ${run.code}: ${run.stderr || run.stdout}`));
        },
      );
    });
  return {
    standin: (...args) => execute(process.execPath, [...cli, ...args], args, ''),
    standinFrom: (at, ...args) => execute('ip', ['netns', 'exec', at.netns, process.execPath, ...cli, ...args], args, `[${at.where}] `),
    history: () => runs,
  };
}
