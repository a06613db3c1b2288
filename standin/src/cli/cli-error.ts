/** A failure the engineer can act on: a code for scripts, a sentence for people, an exit code. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** 1: something failed; 2: the command line is wrong; 3: refused without confirmation. */
    readonly exitCode: 1 | 2 | 3 = 1,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError('USAGE', message, 2);
