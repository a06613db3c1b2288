import { createHash } from 'node:crypto';
import type { Database } from '../store/database';

/** The customer behind an app token, from the credential hashes primary synced to us. */
export async function customerOfToken(database: Database, token: string): Promise<string | undefined> {
  const hash = createHash('sha256').update(token).digest();
  const { rows } = await database.query<{ customer_id: string }>('select customer_id from synced_credentials where token_sha256 = $1 limit 1', [hash]);
  return rows[0]?.customer_id;
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
