import { parseArgs } from 'node:util';
import { applyChange, readBoth, type ChangeOutcome, type Clients } from './apply-change';
import { describeTargeting, paymentComponents, shareFromOptions, targetingFromOptions, type ChangeSpec } from './change-plan';
import { CliError, usageError } from './cli-error';
import { confirmCaution, confirmWideChanges, type Confirm } from './confirm';
import { DEFAULT_TIMEOUT_MS, platformClient } from './platform-client';
import { renderAudit, renderChange, renderCohort, renderShadowReport, renderStatus, statusReport } from './render';
import { renderIncidentList, renderIncidentMarkdown, renderIncidentReport } from './incident-render';
import { parseInterval, stepBack } from './rollback';
import { operatorToken } from './operator-token';
import { blockCard, cardIdArgument, cardToBlock, defaultRules, renderRules, RULES_HELP, setRules, stalenessSchedule } from './rules-command';
import { autopilotChange, autopilotCommand } from './autopilot-options';
import { renderAutopilotChange, renderAutopilotStatus } from './autopilot-render';

// `standin`: the incident engineer's tool for turning stand-in on, for whom, and back off. It
// talks to both platforms' configuration services and keeps working when primary is down.

const HELP = `standin: turn the stand-in platform on, for whom, and back off

  standin status                              both platforms' configuration, reachability, sync lag, stand-in's advices
                                              not yet published and published but not yet applied by primary
  standin route-payments <who> [--scheme card|fps] [--direction inbound|outbound]
                                              send these users' payments to stand-in (both schemes and directions unless narrowed)
  standin redirect-apps <who>                 show these users the stand-in app experience
  standin prescale [on|off]                   scale stand-in up ahead of moving traffic to it (default: on)
  standin disable payments|apps               everyone back to primary for payments, or for the app
  standin rollback-apps [--step 10] [--interval 60s]
                                              move app users back to primary gradually, step percent at a time
  standin direct-connect on|off               the gateway sends all payment traffic straight to stand-in (primary down)
  standin audit [--limit 20]                  who changed what, when and why
  standin shadow --percent N | off            copy N% of the card messages primary decides to stand-in, to decide in the shadow
  standin shadow report [--since <ISO>]       how often stand-in's shadow decisions agree with primary's, and why not
  standin cohort --percent N | off            keep N% of users (chosen afresh each day) on stand-in for card spending and the app
  standin status --cohort                     also list today's cohort members stand-in knows
  standin incident list [--limit 20]          every time stand-in served anyone: opened, closed
  standin incident report <id> [--markdown]   an incident's timeline and impact (--markdown for a regulator's notification)
${RULES_HELP}
  standin autopilot status                    what the autopilot is set to do, the evidence it sees now, what it did
  standin autopilot on [--components cardPayments,fasterPayments,apps,directConnect] [--hold <seconds>]
                       [--max-changes-per-hour N] [--yes]
                                              let stand-in switch these on by itself once primary has failed them
                                              for the hold (it never switches anything off)
  standin autopilot dry-run [--components ...]  only record what it would switch on
  standin autopilot off                       it does nothing (the default)

  <who> is exactly one of: --all | --users <id,id,...> | --percent <0-100> | --none
  Every change needs --reason "<why, e.g. the incident>". A change that touches every user asks
  for confirmation, or needs --yes when there is no terminal. So does a change that moves users
  back to primary (disable, rollback-apps, a smaller target, cohort or direct-connect off) while
  any of them has effects from stand-in primary has not applied yet (or stand-in cannot say):
  it names how many; with --yes it goes ahead and still prints the warning. --json prints JSON.

  --standin <url>  (env STANDIN_URL, default http://127.0.0.1:8200)
  --primary <url>  (env PRIMARY_URL, default http://127.0.0.1:8100)
  --token <token>  (prefer env STANDIN_OPERATOR_TOKEN, or STANDIN_OPERATOR_TOKEN_FILE, a file only you
                   can read; --token is seen by others and warns; the local stack's operator is
                   the default in local mode, BANK_MODE=local)

  Exit codes: 0 done, 1 failed, 2 bad command line, 3 refused without confirmation.`;

export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly interactive: boolean;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

