import { AUTOPILOT_MIN_HOLD_MS, AutopilotComponentName, type AutopilotSettingsChange, type AutopilotStatus } from '@bank/shared-contracts';
import { usageError } from './cli-error';

// `standin autopilot on|off|dry-run`: the command line to one settings change, checked before
// anything is sent. Safe by default: `on` with nothing opted in, or a flag that does not belong to
// the command, is refused with what to type instead.

export type AutopilotCommand = 'status' | 'on' | 'off' | 'dry-run';

export interface AutopilotOptions {
  readonly components?: string;
  readonly hold?: string;
  readonly 'max-changes-per-hour'?: string;
}

const COMPONENT_LIST = AutopilotComponentName.options.join(',');

export function autopilotCommand(word: string | undefined): AutopilotCommand {
  if (word === undefined) return 'status';
  if (word === 'status' || word === 'on' || word === 'off' || word === 'dry-run') return word;
  throw usageError(`autopilot ${word}: expected standin autopilot status, on, off or dry-run`);
}

/** --components a,b: exactly these opted in (the rest opted out), or undefined when not given. */
export function componentsOption(raw: string | undefined): AutopilotSettingsChange['optIn'] {
  if (raw === undefined) return undefined;
  const named = [...new Set(raw.split(',').map((name) => name.trim()))].filter((name) => name.length > 0);
  if (named.length === 0) throw usageError(`--components: name at least one of ${COMPONENT_LIST}`);
  for (const name of named)
    if (!AutopilotComponentName.safeParse(name).success) throw usageError(`--components: "${name}" is not a component; expected some of ${COMPONENT_LIST}`);
  return Object.fromEntries(AutopilotComponentName.options.map((component) => [component, named.includes(component)]));
}

/** --hold <seconds>: whole seconds from the shortest hold stand-in accepts to an hour. */
export function holdOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw.replace(/s$/, ''));
  const least = AUTOPILOT_MIN_HOLD_MS / 1000;
  if (!Number.isInteger(seconds) || seconds < least || seconds > 3_600)
    throw usageError(`--hold ${raw}: expected whole seconds from ${least} to 3600 (how long primary must fail, unbroken, before stand-in takes over)`);
  return seconds * 1000;
}

function capOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const cap = Number(raw);
  if (!Number.isInteger(cap) || cap < 0 || cap > 20) throw usageError(`--max-changes-per-hour ${raw}: expected a whole number from 0 to 20`);
  return cap;
}

/**
 * The change a command asks for. `current` is stand-in's settings now: `on` with no --components
 * keeps those opted in, and is refused when there are none (it would do nothing, and look armed).
 */
export function autopilotChange(
  command: Exclude<AutopilotCommand, 'status'>,
  options: AutopilotOptions,
  reason: string,
  current: AutopilotStatus['current'],
): AutopilotSettingsChange {
  if (command === 'off') {
    const extra = (['components', 'hold', 'max-changes-per-hour'] as const).filter((name) => options[name] !== undefined);
    if (extra.length > 0) throw usageError(`autopilot off takes only --reason (got --${extra.join(', --')}): off is off`);
    return { mode: 'off', reason };
  }
  const optIn = componentsOption(options.components);
  const holdMs = holdOption(options.hold);
  const maxChangesPerHour = capOption(options['max-changes-per-hour']);
  const optedIn = optIn ?? current.settings.optIn;
  if (!Object.values(optedIn).some(Boolean))
    throw usageError(`autopilot ${command}: no component is opted in; say which with --components ${COMPONENT_LIST} (any of them)`);
  return {
    mode: command,
    reason,
    // Switching it on is decided on what the engineer was shown: a change someone made meanwhile
    // refuses this one rather than being silently merged with it. Off needs no such care.
    basedOnVersion: current.version,
    ...(optIn ? { optIn } : {}),
    ...(holdMs !== undefined ? { holdMs } : {}),
    ...(maxChangesPerHour !== undefined ? { maxChangesPerHour } : {}),
  };
}
