import fs from 'node:fs';
import { CliError } from './cli-error';

// Where the CLI finds the operator's token. On the command line it is in the process list and the
// shell's history, so that works but warns; from the environment or from a file only the operator
// can read it is not. The local stack's operator is the default only in local mode (BANK_MODE=local).

export const LOCAL_OPERATOR_TOKEN = 'local-operator-token';

export function operatorToken(given: string | undefined, env: NodeJS.ProcessEnv, warn: (text: string) => void): string {
  if (given !== undefined) {
    warn(
      'standin: warning: --token puts the operator token in the process list and the shell history; prefer STANDIN_OPERATOR_TOKEN or STANDIN_OPERATOR_TOKEN_FILE',
    );
    return given;
  }
  if (env.STANDIN_OPERATOR_TOKEN) return env.STANDIN_OPERATOR_TOKEN;
  const file = env.STANDIN_OPERATOR_TOKEN_FILE;
  if (file) {
    let mode: number;
    try {
      mode = fs.statSync(file).mode;
    } catch (failure) {
      throw new CliError(
        'OPERATOR_TOKEN_FILE',
        `STANDIN_OPERATOR_TOKEN_FILE=${file} cannot be read (${(failure as NodeJS.ErrnoException).code ?? 'error'})`,
        2,
      );
    }
    // Group or others may read it: someone else may already have the token.
    if ((mode & 0o077) !== 0)
      throw new CliError(
        'OPERATOR_TOKEN_FILE',
        `STANDIN_OPERATOR_TOKEN_FILE=${file} may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
        2,
      );
    const token = fs.readFileSync(file, 'utf8').trim();
    if (!token) throw new CliError('OPERATOR_TOKEN_FILE', `STANDIN_OPERATOR_TOKEN_FILE=${file} is empty`, 2);
    return token;
  }
  if (env.BANK_MODE === 'local') return LOCAL_OPERATOR_TOKEN;
  throw new CliError('OPERATOR_TOKEN_MISSING', 'no operator token: set STANDIN_OPERATOR_TOKEN, or STANDIN_OPERATOR_TOKEN_FILE (a file only you can read)', 2);
}
