import { PRIMARY_EVENT_TYPES, PrimaryEvent, PrimaryEventHeader, safeParseContract } from '@bank/shared-contracts';

/** A Kafka message from primary.events, as far as the syncer could read it. */
export type DecodedEvent =
  /** A type stand-in needs, fully validated. */
  | { readonly kind: 'known'; readonly header: PrimaryEventHeader; readonly event: PrimaryEvent }
  /** A type stand-in does not need: only its header matters, to keep per-account sequences exact. */
  | { readonly kind: 'unknown-type'; readonly header: PrimaryEventHeader }
  /** Not a valid event. The reason names fields and expectations, never the values sent. */
  | { readonly kind: 'invalid'; readonly header?: PrimaryEventHeader; readonly reason: string };

const KNOWN_TYPES: ReadonlySet<string> = new Set(PRIMARY_EVENT_TYPES);

export function decodeEvent(value: Buffer | null): DecodedEvent {
  if (value === null || value.length === 0) return { kind: 'invalid', reason: 'empty message (a tombstone?)' };
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    // JSON.parse's own message quotes the input, and the input could be anything, even a PAN.
    return { kind: 'invalid', reason: 'not JSON' };
  }
  const header = safeParseContract('primary event header', PrimaryEventHeader, raw);
  if (!header.ok) return { kind: 'invalid', reason: header.error.message };
  if (!KNOWN_TYPES.has(header.value.type)) return { kind: 'unknown-type', header: header.value };
  const event = safeParseContract(`${header.value.type} event`, PrimaryEvent, raw);
  if (!event.ok) return { kind: 'invalid', header: header.value, reason: event.error.message };
  return { kind: 'known', header: header.value, event: event.value };
}
