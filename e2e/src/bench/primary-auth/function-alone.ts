import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { parsePgbenchOutput, runPgbench, pgbenchConnectionArguments, pgbenchLoadArguments, type PgbenchParameters } from '../shared/pgbench-reference';

// Primary's card authorisation function (card_authorise, card-processor/004 and 006) driven by
// pgbench itself: the same decision and writes per authorisation, committed one by one, with no
// HTTP, no Node, no load generator on the machine. What it reaches against pgbench -N in the same
// run is the database's own ceiling for this work here; what primary reaches against it shows
// what the rest (its HTTP server, the load generator, Kafka) costs on the same two cores.

const CARDS_TABLE = 'bench_function_alone_cards';

export interface FunctionAloneResult {
  readonly tps: number;
  readonly latencyAverageMs: number | undefined;
  readonly failedTransactions: number | undefined;
  readonly command: string;
}

// Random message keys (a collision is answered as a repeat: harmless); the deadline far away,
// since the budget is not what is measured; a purchase of 1p on one of the bench's funded cards.
const SCRIPT = `\\set n random(1, :cards)
\\set stan random(1, 999999)
\\set rrn random(100000000000, 999999999999)
select response, repeated from card_authorise(lpad(:stan::text, 6, '0')::char(6), (:rrn)::text::char(12), 'PGBENCH1',
  (select pan_index from ${CARDS_TABLE} where n = :n), '0100', '000000', 1, 'GBP', (select expiry from ${CARDS_TABLE} where n = :n),
  '{"name":"PGBENCH","categoryCode":"5411","city":"London","country":"GB"}'::jsonb, now(), gen_random_uuid(), 'PGB001', now() + interval '1 hour');
`;

/** card_authorise through pgbench on primary's own database, on the cards `cardIds`, as many clients as pgbench -N had. */
export async function measureFunctionAlone(databaseUrl: string, cardIds: readonly string[], parameters: PgbenchParameters): Promise<FunctionAloneResult> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const scriptFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'function-alone-')), 'card-authorise.pgbench');
  try {
    await client.query(`drop table if exists ${CARDS_TABLE}`);
    await client.query(`create table ${CARDS_TABLE} as select row_number() over (order by id) as n, pan_index, expiry from cards where id = any($1::uuid[])`, [
      cardIds,
    ]);
    await client.query(`create unique index on ${CARDS_TABLE} (n)`);
    fs.writeFileSync(scriptFile, SCRIPT);
    const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    const args = [
      '-n',
      '-M',
      'prepared',
      '-D',
      `cards=${cardIds.length}`,
      '-f',
      scriptFile,
      ...pgbenchLoadArguments(parameters),
      ...pgbenchConnectionArguments(databaseUrl),
      database,
    ];
    const output = await runPgbench(args);
    return { ...parsePgbenchOutput(output), command: `pgbench ${args.join(' ')}` };
  } finally {
    await client.query(`drop table if exists ${CARDS_TABLE}`).catch(() => undefined);
    await client.end();
    fs.rmSync(path.dirname(scriptFile), { recursive: true, force: true });
  }
}
