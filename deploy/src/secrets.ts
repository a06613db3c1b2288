import { IDENTITY_TOKEN_VARIABLES, NEXT_CREDENTIAL_SUFFIX, SERVICE_IDENTITIES, type ServiceIdentity } from '@bank/shared-contracts';
import { CALL_MAPS, callersIn } from './call-maps.js';
import { SERVICE_SPECS, type ServiceName, type ServiceSpec, type SettingSource } from './services.js';
import type { Cluster, SiteSettings } from './site.js';

// Every credential each service needs, as Secret names and keys only: the values never enter the
// repository or the generated manifests. Identity tokens follow the call maps: a service accepts
// the credential of every identity its call map names (and `<NAME>_NEXT` during a rotation, an
// optional key), and presents its own.

/** What a Secret key must hold; `npm run deploy:manifests` lists them, and the README's deployment section explains each. */
export type SecretFormat =
  | 'base64 32-byte key'
  | 'token'
  | 'operator tokens (name:token,...)'
  | 'PEM RSA private key'
  | 'PEM RSA public key'
  | 'postgres:// URL with credentials'
  | 'redis:// URL with credentials'
  | 'Google credentials JSON';

/** Where the Google credentials file is mounted, for Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS). */
export const GOOGLE_CREDENTIALS = {
  key: 'credentials.json',
  directory: '/var/run/secrets/google',
  secretOf: (service: ServiceName) => `${service}-google`,
} as const;

const SECRET_KEY_FORMATS: Readonly<Record<string, SecretFormat>> = {
  PRIMARY_PAN_KEY_A: 'base64 32-byte key',
  PRIMARY_PAN_INDEX_KEY: 'base64 32-byte key',
  STANDIN_PAN_PUBLIC_KEY_B: 'PEM RSA public key',
  STANDIN_PAN_PRIVATE_KEY_B: 'PEM RSA private key',
  STANDIN_PAN_SEAL_KEY: 'base64 32-byte key',
  STANDIN_PAN_LOOKUP_KEY: 'base64 32-byte key',
  GATEWAY_PAN_SEAL_KEY: 'base64 32-byte key',
  OPERATOR_TOKENS: 'operator tokens (name:token,...)',
  PRIMARY_DATABASE_URL: 'postgres:// URL with credentials',
  STANDIN_DATABASE_URL: 'postgres:// URL with credentials',
  PRIMARY_REDIS_URL: 'redis:// URL with credentials',
  [GOOGLE_CREDENTIALS.key]: 'Google credentials JSON',
};

/** The format a Secret key holds; throws for a key nobody declared, so no credential goes undocumented. */
export function secretFormatOf(key: string): SecretFormat {
  const base = key.endsWith(NEXT_CREDENTIAL_SUFFIX) ? key.slice(0, -NEXT_CREDENTIAL_SUFFIX.length) : key;
  if (Object.values(IDENTITY_TOKEN_VARIABLES).includes(base)) return 'token';
  const format = SECRET_KEY_FORMATS[base];
  if (format === undefined) throw new Error(`no format is declared for the Secret key ${key}`);
  return format;
}

function isServiceIdentity(caller: string): caller is ServiceIdentity {
  return (SERVICE_IDENTITIES as readonly string[]).includes(caller);
}

/** The identities whose credentials a service accepts: every one its call map names. */
export function acceptedIdentities(service: ServiceName): ServiceIdentity[] {
  return callersIn(CALL_MAPS[service]).filter(isServiceIdentity);
}

/** A service's whole environment: its settings, the tokens it accepts (and their rotation keys), the one it presents. */
export function environmentOf(spec: ServiceSpec, site: SiteSettings): Readonly<Record<string, SettingSource>> {
  const credentials = `${spec.name}-credentials`;
  const tokens: Record<string, SettingSource> = {};
  for (const identity of acceptedIdentities(spec.name)) {
    const variable = IDENTITY_TOKEN_VARIABLES[identity];
    tokens[variable] = { secret: credentials, key: variable };
    tokens[`${variable}${NEXT_CREDENTIAL_SUFFIX}`] = { secret: credentials, key: `${variable}${NEXT_CREDENTIAL_SUFFIX}`, optional: true };
  }
  if (spec.identity !== undefined) tokens[IDENTITY_TOKEN_VARIABLES[spec.identity]] = { secret: credentials, key: IDENTITY_TOKEN_VARIABLES[spec.identity] };
  const google: Record<string, SettingSource> = spec.googleCredentials
    ? { GOOGLE_APPLICATION_CREDENTIALS: { value: `${GOOGLE_CREDENTIALS.directory}/${GOOGLE_CREDENTIALS.key}` } }
    : {};
  return { ...spec.settings(site), ...tokens, ...google };
}

export interface SecretDeclaration {
  readonly name: string;
  readonly cluster: Cluster;
  /** Each key, what it holds, whether a service may start without it, and who reads it. */
  readonly keys: readonly { readonly key: string; readonly format: SecretFormat; readonly optional: boolean; readonly readBy: readonly ServiceName[] }[];
}

/** Every Secret the services of a cluster read, with every key; derived from the services' environments, so none is forgotten. */
export function secretsOf(cluster: Cluster, site: SiteSettings): SecretDeclaration[] {
  const found = new Map<string, Map<string, { optional: boolean; readBy: ServiceName[] }>>();
  const note = (secret: string, key: string, optional: boolean, service: ServiceName) => {
    const keys = found.get(secret) ?? new Map<string, { optional: boolean; readBy: ServiceName[] }>();
    const entry = keys.get(key) ?? { optional, readBy: [] };
    entry.optional &&= optional;
    entry.readBy.push(service);
    keys.set(key, entry);
    found.set(secret, keys);
  };
  for (const spec of Object.values(SERVICE_SPECS).filter((candidate) => candidate.cluster === cluster)) {
    for (const source of Object.values(environmentOf(spec, site))) if ('secret' in source) note(source.secret, source.key, source.optional === true, spec.name);
    if (spec.googleCredentials) note(GOOGLE_CREDENTIALS.secretOf(spec.name), GOOGLE_CREDENTIALS.key, false, spec.name);
  }
  return [...found.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, keys]) => ({
      name,
      cluster,
      keys: [...keys.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, entry]) => ({ key, format: secretFormatOf(key), ...entry })),
    }));
}