const OPTIONS = {
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  reason: { type: 'string' },
  all: { type: 'boolean' },
  users: { type: 'string' },
  percent: { type: 'string' },
  none: { type: 'boolean' },
  scheme: { type: 'string' },
  direction: { type: 'string' },
  step: { type: 'string' },
  interval: { type: 'string' },
  limit: { type: 'string' },
  since: { type: 'string' },
  cohort: { type: 'boolean' },
  markdown: { type: 'boolean' },
  channel: { type: 'string' },
  mcc: { type: 'string' },
  description: { type: 'string' },
  'max-per-payment': { type: 'string' },
  'max-per-day': { type: 'string' },
  'since-heard': { type: 'string' },
  'max-count': { type: 'string' },
  'max-amount': { type: 'string' },
  block: { type: 'boolean' },
  allow: { type: 'boolean' },
  clear: { type: 'boolean' },
  schedule: { type: 'string' },
  components: { type: 'string' },
  hold: { type: 'string' },
  'max-changes-per-hour': { type: 'string' },
  primary: { type: 'string' },
  standin: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (failure) {
      throw usageError(`${(failure as Error).message}; see standin --help`);
    }
    const { values: options, positionals } = parsed;
    json = options.json ?? false;
    const [command, ...rest] = positionals;
    if (options.help || !command || command === 'help') {
      io.out(HELP);
      return command || options.help ? 0 : 2;
    }
    const token = operatorToken(options.token, io.env, io.err);
    const timeoutMs = cliTimeout(io.env.STANDIN_CLI_TIMEOUT_MS);
    const clients: Clients = {
      primary: platformClient('primary', trimUrl(options.primary ?? io.env.PRIMARY_URL ?? 'http://127.0.0.1:8100'), token, timeoutMs),
      standin: platformClient('standin', trimUrl(options.standin ?? io.env.STANDIN_URL ?? 'http://127.0.0.1:8200'), token, timeoutMs),
    };
    return await dispatch(command, rest, options, clients, io);
  } catch (failure) {
    const error = failure instanceof CliError ? failure : new CliError('FAILED', (failure as Error).message);
    if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2));
    else io.err(`standin: ${error.message}`);
    return error.exitCode;
  }
}

const trimUrl = (url: string) => url.replace(/\/+$/, '');

