import type { PubSub } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { PUBSUB_TOPICS } from '@bank/shared-contracts';
import type { Database } from '../store/database';

// Stand-in's advice log is the truth; Pub/Sub is the transport. The relay publishes advices that
// are not yet published, each account's in sequence (ordering key = account id), and marks a row
// published only once Pub/Sub has acknowledged it. Unreachable Pub/Sub: rows wait, and go later.

export interface AdviceRelaySettings {
  readonly batchSize: number;
  readonly idleMs: number;
  /** How long one publish may take before it counts as failed. */
  readonly publishTimeoutMs: number;
  /** After a failed pass, wait this long (doubling, up to the cap) before the next. */
  readonly backoffMs: number;
  readonly backoffCapMs: number;
}

const SETTINGS: AdviceRelaySettings = { batchSize: 500, idleMs: 100, publishTimeoutMs: 5_000, backoffMs: 250, backoffCapMs: 5_000 };

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

export function startAdviceRelay(deps: { database: Database; pubsub: PubSub; logger: Logger }, overrides: Partial<AdviceRelaySettings> = {}) {
  const settings = { ...SETTINGS, ...overrides };
  const topic = deps.pubsub.topic(PUBSUB_TOPICS.advices.topic, { messageOrdering: true, batching: { maxMessages: 100, maxMilliseconds: 5 } });
  let running = true;
  let failing = false;

  async function passOnce(): Promise<number> {
    // One relay per database at a time; another instance simply finds the lock taken.
    const session = await deps.database.connect();
    try {
      const { rows: gate } = await session.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext('standin-advice-relay')) as ok");
      if (!gate[0]?.ok) return 0;
      try {
        // The accounts of the oldest unpublished advices, each with all its unpublished advices in
        // sequence order (a prefix of them for the last account the limit reaches). Not the oldest
        // rows by created_at themselves: created_at is taken before the account's sequence, so
        // advice n+1 can be older than n, and n could fall outside the batch; published first,
        // n+1 would reach primary before n and wait there (409) for it.
        const { rows } = await session.query<{ advice_id: string; account_id: string; advice: unknown }>(
          `select advice_id, account_id, advice from advices
            where published_at is null
              and account_id in (select account_id from advices where published_at is null order by created_at limit $1)
            order by account_id, sequence
            limit $1`,
          [settings.batchSize],
        );
        if (rows.length === 0) return 0;
        const published: string[] = [];
        const failedKeys = new Set<string>();
        // Same ordering key, same order: the client keeps each account's advices in sequence.
        await Promise.all(
          rows.map(async (row) => {
            try {
              await withTimeout(
                topic.publishMessage({ data: Buffer.from(JSON.stringify(row.advice)), orderingKey: row.account_id, attributes: { adviceId: row.advice_id } }),
                settings.publishTimeoutMs,
                'publishing an advice',
              );
              published.push(row.advice_id);
            } catch (error) {
              failedKeys.add(row.account_id);
              throw error;
            }
          }),
        )
          .catch(async (error: unknown) => {
            // A failed publish pauses its ordering key in the client; resume so the next pass retries in order.
            for (const key of failedKeys) topic.resumePublishing(key);
            throw error;
          })
          .finally(async () => {
            if (published.length > 0) await session.query('update advices set published_at = now() where advice_id = any($1::uuid[])', [published]);
          });
        return rows.length;
      } finally {
        await session.query("select pg_advisory_unlock(hashtext('standin-advice-relay'))");
      }
    } finally {
      session.release();
    }
  }

  const loop = (async () => {
    let backoff = settings.backoffMs;
    while (running) {
      try {
        const count = await passOnce();
        if (failing) deps.logger.info('Pub/Sub reachable again: advices flowing');
        failing = false;
        backoff = settings.backoffMs;
        if (count === 0) await new Promise((resolve) => setTimeout(resolve, settings.idleMs));
      } catch (error) {
        if (!failing) deps.logger.error({ err: error }, 'publishing advices failed: they wait in the advice log and go when Pub/Sub is back');
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, settings.backoffCapMs);
      }
    }
  })();

  return {
    backlog: async () => Number((await deps.database.query<{ count: string }>('select count(*) from advices where published_at is null')).rows[0]?.count ?? 0),
    async stop() {
      running = false;
      await loop;
      await topic.flush().catch(() => undefined);
    },
  };
}
