import type { PrimaryEvent, PrimaryEventHeader } from '@bank/shared-contracts';
import { takeCustodyOfPan, type Session, type StandinCardKeys } from '@bank/standin';
import type { DecodedEvent } from './decode-event';
import type { EventOutcome } from './metrics';
import { recordGap, type SequenceGap, type SyncedSequences } from './sync-gaps';

// One event into stand-in's synced tables. The synced tables are append-only, one row per
// (entity, primary sequence), and the newest sequence is the current version; so applying an
// event is only ever an insert, and applying it twice is the same as applying it once.

export interface EventApplication {
  readonly outcome: EventOutcome;
  readonly header?: PrimaryEventHeader;
  readonly gap?: SequenceGap;
  /** Why the event was skipped or looks wrong, for the error log. Never holds a PAN. */
  readonly problem?: string;
}

type EventOf<T extends PrimaryEvent['type']> = Extract<PrimaryEvent, { type: T }>;
type Write = (session: Session) => Promise<void>;
type PreparedWrite = { readonly ok: true; readonly write: Write } | { readonly ok: false; readonly problem: string };

/**
 * Types whose row needs an earlier synced version or the card key: preparing them can fail, or
 * costs an RSA decryption, so a redelivered one is recognised before preparing it.
 */
const PREPARED_WITH_CARE: ReadonlySet<PrimaryEvent['type']> = new Set(['account.updated', 'card.issued', 'card.status_changed', 'payee.removed']);

export async function applyDecodedEvent(session: Session, keys: StandinCardKeys, decoded: DecodedEvent, sequences: SyncedSequences): Promise<EventApplication> {
  if (decoded.kind === 'invalid') return { outcome: 'invalid', ...(decoded.header ? { header: decoded.header } : {}), problem: decoded.reason };
  const header = decoded.header;

  let write: Write | undefined;
  if (decoded.kind === 'known') {
    if (PREPARED_WITH_CARE.has(decoded.event.type) && (await syncedEventId(session, header)) !== undefined) return duplicate(session, header);
    const prepared = await prepareWrite(session, keys, decoded.event);
    // Not recorded in synced_events: a replay, once what it needs is there, can still apply it,
    // and until then the next event of the account shows up as a gap.
    if (!prepared.ok) return { outcome: 'unapplicable', header, problem: prepared.problem };
    write = prepared.write;
  }

  const gap = await sequences.gapBefore(header.accountId, header.sequence);
  if (!(await recordEvent(session, header))) return duplicate(session, header);
  sequences.noteRecorded(header.accountId, header.sequence);
  if (gap) await recordGap(session, gap);
  if (write) await write(session);
  return { outcome: write ? 'applied' : 'recorded', header, ...(gap ? { gap } : {}) };
}

