import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../src/store/database';
import { panLookup, sealPan } from '../src/cards/card-numbers';

// Writes synced records the way the syncer does, so stand-in's own logic can be tested against
// any state primary might have told it about, including states mid-way through a sync.

export const testKeys = { sealKey: randomBytes(32), lookupKey: randomBytes(32) };

export class SyncedAccount {
  private sequence = 0;
  readonly accountId = randomUUID();
  readonly cardId = randomUUID();
  readonly token = randomBytes(24).toString('base64url');
  readonly accountNumber = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  readonly pan = `459876${String(Math.floor(Math.random() * 1e10)).padStart(10, '0')}`;

  /** `customerId`: another account of a customer already synced (by default a customer of its own). */
  constructor(
    private readonly database: Database,
    readonly customerId: string = randomUUID(),
  ) {}

  private async event(type: string, correlationId?: string): Promise<number> {
    this.sequence += 1;
    await this.database.query(
      'insert into synced_events (account_id, sequence, event_id, type, correlation_id, occurred_at) values ($1, $2, $3, $4, $5, now())',
      [this.accountId, this.sequence, randomUUID(), type, correlationId ?? null],
    );
    return this.sequence;
  }

  async open(options: { settledMinor: number; overdraftLimitMinor?: number; cardStatus?: string; expiry?: string; status?: string }) {
    const opened = await this.event('account.opened');
    await this.database.query(
      `insert into synced_accounts (account_id, sequence, customer_id, holder_name, sort_code, account_number, status, overdraft_limit_minor, unapproved_overdraft)
       values ($1, $2, $3, 'Test Customer', '608371', $4, $5, $6, false)`,
      [this.accountId, opened, this.customerId, this.accountNumber, options.status ?? 'open', options.overdraftLimitMinor ?? 0],
    );
    const credential = await this.event('customer.credential_issued');
    await this.database.query('insert into synced_credentials (account_id, sequence, customer_id, token_sha256) values ($1, $2, $3, $4)', [
      this.accountId,
      credential,
      this.customerId,
      createHash('sha256').update(this.token).digest(),
    ]);
    await this.balance(options.settledMinor, 0, options.overdraftLimitMinor ?? 0);
    const issued = await this.event('card.issued');
    await this.database.query(
      `insert into synced_cards (card_id, sequence, account_id, pan_lookup, pan_sealed, last4, expiry, status, daily_cash_limit_minor, changed_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 20000, $9)`,
      [
        this.cardId,
        issued,
        this.accountId,
        panLookup(testKeys, this.pan),
        sealPan(testKeys, this.pan),
        this.pan.slice(-4),
        options.expiry ?? '3011',
        options.cardStatus ?? 'active',
        new Date('2026-01-01T00:00:00Z'),
      ],
    );
    return this;
  }

  /** Another app token of the customer, as customer.credential_issued syncs it (issued and expiring when primary said). */
  async credential(token: string, times: { issuedAt: Date; expiresAt?: Date }): Promise<number> {
    const sequence = await this.event('customer.credential_issued');
    await this.database.query(
      'insert into synced_credentials (account_id, sequence, customer_id, token_sha256, issued_at, expires_at) values ($1, $2, $3, $4, $5, $6)',
      [this.accountId, sequence, this.customerId, createHash('sha256').update(token).digest(), times.issuedAt, times.expiresAt ?? null],
    );
    return sequence;
  }

  /** An operator's revocation of the customer's tokens, as customer.credentials_revoked syncs it. */
  async revokeCredentials(revokedAt: Date): Promise<number> {
    const sequence = await this.event('customer.credentials_revoked');
    await this.database.query('insert into synced_credential_revocations (account_id, sequence, customer_id, revoked_at) values ($1, $2, $3, $4)', [
      this.accountId,
      sequence,
      this.customerId,
      revokedAt,
    ]);
    return sequence;
  }

  /** A balance.changed from primary, optionally caused by applying one of stand-in's advices. */
  async balance(settledMinor: number, heldMinor: number, overdraftLimitMinor = 0, correlationId?: string): Promise<number> {
    const sequence = await this.event('balance.changed', correlationId);
    await this.database.query(
      'insert into synced_balances (account_id, sequence, settled_minor, held_minor, overdraft_limit_minor) values ($1, $2, $3, $4, $5)',
      [this.accountId, sequence, settledMinor, heldMinor, overdraftLimitMinor],
    );
    return sequence;
  }

  async transaction(amountMinor: number, correlationId?: string): Promise<number> {
    const sequence = await this.event('transaction.recorded', correlationId);
    await this.database.query(
      `insert into synced_transactions (transaction_id, sequence, account_id, kind, status, amount_minor, description, correlation_id, created_at)
       values ($1, $2, $3, 'card_payment', 'pending', $4, 'CORNER SHOP', $5, now())`,
      [randomUUID(), sequence, this.accountId, amountMinor, correlationId ?? null],
    );
    return sequence;
  }

  /** A payee.added from primary; returns the payee's id. */
  async payee(payee: { name: string; sortCode: string; accountNumber: string }, payeeId: string = randomUUID()): Promise<string> {
    const sequence = await this.event('payee.added');
    await this.database.query(
      'insert into synced_payees (payee_id, sequence, account_id, name, sort_code, account_number, removed) values ($1, $2, $3, $4, $5, $6, false)',
      [payeeId, sequence, this.accountId, payee.name, payee.sortCode, payee.accountNumber],
    );
    return payeeId;
  }

  /** A payee.removed from primary, keeping the details as the syncer does. */
  async removePayee(payeeId: string): Promise<void> {
    const sequence = await this.event('payee.removed');
    await this.database.query(
      `insert into synced_payees (payee_id, sequence, account_id, name, sort_code, account_number, removed)
       select payee_id, $2, account_id, name, sort_code, account_number, true from synced_payees where payee_id = $1 order by sequence desc limit 1`,
      [payeeId, sequence],
    );
  }

  /** Primary's newest event of this account, with when it happened there and when stand-in received it. */
  async lastEvent(occurredAt: Date, syncedAt: Date): Promise<number> {
    this.sequence += 1;
    await this.database.query('insert into synced_events (account_id, sequence, event_id, type, occurred_at, synced_at) values ($1, $2, $3, $4, $5, $6)', [
      this.accountId,
      this.sequence,
      randomUUID(),
      'account.updated',
      occurredAt,
      syncedAt,
    ]);
    return this.sequence;
  }

  async cardStatus(status: 'active' | 'frozen' | 'cancelled', at: Date) {
    const sequence = await this.event('card.status_changed');
    await this.database.query(
      `insert into synced_cards (card_id, sequence, account_id, pan_lookup, pan_sealed, last4, expiry, status, daily_cash_limit_minor, changed_at)
       select card_id, $2, account_id, pan_lookup, pan_sealed, last4, expiry, $3, daily_cash_limit_minor, $4 from synced_cards where card_id = $1 order by sequence desc limit 1`,
      [this.cardId, sequence, status, at],
    );
  }
}
