import { createHash } from 'node:crypto';
import type { Database } from '../store/database';

/** Who an app token is, or why stand-in refuses it (`unknown`: primary never synced it here). */
export type CustomerTokenCheck = { readonly ok: true; readonly customerId: string } | { readonly ok: false; readonly why: 'unknown' | 'expired' | 'revoked' };

/**
 * The customer behind an app token, from the credentials primary synced to us: refused once its
 * expiry has passed (by stand-in's clock) or a synced revocation of the customer's tokens is at
 * or after its issue. A credential synced before tokens expired has no expiry, and only a
 * revocation ends it.
 */
export async function checkCustomerToken(database: Database, token: string, now: Date): Promise<CustomerTokenCheck> {
  const hash = createHash('sha256').update(token).digest();
  const { rows } = await database.query<{ customer_id: string; expires_at: Date | null; revoked: boolean }>(
    `select c.customer_id, c.expires_at,
            exists (select 1 from synced_credential_revocations r
                    where r.customer_id = c.customer_id and r.revoked_at >= coalesce(c.issued_at, '-infinity'::timestamptz)) as revoked
     from synced_credentials c where c.token_sha256 = $1 order by c.sequence desc limit 1`,
    [hash],
  );
  const credential = rows[0];
  if (!credential) return { ok: false, why: 'unknown' };
  if (credential.revoked) return { ok: false, why: 'revoked' };
  if (credential.expires_at && credential.expires_at.getTime() <= now.getTime()) return { ok: false, why: 'expired' };
  return { ok: true, customerId: credential.customer_id };
}

/** The customer behind an app token, if stand-in accepts it now. */
export async function customerOfToken(database: Database, token: string, now: Date): Promise<string | undefined> {
  const check = await checkCustomerToken(database, token, now);
  return check.ok ? check.customerId : undefined;
}

/** The account, if this customer holds it (newest synced version); otherwise nothing, as if it did not exist. */
export async function accountOfCustomer(database: Database, customerId: string, accountId: string) {
  const { rows } = await database.query<{
    account_id: string;
    customer_id: string;
    holder_name: string;
    sort_code: string;
    account_number: string;
    status: string;
  }>('select * from synced_accounts where account_id = $1 order by sequence desc limit 1', [accountId]);
  const account = rows[0];
  return account && account.customer_id === customerId ? account : undefined;
}
