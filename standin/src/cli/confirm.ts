import readline from 'node:readline/promises';
import type { ConfigurationDocument } from '@bank/shared-contracts';
import { CliError } from './cli-error';
import type { Difference } from './change-plan';
import { describeInFlight, type InFlightCheck } from './in-flight';

// Two kinds of change hurt most when typed into the wrong terminal at 3 a.m., and each asks first
// (without a terminal to ask on, each needs --yes):
//  - one that moves every user (to stand-in or back);
//  - one that moves users back to primary while stand-in's effects for them (a freeze, a payment)
//    are still on their way there, or when stand-in cannot say whether they are.
// With --yes the change goes ahead, and the warning is still printed.

export type Confirm = (differences: Difference[], base: ConfigurationDocument, inFlight: InFlightCheck) => Promise<void>;

/**
 * A change that may not do what the engineer thinks (blocking a card id stand-in does not know):
 * the warning is printed and the change asks first, or needs --yes without a terminal.
 */
export type ConfirmCaution = (warning: string) => Promise<void>;

export function confirmCaution(options: { yes: boolean; interactive: boolean; write: (text: string) => void }): ConfirmCaution {
  return async (warning) => {
    if (options.yes) return options.write(`${warning}\n  Going ahead anyway (--yes).`);
    if (!options.interactive) throw new CliError('CONFIRMATION_REQUIRED', `refused: ${warning}\nNothing was changed. Re-run with --yes if you mean it.`, 3);
    options.write(`${warning}\n`);
    await askYes();
  };
}

async function askYes(): Promise<void> {
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question('Type "yes" to apply it: ');
  prompt.close();
  if (answer.trim().toLowerCase() !== 'yes') throw new CliError('NOT_CONFIRMED', 'not confirmed: nothing was changed', 3);
}

export function confirmWideChanges(options: { yes: boolean; interactive: boolean; write: (text: string) => void }): Confirm {
  return async (found, base, inFlight) => {
    const wide = found.filter((difference) => difference.wide);
    const warning = describeInFlight(inFlight);
    if (wide.length === 0 && warning === undefined) return;
    if (options.yes) {
      if (warning !== undefined) options.write(`${warning}\n  Going ahead anyway (--yes).`);
      return;
    }
    const summary = wide.map((difference) => `${difference.what}: ${difference.from} -> ${difference.to}`).join('; ');
    if (!options.interactive) {
      const reasons = [...(wide.length > 0 ? [`this change touches EVERY user (${summary})`] : []), ...(warning !== undefined ? [warning] : [])];
      const code = inFlight.state === 'in_flight' ? 'EFFECTS_IN_FLIGHT' : inFlight.state === 'unknown' ? 'EFFECTS_IN_FLIGHT_UNKNOWN' : 'CONFIRMATION_REQUIRED';
      throw new CliError(code, `refused: ${reasons.join('\nand ')}\nNothing was changed. Re-run with --yes if you mean it.`, 3);
    }
    const lines: string[] = [];
    if (wide.length > 0)
      lines.push(
        `This change touches EVERY user, on top of version ${base.version}:\n${wide.map((difference) => `  ${difference.what}: ${difference.from} -> ${difference.to}`).join('\n')}`,
      );
    if (warning !== undefined) lines.push(warning);
    options.write(`${lines.join('\n')}\n`);
    await askYes();
  };
}
