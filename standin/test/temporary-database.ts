import { randomBytes } from 'node:crypto';
import { infraEndpoints } from '@bank/infra';
import { openDatabase, upgradeSchema, type Database } from '../src/store/database';

/**
 * A stand-in database of the test's own, on the shared cluster: for tests of global state (the
 * configuration, the shadow report) that must neither see nor leave behind anyone else's rows;
 * the shared database belongs to whatever stack `npm start` runs.
 */
export async function temporaryStandinDatabase(purpose: string): Promise<{ database: Database; drop(): Promise<void> }> {
  const cluster = openDatabase(infraEndpoints().postgres.standin, 1);
  const name = `standin_${purpose}_test_${randomBytes(5).toString('hex')}`;
  await cluster.query(`create database ${name}`);
  const url = new URL(infraEndpoints().postgres.standin);
  url.pathname = `/${name}`;
  const database = openDatabase(url.toString());
  await upgradeSchema(database);
  return {
    database,
    async drop() {
      await database.end();
      await cluster.query(`drop database if exists ${name} with (force)`);
      await cluster.end();
    },
  };
}
