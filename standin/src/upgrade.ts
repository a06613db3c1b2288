import { openDatabase, upgradeSchema } from './store/database';

// `npm run migrate -w standin`
async function run(): Promise<void> {
  const url = process.env.STANDIN_DATABASE_URL;
  if (!url) throw new Error('STANDIN_DATABASE_URL is not set (see `npm run infra -- env`)');
  const database = openDatabase(url, 1);
  try {
    const applied = await upgradeSchema(database);
    console.log(applied.length ? `standin: applied ${applied.join(', ')}` : 'standin: schema up to date');
  } finally {
    await database.end();
  }
}

run().catch((failure: unknown) => {
  console.error(`standin schema upgrade failed: ${(failure as Error).message}`);
  process.exit(1);
});