async function dispatch(command: string, rest: string[], options: Options, clients: Clients, io: CliIo): Promise<number> {
  const print = (value: unknown, text: string) => io.out(options.json ? JSON.stringify(value, null, 2) : text);
  const reason = () => {
    if (!options.reason?.trim())
      throw usageError('say why with --reason "<the incident, e.g. INC-123 card processor down>": it goes into both platforms\' audit logs');
    return options.reason.trim();
  };
  const expectArguments = (allowed: number) => {
    if (rest.length > allowed) throw usageError(`unexpected ${rest.slice(allowed).join(' ')}; see standin --help`);
  };
  const confirm = confirmWideChanges({ yes: options.yes ?? false, interactive: io.interactive && !options.json, write: io.err });
  const change = async (plan: (base: Parameters<Parameters<typeof applyChange>[1]['plan']>[0]) => ChangeSpec) => {
    const outcome = await applyChange(clients, { reason: reason(), plan, confirm, now: io.now });
    print(outcome, renderChange(command, outcome));
    return 0;
  };

  switch (command) {
    case 'status': {
      expectArguments(0);
      const report = statusReport(await readBoth(clients), io.now());
      if (!options.cohort) {
        print(report, renderStatus(report));
      } else {
        // Stand-in's view: it is the one that is there when primary is not.
        const cohort = await clients.standin.cohort();
        print({ ...report, cohort }, `${renderStatus(report)}\n\n${renderCohort(cohort)}`);
      }
      return report.platforms.primary.reachable || report.platforms.standin.reachable ? 0 : 1;
    }
    case 'route-payments': {
      expectArguments(0);
      const targeting = targetingFromOptions(options);
      const components = paymentComponents(options);
      return change(() => ({ components: Object.fromEntries(components.map((component) => [component, targeting])) }));
    }
    case 'redirect-apps': {
      expectArguments(0);
      const targeting = targetingFromOptions(options);
      return change(() => ({ components: { app: targeting } }));
    }
    case 'prescale': {
      expectArguments(1);
      const prescale = onOrOff('prescale', rest[0] ?? 'on');
      return change(() => ({ prescale }));
    }
    case 'direct-connect': {
      expectArguments(1);
      if (rest[0] === undefined) throw usageError('direct-connect on|off: say which');
      const directConnect = onOrOff('direct-connect', rest[0]);
      return change(() => ({ directConnect }));
    }
    case 'disable': {
      expectArguments(1);
      const what = rest[0];
      if (what === 'payments')
        return change(() => ({ components: Object.fromEntries(paymentComponents({}).map((component) => [component, { mode: 'nobody' } as const])) }));
      if (what === 'apps') return change(() => ({ components: { app: { mode: 'nobody' } } }));
      throw usageError(`disable ${what ?? ''}: expected disable payments or disable apps`);
    }
    case 'rollback-apps':
      expectArguments(0);
      return rollbackApps(clients, options, io, reason(), confirm);
    case 'shadow': {
      expectArguments(1);
      if (rest[0] === 'report') {
        if (options.since !== undefined && Number.isNaN(Date.parse(options.since)))
          throw usageError(`--since ${options.since}: expected a time such as 2026-11-22T00:00:00Z`);
        const report = await clients.standin.shadowReport(options.since);
        print(report, renderShadowReport(report));
        return 0;
      }
      const percent = shareFromOptions('shadow', rest[0], options);
      return change(() => ({ shadow: { percent } }));
    }
    case 'cohort': {
      expectArguments(1);
      const percent = shareFromOptions('cohort', rest[0], options);
      return change(() => ({ dailyCohort: { percent } }));
    }
    case 'incident': {
      const [what, id, ...extra] = rest;
      if (extra.length > 0) throw usageError(`unexpected ${extra.join(' ')}; see standin --help`);
      if (what === 'list' && id === undefined) {
        const incidents = await clients.standin.incidents(limitOption(options.limit));
        print({ incidents }, renderIncidentList(incidents));
        return 0;
      }
      if (what === 'report' && id !== undefined) {
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw usageError(`incident report ${id}: expected an incident id from standin incident list`);
        const report = await clients.standin.incidentReport(id);
        io.out(options.json ? JSON.stringify(report, null, 2) : options.markdown ? renderIncidentMarkdown(report) : renderIncidentReport(report));
        return 0;
      }
      throw usageError('expected standin incident list, or standin incident report <id> [--json|--markdown]');
    }
    case 'rules': {
      const [what, cardId, ...extra] = rest;
      if (extra.length > 0 || (cardId !== undefined && what !== 'block-card' && what !== 'unblock-card'))
        throw usageError(`unexpected ${[cardId, ...extra].filter(Boolean).join(' ')}; see standin --help`);
      switch (what) {
        case 'show': {
          const readings = await readBoth(clients);
          const reachable = [readings.standin, readings.primary].flatMap((reading) => (reading.reachable ? [reading.configuration] : []));
          if (reachable.length === 0) throw new CliError('NO_PLATFORM', 'neither platform answered: the rules cannot be read');
          const newest = reachable.reduce((a, b) => (b.version > a.version ? b : a));
          print({ version: newest.version, standinRules: newest.standinRules }, renderRules(newest.standinRules, newest.version));
          return 0;
        }
        case 'set':
          return change((base) => ({ standinRules: setRules(base.standinRules, options) }));
        case 'staleness': {
          const staleness = stalenessSchedule(options.schedule);
          return change((base) => ({ standinRules: { ...base.standinRules, staleness } }));
        }
        case 'block-card': {
          const id = cardIdArgument(cardId);
          const found = await cardToBlock(clients.standin, id);
          if ('note' in found) io.err(found.note);
          else await confirmCaution({ yes: options.yes ?? false, interactive: io.interactive && !options.json, write: io.err })(found.warning);
          return change((base) => ({ standinRules: blockCard(base.standinRules, id, true) }));
        }
        case 'unblock-card': {
          const id = cardIdArgument(cardId);
          return change((base) => ({ standinRules: blockCard(base.standinRules, id, false) }));
        }
        case 'reset':
          return change(() => ({ standinRules: defaultRules() }));
        default:
          throw usageError('expected standin rules show|set|staleness|block-card|unblock-card|reset; see standin --help');
      }
    }
    case 'autopilot': {
      expectArguments(1);
      const which = autopilotCommand(rest[0]);
      // Stand-in's own: the autopilot runs there, and must be set when primary is gone.
      if (which === 'status') {
        const status = await clients.standin.autopilot();
        print(status, renderAutopilotStatus(status));
        return 0;
      }
      const why = reason();
      const current = (await clients.standin.autopilot()).current;
      const change = autopilotChange(which, options, why, current);
      if (change.mode === 'on') {
        // Arming it lets stand-in move every user of these components by itself: asked like any change that touches everyone.
        const reading = await clients.standin.read();
        if (!reading.reachable) throw new CliError('UNREACHABLE', `stand-in is unreachable: ${reading.reason}`);
        const optIn = { ...current.settings.optIn, ...change.optIn };
        const components = Object.entries(optIn).flatMap(([component, on]) => (on ? [component] : []));
        const hold = (change.holdMs ?? current.settings.holdMs) / 1000;
        await confirm(
          [
            {
              what: 'autopilot',
              from: current.settings.mode,
              to: `on: may move EVERY user's ${components.join(', ')} to stand-in after ${hold} s of evidence`,
              wide: true,
            },
          ],
          reading.configuration,
          { state: 'clear' },
        );
      }
      const status = await clients.standin.changeAutopilot(change);
      print(status, renderAutopilotChange(status));
      return 0;
    }
    case 'audit': {
      expectArguments(0);
      const limit = limitOption(options.limit, 1_000);
      // Stand-in's log first: it is the one that is there during an outage.
      const entries = await clients.standin.audit(limit).catch(async (failure: unknown) => {
        if (!(failure instanceof CliError) || (failure.code !== 'UNREACHABLE' && failure.code !== 'UNAVAILABLE')) throw failure;
        io.err(`standin: ${failure.message}; showing primary's audit log`);
        return clients.primary.audit(limit);
      });
      print({ entries }, renderAudit(entries));
      return 0;
    }
    default:
      throw usageError(
        `no command "${command}"; one of status, route-payments, redirect-apps, prescale, disable, rollback-apps, direct-connect, audit, shadow, cohort, incident, rules, autopilot`,
      );
  }
}