/** The insert that decides whether an event is new: (account, sequence) and the event id are both unique. */
async function recordEvent(session: Session, header: PrimaryEventHeader): Promise<boolean> {
  const { rowCount } = await session.query(
    `insert into synced_events (account_id, sequence, event_id, type, correlation_id, occurred_at)
     values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
    [header.accountId, header.sequence, header.eventId, header.type, header.correlationId ?? null, header.occurredAt],
  );
  return rowCount === 1;
}

async function syncedEventId(session: Session, header: PrimaryEventHeader): Promise<string | undefined> {
  const { rows } = await session.query<{ event_id: string }>('select event_id from synced_events where account_id = $1 and sequence = $2', [
    header.accountId,
    header.sequence,
  ]);
  return rows[0]?.event_id;
}

/** A redelivery changes nothing; but two different events claiming one place is primary's bug, and worth an error. */
async function duplicate(session: Session, header: PrimaryEventHeader): Promise<EventApplication> {
  const synced = await syncedEventId(session, header);
  if (synced?.toLowerCase() === header.eventId.toLowerCase()) return { outcome: 'duplicate', header };
  const problem = synced
    ? `sequence ${header.sequence} of the account was already synced from another event (${synced})`
    : 'this event id was already synced at another (account, sequence)';
  return { outcome: 'duplicate', header, problem };
}

async function prepareWrite(session: Session, keys: StandinCardKeys, event: PrimaryEvent): Promise<PreparedWrite> {
  switch (event.type) {
    case 'account.opened':
      return ready(accountOpened(event));
    case 'account.updated':
      return accountUpdated(session, event);
    case 'balance.changed':
      return ready(balanceChanged(event));
    case 'card.issued':
      return cardIssued(keys, event);
    case 'card.status_changed':
      return cardStatusChanged(session, event);
    case 'transaction.recorded':
      return ready(transactionRecorded(event));
    case 'pot.changed':
      return ready(potChanged(event));
    case 'payee.added':
      return ready(payeeAdded(event));
    case 'payee.removed':
      return payeeRemoved(session, event);
    case 'customer.credential_issued':
      return ready(credentialIssued(event));
    case 'customer.credentials_revoked':
      return ready(credentialsRevoked(event));
    default: {
      const unhandled: never = event;
      return { ok: false, problem: `no synced table for ${(unhandled as PrimaryEvent).type}` };
    }
  }
}

const ready = (write: Write): PreparedWrite => ({ ok: true, write });

function accountOpened(event: EventOf<'account.opened'>): Write {
  const { payload } = event;
  return async (session) => {
    await session.query(
      `insert into synced_accounts (account_id, sequence, customer_id, holder_name, sort_code, account_number, status, overdraft_limit_minor, unapproved_overdraft)
       values ($1, $2, $3, $4, $5, $6, $7, $8, false) on conflict do nothing`,
      [
        event.accountId,
        event.sequence,
        payload.customerId,
        payload.holderName,
        payload.sortCode,
        payload.accountNumber,
        payload.status,
        payload.overdraftLimitMinor,
      ],
    );
  };
}

/** account.updated carries only what changes; the rest comes from the version it follows. */
async function accountUpdated(session: Session, event: EventOf<'account.updated'>): Promise<PreparedWrite> {
  const { rows } = await session.query<{ customer_id: string; holder_name: string; sort_code: string; account_number: string }>(
    `select customer_id, holder_name, sort_code, account_number from synced_accounts
     where account_id = $1 and sequence < $2 order by sequence desc limit 1`,
    [event.accountId, event.sequence],
  );
  const previous = rows[0];
  if (!previous) return { ok: false, problem: 'account.updated for an account with no earlier synced version (its account.opened has not arrived)' };
  const { payload } = event;
  return ready(async (session) => {
    await session.query(
      `insert into synced_accounts (account_id, sequence, customer_id, holder_name, sort_code, account_number, status, overdraft_limit_minor, unapproved_overdraft)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing`,
      [
        event.accountId,
        event.sequence,
        previous.customer_id,
        previous.holder_name,
        previous.sort_code,
        previous.account_number,
        payload.status,
        payload.overdraftLimitMinor,
        payload.unapprovedOverdraft,
      ],
    );
  });
}

function balanceChanged(event: EventOf<'balance.changed'>): Write {
  const { payload } = event;
  return async (session) => {
    await session.query(
      'insert into synced_balances (account_id, sequence, settled_minor, held_minor, overdraft_limit_minor) values ($1, $2, $3, $4, $5) on conflict do nothing',
      [event.accountId, event.sequence, payload.settledBalanceMinor, payload.heldMinor, payload.overdraftLimitMinor],
    );
  };
}

/** The PAN is opened with key B only to be sealed under stand-in's own key; the plaintext never leaves takeCustodyOfPan. */
function cardIssued(keys: StandinCardKeys, event: EventOf<'card.issued'>): PreparedWrite {
  let custody: ReturnType<typeof takeCustodyOfPan>;
  try {
    custody = takeCustodyOfPan(keys, event.payload.panForStandin);
  } catch (error) {
    return { ok: false, problem: `the card number could not be opened with stand-in's key B: ${(error as Error).message}` };
  }
  const { payload } = event;
  return ready(async (session) => {
    await session.query(
      `insert into synced_cards (card_id, sequence, account_id, pan_lookup, pan_sealed, last4, expiry, status, daily_cash_limit_minor, changed_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing`,
      [
        payload.cardId,
        event.sequence,
        event.accountId,
        custody.lookup,
        custody.sealed,
        payload.last4,
        payload.expiry,
        payload.status,
        payload.dailyCashLimitMinor,
        event.occurredAt,
      ],
    );
  });
}

