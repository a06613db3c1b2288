import readline from 'node:readline/promises';
import type { ConfigurationDocument } from '@bank/shared-contracts';
import { CliError } from './cli-error';
import type { Difference } from './change-plan';

// A change that moves every user (to stand-in or back) is the one that hurts most when typed into
// the wrong terminal at 3 a.m.: it asks first, and without a terminal to ask on it needs --yes.

export function confirmWideChanges(options: { yes: boolean; interactive: boolean; write: (text: string) => void }) {
  return async (found: Difference[], base: ConfigurationDocument): Promise<void> => {
    const wide = found.filter((difference) => difference.wide);
    if (wide.length === 0 || options.yes) return;
    const summary = wide.map((difference) => `${difference.what}: ${difference.from} -> ${difference.to}`).join('; ');
    if (!options.interactive) {
      throw new CliError('CONFIRMATION_REQUIRED', `refused: this change touches EVERY user (${summary}). Nothing was changed. Re-run with --yes if you mean it.`, 3);
    }
    options.write(`This change touches EVERY user, on top of version ${base.version}:\n${wide.map((difference) => `  ${difference.what}: ${difference.from} -> ${difference.to}`).join('\n')}\n`);
    const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question('Type "yes" to apply it: ');
    prompt.close();
    if (answer.trim().toLowerCase() !== 'yes') throw new CliError('NOT_CONFIRMED', 'not confirmed: nothing was changed', 3);
  };
}
