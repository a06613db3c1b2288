import { randomUUID } from 'node:crypto';
import type { BankAccountParty } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db } from '../platform/db';
import { errors } from '../platform/errors';
import { appendEvent } from '../outbox/outbox';
import { OUR_SORT_CODE, hasValidCheckDigit } from '../accounts/account-number';

export interface Payee extends BankAccountParty {
  readonly id: string;
}

export type PayeesService = ReturnType<typeof createPayeesService>;

export function createPayeesService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    async add(accountId: string, payee: BankAccountParty): Promise<Payee> {
      if (payee.sortCode === OUR_SORT_CODE && !hasValidCheckDigit(payee.sortCode, payee.accountNumber)) throw errors.invalidAccountNumber();
      const id = randomUUID();
      await withTransaction(db, async (tx) => {
        await tx.query('insert into payees (id, account_id, name, sort_code, account_number, created_at) values ($1, $2, $3, $4, $5, $6)', [
          id,
          accountId,
          payee.name,
          payee.sortCode,
          payee.accountNumber,
          clock.now(),
        ]);
        await appendEvent(tx, clock, { type: 'payee.added', accountId, payload: { payeeId: id, ...payee } });
      });
      return { id, ...payee };
    },

    async list(accountId: string): Promise<Payee[]> {
      const { rows } = await db.query<{ id: string; name: string; sort_code: string; account_number: string }>(
        'select * from payees where account_id = $1 and removed_at is null order by created_at',
        [accountId],
      );
      return rows.map((row) => ({ id: row.id, name: row.name, sortCode: row.sort_code, accountNumber: row.account_number }));
    },

    async remove(accountId: string, payeeId: string): Promise<void> {
      await withTransaction(db, async (tx) => {
        const removed = await tx.query('update payees set removed_at = $3 where id = $1 and account_id = $2 and removed_at is null', [
          payeeId,
          accountId,
          clock.now(),
        ]);
        if (removed.rowCount === 0) throw errors.notFound('payee');
        await appendEvent(tx, clock, { type: 'payee.removed', accountId, payload: { payeeId } });
      });
    },
  };
}