/** A status change is the card's previous version with the new status, as of when primary made it. */
async function cardStatusChanged(session: Session, event: EventOf<'card.status_changed'>): Promise<PreparedWrite> {
  const { rows } = await session.query<{ pan_lookup: Buffer; pan_sealed: unknown; last4: string; expiry: string; daily_cash_limit_minor: string }>(
    `select pan_lookup, pan_sealed, last4, expiry, daily_cash_limit_minor from synced_cards
     where card_id = $1 and sequence < $2 order by sequence desc limit 1`,
    [event.payload.cardId, event.sequence],
  );
  const previous = rows[0];
  if (!previous) return { ok: false, problem: 'card.status_changed for a card with no earlier synced version (its card.issued has not arrived)' };
  return ready(async (session) => {
    await session.query(
      `insert into synced_cards (card_id, sequence, account_id, pan_lookup, pan_sealed, last4, expiry, status, daily_cash_limit_minor, changed_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing`,
      [
        event.payload.cardId,
        event.sequence,
        event.accountId,
        previous.pan_lookup,
        previous.pan_sealed,
        previous.last4,
        previous.expiry,
        event.payload.status,
        previous.daily_cash_limit_minor,
        event.occurredAt,
      ],
    );
  });
}

function transactionRecorded(event: EventOf<'transaction.recorded'>): Write {
  const { payload } = event;
  return async (session) => {
    await session.query(
      `insert into synced_transactions (transaction_id, sequence, account_id, kind, status, amount_minor, description, merchant, counterparty, correlation_id, fps_id, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) on conflict do nothing`,
      [
        payload.transactionId,
        event.sequence,
        event.accountId,
        payload.kind,
        payload.status,
        payload.amountMinor,
        payload.description,
        payload.merchant ?? null,
        payload.counterparty ?? null,
        // Stand-in merges its own payments with primary's by this id, so nothing counts twice.
        event.correlationId ?? null,
        // Stand-in recognises a Faster Payment primary already credited by it.
        payload.fpsId ?? null,
        payload.createdAt,
      ],
    );
  };
}

function potChanged(event: EventOf<'pot.changed'>): Write {
  const { payload } = event;
  return async (session) => {
    await session.query(
      'insert into synced_pots (pot_id, sequence, account_id, name, balance_minor, status) values ($1, $2, $3, $4, $5, $6) on conflict do nothing',
      [payload.potId, event.sequence, event.accountId, payload.name, payload.balanceMinor, payload.status],
    );
  };
}

function payeeAdded(event: EventOf<'payee.added'>): Write {
  const { payload } = event;
  return async (session) => {
    await session.query(
      'insert into synced_payees (payee_id, sequence, account_id, name, sort_code, account_number, removed) values ($1, $2, $3, $4, $5, $6, false) on conflict do nothing',
      [payload.payeeId, event.sequence, event.accountId, payload.name, payload.sortCode, payload.accountNumber],
    );
  };
}

/** Removal keeps the payee's details when stand-in knows them, so the history still reads well. */
async function payeeRemoved(session: Session, event: EventOf<'payee.removed'>): Promise<PreparedWrite> {
  const { rows } = await session.query<{ name: string | null; sort_code: string | null; account_number: string | null }>(
    'select name, sort_code, account_number from synced_payees where payee_id = $1 and sequence < $2 order by sequence desc limit 1',
    [event.payload.payeeId, event.sequence],
  );
  const previous = rows[0];
  return ready(async (session) => {
    await session.query(
      'insert into synced_payees (payee_id, sequence, account_id, name, sort_code, account_number, removed) values ($1, $2, $3, $4, $5, $6, true) on conflict do nothing',
      [event.payload.payeeId, event.sequence, event.accountId, previous?.name ?? null, previous?.sort_code ?? null, previous?.account_number ?? null],
    );
  });
}

function credentialIssued(event: EventOf<'customer.credential_issued'>): Write {
  const { payload } = event;
  return async (session) => {
    await session.query(
      `insert into synced_credentials (account_id, sequence, customer_id, token_sha256, issued_at, expires_at)
       values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
      [
        event.accountId,
        event.sequence,
        payload.customerId,
        Buffer.from(payload.tokenSha256Base64, 'base64'),
        // Events from before revocation existed carry no issue time: the event's time is it.
        payload.issuedAt ?? event.occurredAt,
        payload.expiresAt ?? null,
      ],
    );
  };
}

/** Stand-in refuses the customer's tokens issued at or before this revocation from the moment it commits. */
function credentialsRevoked(event: EventOf<'customer.credentials_revoked'>): Write {
  return async (session) => {
    await session.query(
      'insert into synced_credential_revocations (account_id, sequence, customer_id, revoked_at) values ($1, $2, $3, $4) on conflict do nothing',
      [event.accountId, event.sequence, event.payload.customerId, event.payload.revokedAt],
    );
  };
}
