import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMA_VERSION, PrimaryEvent, parseContract } from '@bank/shared-contracts';
import type { Tx } from '../platform/db';
import type { Clock } from '../platform/clock';

type EventOf<T extends PrimaryEvent['type']> = Extract<PrimaryEvent, { type: T }>;

export interface NewEvent<T extends PrimaryEvent['type'] = PrimaryEvent['type']> {
  readonly type: T;
  readonly accountId: string;
  readonly correlationId?: string;
  readonly payload: EventOf<T>['payload'];
}

/**
 * Writes an event in the caller's transaction, so it commits (or not) with the change it
 * announces. The per-account sequence comes from a row locked until commit: two transactions
 * on one account take turns, so sequence order is commit order and the relay never skips one.
 */
export async function appendEvent<T extends PrimaryEvent['type']>(tx: Tx, clock: Clock, event: NewEvent<T>): Promise<EventOf<T>> {
  const { rows } = await tx.query<{ last_sequence: number }>(
    `insert into event_sequences (account_id, last_sequence) values ($1, 1)
     on conflict (account_id) do update set last_sequence = event_sequences.last_sequence + 1
     returning last_sequence`,
    [event.accountId],
  );
  const sequence = rows[0]!.last_sequence;
  const envelope = parseContract(`${event.type} event`, PrimaryEvent, {
    eventId: randomUUID(),
    type: event.type,
    accountId: event.accountId,
    sequence,
    occurredAt: clock.now().toISOString(),
    ...(event.correlationId ? { correlationId: event.correlationId } : {}),
    schemaVersion: EVENT_SCHEMA_VERSION,
    payload: event.payload,
  }) as EventOf<T>;
  await tx.query('insert into outbox_events (event_id, account_id, sequence, event) values ($1, $2, $3, $4)', [
    envelope.eventId,
    envelope.accountId,
    sequence,
    envelope,
  ]);
  return envelope;
}
