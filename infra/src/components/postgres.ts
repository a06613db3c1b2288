import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { Component, ComponentName, Probe } from '../component';
import { POSTGRES_USER } from '../config';
import type { HostAddress } from '../hosts/hosts-topology';
import { InfraError } from '../infra-error';
import { postgresBinDirectories, postgresRunAs, requireBinary } from '../prerequisites';
import { isAlive, readPidFile, runCommand } from '../process-control';

interface PostgresOptions {
  readonly name: Extract<ComponentName, 'pg-primary' | 'pg-standin'>;
  readonly port: number;
  readonly host: HostAddress;
  /** Another network whose clients it trusts (the hosts topology's 10.x.0.0/16); initdb trusts loopback only. */
  readonly trustedNetwork?: string;
  readonly database: string;
  readonly directory: string;
}

/** A PostgreSQL cluster of the project's own (initdb into .data/<name>/cluster), not the system one. */
export function postgresComponent(options: PostgresOptions): Component {
  const clusterDirectory = path.join(options.directory, 'cluster');
  const socketDirectory = path.join(options.directory, 'socket');
  const logFile = path.join(options.directory, `${options.name}.log`);
  const binaries = { initdb: '', postgres: '' };

  const connect = (database: string, timeoutMs: number) =>
    new Client({
      host: options.host.address,
      port: options.port,
      user: POSTGRES_USER,
      database,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });

  // After a SIGKILL, postmaster.pid names a process that is gone or an unreaped zombie, and
  // PostgreSQL refuses to start while that pid answers a signal. We only get here when the
  // component is not running (start checked), so a lock naming a dead process is stale.
  const removeStaleLockFile = () => {
    const lockFile = path.join(clusterDirectory, 'postmaster.pid');
    const pid = readPidFile(lockFile);
    if (pid !== undefined && !isAlive(pid)) fs.rmSync(lockFile, { force: true });
  };

  // The hosts topology's clients come from the other hosts' addresses, through the project's router.
  const trustNetwork = () => {
    if (!options.trustedNetwork) return;
    const hba = path.join(clusterDirectory, 'pg_hba.conf');
    const line = `host all all ${options.trustedNetwork} trust`;
    if (!fs.readFileSync(hba, 'utf8').includes(line)) fs.appendFileSync(hba, `${line}\n`);
  };

  return {
    name: options.name,
    description: `PostgreSQL cluster, database "${options.database}"`,
    endpoint: `postgres://${POSTGRES_USER}@${options.host.address}:${options.port}/${options.database}`,
    ports: [options.port],
    ...(options.host.netns ? { netns: options.host.netns } : {}),
    directory: options.directory,
    logFile,
    startTimeoutMs: 60_000,

    ensureInstalled() {
      for (const executable of ['initdb', 'postgres'] as const) {
        binaries[executable] = requireBinary({ component: options.name, executable, debianPackage: 'postgresql', extraDirectories: postgresBinDirectories });
      }
    },

    async prepare() {
      const runAs = postgresRunAs(options.name);
      fs.mkdirSync(socketDirectory, { recursive: true });
      if (runAs) fs.chownSync(socketDirectory, runAs.uid, runAs.gid);
      removeStaleLockFile();
      if (fs.existsSync(path.join(clusterDirectory, 'PG_VERSION'))) return trustNetwork();
      fs.mkdirSync(clusterDirectory, { recursive: true, mode: 0o700 });
      if (runAs) fs.chownSync(clusterDirectory, runAs.uid, runAs.gid);
      // Trust: the developer's and the test suite's own cluster, on loopback (or on a hosts-topology
      // namespace's address, reachable only through the project's own router).
      const result = await runCommand(
        binaries.initdb,
        ['-D', clusterDirectory, '-U', POSTGRES_USER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'],
        { logFile, ...(runAs ?? {}) },
      );
      if (result.status !== 0) {
        fs.rmSync(clusterDirectory, { recursive: true, force: true });
        throw new InfraError(
          'INFRA_PREPARE_FAILED',
          options.name,
          `initdb failed (exit ${result.status}): ${result.output.trim().split('\n').slice(-3).join(' ')}`,
          logFile,
        );
      }
      trustNetwork();
    },

    launchSpec() {
      const runAs = postgresRunAs(options.name);
      return {
        command: binaries.postgres,
        args: [
          '-D',
          clusterDirectory,
          '-p',
          String(options.port),
          '-k',
          socketDirectory,
          '-c',
          `listen_addresses=${options.host.address}`,
          '-c',
          'max_connections=200',
          '-c',
          'shared_buffers=128MB',
          '-c',
          'log_min_messages=warning',
          '-c',
          'log_connections=off',
        ],
        cwd: options.directory,
        logFile,
        ...(runAs ?? {}),
      };
    },

    async probe(timeoutMs: number): Promise<Probe> {
      const client = connect('postgres', timeoutMs);
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('select 1');
        return { healthy: true };
      } catch (error) {
        return { healthy: false, reason: (error as Error).message };
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    async provision() {
      const client = connect('postgres', 10_000);
      client.on('error', () => undefined);
      await client.connect();
      try {
        const exists = await client.query('select 1 from pg_database where datname = $1', [options.database]);
        if (exists.rowCount === 0) await client.query(`create database "${options.database}"`);
      } finally {
        await client.end();
      }
    },
  };
}
