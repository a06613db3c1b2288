import { Client } from 'pg';

// Primary's outbox relay keeps publishing to Kafka after the load stops. Waiting for it to catch
// up before the next measurement keeps one phase's leftovers out of the next one's figures
// (pgbench in particular would otherwise share the CPU with the relay).

async function unpublishedCount(client: Client): Promise<number> {
  const { rows } = await client.query<{ n: string }>('select count(*) as n from outbox_events where published_at is null');
  return Number(rows[0]?.n ?? 0);
}

export interface BacklogDrain {
  readonly backlogAtStart: number;
  readonly backlogAtEnd: number;
  readonly waitedMs: number;
}

/** Waits until primary's outbox has nothing unpublished, or `timeoutMs` passes (then reports what is left). */
export async function waitForOutboxDrain(databaseUrl: string, timeoutMs: number): Promise<BacklogDrain> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const began = Date.now();
    const backlogAtStart = await unpublishedCount(client);
    let backlog = backlogAtStart;
    while (backlog > 0 && Date.now() - began < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      backlog = await unpublishedCount(client);
    }
    return { backlogAtStart, backlogAtEnd: backlog, waitedMs: Date.now() - began };
  } finally {
    await client.end();
  }
}
