import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { developmentCredential, IDENTITY_TOKEN_VARIABLES, NEXT_CREDENTIAL_SUFFIX, type IdentityCredentials, type ServiceIdentity } from './identities';

// How every service reads its settings: once, at start, all of them, with zod. Secrets fail
// closed: outside the explicit local development mode (BANK_MODE=local, which `npm start`,
// `npm test`, the chaos suite and the benchmarks set) a missing secret stops the start, and no
// secret is ever derived from a public string. Only infrastructure lives here, no decision: each
// service declares its own variables.

export const BANK_MODE_VARIABLE = 'BANK_MODE';

/** Thrown when a service cannot start with the environment it was given; names every variable at fault. */
export class ConfigurationError extends Error {
  readonly code = 'CONFIGURATION_INVALID';
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(`${service} cannot start: ${problems.join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

/** BANK_MODE=local is the development mode; unset (or `production`) is not. A typo must not pick either silently. */
export function isLocalMode(env: NodeJS.ProcessEnv): boolean {
  const mode = env[BANK_MODE_VARIABLE];
  if (mode === 'local') return true;
  if (mode === undefined || mode === '' || mode === 'production') return false;
  throw new ConfigurationError('this service', [`${BANK_MODE_VARIABLE}=${mode} is not a mode: expected local, or unset for production`]);
}

/** A local-mode-only 32-byte key (base64), derived from the variable's name: public, so never used outside local mode. */
export function developmentKey(name: string): string {
  return createHash('sha256').update(`local-development-only:${name}`).digest('base64');
}

/** A 32-byte key given base64-encoded (PAN keys, index and lookup keys, seal keys). */
export const base64Key = z
  .string()
  .transform((value) => Buffer.from(value, 'base64'))
  .refine((key) => key.length === 32, 'must be 32 bytes, base64-encoded');

/** A whole number above 0 given as text, e.g. a duration in milliseconds. */
export const positiveWholeNumber = z.coerce.number().int().positive();

/** An http:// or https:// URL, without a trailing slash (paths are appended to it). */
export const httpUrl = z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, ''));

export interface EnvironmentSpec<Shape extends z.ZodRawShape> {
  /** Named in every message, e.g. `primary`. */
  readonly service: string;
  /** Every variable the service reads, by its name in the environment, with its default where it has one. */
  readonly variables: Shape;
  /**
   * The secrets among them, each with the value it takes in local mode only. Outside local mode a
   * missing one stops the start. A secret may also be given as a file: `<NAME>_FILE`.
   */
  readonly secrets: Partial<Record<keyof Shape & string, string>>;
  /** Required settings without a default: outside local mode these must be given too (e.g. a data directory). */
  readonly requiredOutsideLocal?: readonly (keyof Shape & string)[];
  /**
   * The service identities whose credentials it accepts (each `<NAME>`, and `<NAME>_NEXT` during a
   * rotation) and the one it presents as itself: secrets like the others, and read the same way.
   */
  readonly identities?: { readonly accepts?: readonly ServiceIdentity[]; readonly presents?: ServiceIdentity };
}

export interface ServiceEnvironment<Values> {
  readonly values: Values;
  readonly local: boolean;
  /** Settings not in the environment, which took their defaults (logged at start). */
  readonly defaulted: readonly string[];
  /** Secrets that took their local development value (local mode only). */
  readonly developmentSecrets: readonly string[];
  /** The credentials of the identities in the spec (none without `identities`). */
  readonly credentials: IdentityCredentials;
}

/** A variable's value, or its `<NAME>_FILE`'s content; undefined when neither is given. */
function givenValue(name: string, env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  const value = env[name] === '' ? undefined : env[name];
  const file = env[`${name}_FILE`];
  if (value !== undefined || !file) return value;
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    problems.push(`${name}_FILE=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** Reads and checks a service's whole environment; throws one ConfigurationError naming everything missing or wrong. */
export function readServiceEnvironment<Shape extends z.ZodRawShape>(
  spec: EnvironmentSpec<Shape>,
  env: NodeJS.ProcessEnv,
): ServiceEnvironment<z.output<z.ZodObject<Shape>>> {
  const local = isLocalMode(env);
  const problems: string[] = [];
  const input: Record<string, string | undefined> = {};
  const defaulted: string[] = [];
  const developmentSecrets: string[] = [];
  for (const name of Object.keys(spec.variables)) {
    let value = givenValue(name, env, problems);
    const development = spec.secrets[name as keyof Shape & string];
    if (value === undefined && development !== undefined) {
      if (local) {
        value = development;
        developmentSecrets.push(name);
      } else problems.push(`${name} is a required secret and is not set (nor ${name}_FILE)`);
    } else if (value === undefined) {
      if (!local && spec.requiredOutsideLocal?.includes(name as keyof Shape & string)) problems.push(`${name} is required and is not set`);
      defaulted.push(name);
    }
    input[name] = value;
  }
  const parsed = z.object(spec.variables).safeParse(input);
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '(environment)');
      // Never quote a value: it may be a secret.
      problems.push(input[name] === undefined ? `${name} is required and is not set` : `${name} is not usable: ${issue.message}`);
    }
  const credentials = readIdentityCredentials(spec.identities ?? {}, env, local, problems, developmentSecrets);
  if (problems.length > 0) throw new ConfigurationError(spec.service, [...new Set(problems)]);
  if (!parsed.success) throw new ConfigurationError(spec.service, ['the environment is not usable']);
  return { values: parsed.data, local, defaulted, developmentSecrets, credentials };
}

/** Each identity's `<NAME>` (a required secret: its development credential in local mode only) and optional `<NAME>_NEXT`. */
function readIdentityCredentials(
  identities: NonNullable<EnvironmentSpec<z.ZodRawShape>['identities']>,
  env: NodeJS.ProcessEnv,
  local: boolean,
  problems: string[],
  developmentSecrets: string[],
): IdentityCredentials {
  const current = (identity: ServiceIdentity): string => {
    const name = IDENTITY_TOKEN_VARIABLES[identity];
    const value = givenValue(name, env, problems);
    if (value !== undefined) return value;
    if (!local) {
      problems.push(`${name} is a required secret and is not set (nor ${name}_FILE)`);
      return '';
    }
    if (!developmentSecrets.includes(name)) developmentSecrets.push(name);
    return developmentCredential(identity);
  };
  const accepted: Partial<Record<ServiceIdentity, readonly string[]>> = {};
  for (const identity of identities.accepts ?? []) {
    const next = givenValue(`${IDENTITY_TOKEN_VARIABLES[identity]}${NEXT_CREDENTIAL_SUFFIX}`, env, problems);
    accepted[identity] = [current(identity), ...(next === undefined ? [] : [next])].filter((token) => token.length > 0);
  }
  return identities.presents === undefined ? { accepted } : { accepted, own: current(identities.presents) };
}

/** The start lines every service writes: which settings are defaults, and (loudly) whether it runs on development secrets. */
export function describeEnvironment(environment: ServiceEnvironment<unknown>): { level: 'warn' | 'info'; fields: Record<string, unknown>; message: string } {
  if (environment.local)
    return {
      level: 'warn',
      fields: { event: 'development_secrets', bankMode: 'local', developmentSecrets: environment.developmentSecrets, defaults: environment.defaulted },
      message: 'LOCAL DEVELOPMENT MODE (BANK_MODE=local): running on PUBLIC DEVELOPMENT SECRETS; never use this mode with real money or real card numbers',
    };
  return {
    level: 'info',
    fields: { event: 'configuration', defaults: environment.defaulted },
    message: 'configuration read; these settings took their defaults',
  };
}
