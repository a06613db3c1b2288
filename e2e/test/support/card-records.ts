import { Client } from 'pg';
import type { Stack } from './stack';

// What the platforms' databases say about a card message, read directly: the ground truth a test
// checks after the answers, on a connection of its own (a platform under test may be down).

export async function queryDatabase<T>(url: string, text: string, values: unknown[]): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

export type Key = { stan: string; rrn: string; terminalId: string };

/** Stand-in's record of an authorisation: whether it approved it, and what is still authorised. */
export const standinAuthorisation = async (stack: Pick<Stack, 'databases'>, key: Key) =>
  (
    await queryDatabase<{ approved: boolean; remaining_minor: string }>(
      stack.databases.standin,
      "select approved, remaining_minor from card_messages where stan = $1 and rrn = $2 and terminal_id = $3 and kind = 'authorisation'",
      [key.stan, key.rrn, key.terminalId],
    )
  )[0];
