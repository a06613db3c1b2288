import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { InfraError } from './infra-error';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Finds an executable on PATH, then in the extra places distributions put it. */
export function findExecutable(name: string, extraDirectories: readonly string[] = []): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirectories];
  for (const directory of directories) {
    if (directory && isExecutable(path.join(directory, name))) return path.join(directory, name);
  }
  return undefined;
}

/** PostgreSQL's server binaries are off PATH on Debian: /usr/lib/postgresql/<major>/bin, newest first. */
export function postgresBinDirectories(): string[] {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .filter((major) => /^\d+$/.test(major))
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => path.join(root, major, 'bin'));
}

export interface BinaryRequirement {
  readonly component: string;
  readonly executable: string;
  readonly debianPackage: string;
  readonly extraDirectories?: () => readonly string[];
  /** Shown when the package is not in Debian's archive and cannot be installed for the user. */
  readonly howToInstall?: string;
}

/**
 * Returns the executable's path. If it is missing and we are root, installs its Debian
 * package; otherwise fails with exactly what to install.
 */
export function requireBinary(requirement: BinaryRequirement): string {
  const find = () => findExecutable(requirement.executable, requirement.extraDirectories?.() ?? []);
  const found = find();
  if (found) return found;
  const instruction = requirement.howToInstall ?? `apt-get install -y ${requirement.debianPackage}`;
  if (process.getuid?.() === 0 && !requirement.howToInstall) {
    console.log(`[${requirement.component}] ${requirement.executable} is missing: installing Debian package ${requirement.debianPackage}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    const install =
      update.status === 0 ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', requirement.debianPackage], { stdio: 'inherit', env }) : update;
    const installed = find();
    if (install.status === 0 && installed) return installed;
  }
  throw new InfraError(
    'INFRA_MISSING_BINARY',
    requirement.component,
    `${requirement.executable} not found. Install it with: ${process.getuid?.() === 0 ? '' : 'sudo '}${instruction}`,
  );
}

/** The uid/gid to run PostgreSQL as: ourselves, or the `postgres` system user when we are root. */
export function postgresRunAs(component: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new InfraError(
      'INFRA_MISSING_BINARY',
      component,
      'PostgreSQL refuses to run as root and there is no `postgres` user to run it as. Create one with: useradd --system --home /var/lib/postgresql postgres',
    );
  }
}