function limitOption(raw: string | undefined, most = 100): number {
  const limit = Number(raw ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > most) throw usageError(`--limit: expected a whole number from 1 to ${most}`);
  return limit;
}

function onOrOff(command: string, value: string): boolean {
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw usageError(`${command} ${value}: expected on or off`);
}

async function rollbackApps(clients: Clients, options: Options, io: CliIo, reason: string, confirm: Confirm): Promise<number> {
  const step = Number(options.step ?? 10);
  if (!Number.isInteger(step) || step < 1 || step > 100) throw usageError('--step: expected a whole percentage from 1 to 100');
  const interval = parseInterval(options.interval ?? '60s');
  if (interval === undefined) throw usageError(`--interval ${options.interval}: expected e.g. 30s, 5m or 500ms`);
  const steps: ChangeOutcome[] = [];
  for (;;) {
    const previous = steps.at(-1)?.after;
    const outcome = await applyChange(clients, {
      reason: `${reason} (roll-back step ${steps.length + 1})`,
      plan: (base) => {
        // Someone else changed the configuration mid-way: their decision stands, ours stops.
        if (previous && base.version !== previous.version) {
          throw new CliError(
            'STALE',
            `roll-back stopped after step ${steps.length}: version ${base.version} by ${base.updatedBy} ("${base.reason}") came in between; nothing more was changed`,
          );
        }
        return { components: { app: stepBack(base.components.app, step) } };
      },
      // Only the first step can touch everyone (from everyone); it is confirmed once. Every step
      // is checked for effects in flight: users who acted in stand-in since the last step count.
      confirm:
        steps.length === 0
          ? confirm
          : (found, base, inFlight) =>
              confirm(
                found.map((difference) => ({ ...difference, wide: false })),
                base,
                inFlight,
              ),
      now: io.now,
    }).catch((failure: unknown) => {
      if (steps.length > 0 && failure instanceof CliError && failure.exitCode === 3) {
        throw new CliError(
          failure.code,
          `roll-back stopped after step ${steps.length} (app experience at ${describeTargeting(steps.at(-1)!.after.components.app)}): ${failure.message}`,
          3,
        );
      }
      throw failure;
    });
    if (!outcome.changed) break;
    steps.push(outcome);
    if (!options.json) io.out(renderChange(`rollback-apps step ${steps.length}`, outcome));
    if (outcome.after.components.app.mode === 'nobody') break;
    await io.sleep(interval);
  }
  if (options.json) io.out(JSON.stringify({ steps }, null, 2));
  else
    io.out(
      steps.length === 0
        ? 'rollback-apps: every app user is already on primary'
        : `rollback-apps: done in ${steps.length} step(s); every app user is back on primary`,
    );
  return 0;
}

/** STANDIN_CLI_TIMEOUT_MS, a whole number of milliseconds from 500 to 120 000; the default otherwise. */
function cliTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 500 || value > 120_000)
    throw usageError(`STANDIN_CLI_TIMEOUT_MS=${raw}: expected milliseconds from 500 to 120000`);
  return value;
}
