import { inTransaction, type Database, type StandinCardKeys } from '@bank/standin';
import { applyDecodedEvent, type EventApplication } from './apply-event';
import type { Clock } from './clock';
import { decodeEvent } from './decode-event';
import { SyncedSequences } from './sync-gaps';

/** A message as the syncer needs it from Kafka: where it was and what it held. */
export interface EventMessage {
  readonly partition: number;
  readonly offset: string;
  readonly value: Buffer | null;
}

export interface AppliedMessage extends EventApplication {
  readonly partition: number;
  readonly offset: string;
}

export interface AppliedBatch {
  readonly messages: readonly AppliedMessage[];
  /** Just after the commit: from here on stand-in sees the batch. */
  readonly visibleAt: Date;
  readonly durationMs: number;
}

/**
 * Applies messages in one database transaction, in order: all of them are visible to stand-in
 * at once, or (on any failure) none is, and Kafka redelivers them.
 */
export async function applyEventBatch(
  deps: { database: Database; keys: StandinCardKeys; clock: Clock },
  messages: readonly EventMessage[],
): Promise<AppliedBatch> {
  const began = deps.clock.now().getTime();
  const decoded = messages.map((message) => decodeEvent(message.value));
  const accounts = [...new Set(decoded.flatMap((event) => (event.header ? [event.header.accountId] : [])))].sort();
  const applied = await inTransaction(deps.database, async (session) => {
    // Another writer of the same accounts (a replay beside the live syncer) waits its turn, so
    // gap detection and "previous version" reads see every earlier event. Sorted: no deadlock.
    if (accounts.length > 0) {
      await session.query(
        "select pg_advisory_xact_lock(hashtextextended('synced-account:' || id, 0)) from (select unnest($1::text[]) as id order by 1) ordered",
        [accounts],
      );
    }
    const sequences = new SyncedSequences(session);
    const results: AppliedMessage[] = [];
    for (const [index, message] of messages.entries()) {
      const application = await applyDecodedEvent(session, deps.keys, decoded[index]!, sequences);
      results.push({ ...application, partition: message.partition, offset: message.offset });
    }
    return results;
  });
  const visibleAt = deps.clock.now();
  return { messages: applied, visibleAt, durationMs: visibleAt.getTime() - began };
}
