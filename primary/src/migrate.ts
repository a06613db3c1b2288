import { createPool } from './platform/db';
import { migrate } from './platform/migrations';
import { PRIMARY_MIGRATIONS } from './migrations';

// `npm run migrate -w primary`: brings primary's database schema up to date.
async function main(): Promise<void> {
  const url = process.env.PRIMARY_DATABASE_URL;
  if (!url) throw new Error('PRIMARY_DATABASE_URL is not set (see `npm run infra -- env`)');
  const db = createPool(url, { maxConnections: 1, statementTimeoutMs: 60_000 });
  try {
    const applied = await migrate(db, PRIMARY_MIGRATIONS);
    console.log(applied.length > 0 ? `primary: applied ${applied.join(', ')}` : 'primary: schema up to date');
  } finally {
    await db.end();
  }
}

main().catch((error: unknown) => {
  console.error(`primary migrations failed: ${(error as Error).message}`);
  process.exit(1);
});
