import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { infraEndpoints, type InfraConfig } from '@bank/infra';

// A primary and a stand-in database of a run's own, in the project's clusters. A stack started by
// a test then shares nothing stateful with `npm start`'s services or another test's stack: not
// customers, not configuration versions, not advices, so reconciliation and configuration
// assertions see only what the run did. The schemas are created by each service's migration.

export interface RunDatabases {
  readonly primary: string;
  readonly standin: string;
  drop(): Promise<void>;
}

async function onCluster<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function createRunDatabases(config: InfraConfig): Promise<RunDatabases> {
  const clusters = infraEndpoints(config).postgres;
  const suffix = randomBytes(5).toString('hex');
  const names = { primary: `primary_run_${suffix}`, standin: `standin_run_${suffix}` };
  await onCluster(clusters.primary, (client) => client.query(`create database ${names.primary}`));
  await onCluster(clusters.standin, (client) => client.query(`create database ${names.standin}`));
  return {
    primary: withDatabase(clusters.primary, names.primary),
    standin: withDatabase(clusters.standin, names.standin),
    async drop() {
      await onCluster(clusters.primary, (client) => client.query(`drop database if exists ${names.primary} with (force)`));
      await onCluster(clusters.standin, (client) => client.query(`drop database if exists ${names.standin} with (force)`));
    },
  };
}
