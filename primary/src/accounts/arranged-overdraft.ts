import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NonNegativeAmountMinor, storableText } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db } from '../platform/db';
import { errors } from '../platform/errors';
import { bearerToken, parseInput } from '../platform/http';
import type { PrimaryCredentials } from '../platform/credentials';
import { BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../platform/api-docs';
import type { Balance, Ledger } from '../ledger/ledger';
import { AccountIdParams } from './routes';

// An arranged overdraft is money the bank lends, so it is never granted by opening an account:
// an operator approves it, named by their credential (never by the body), and the change, its
// reason and the limit before it are recorded in the same transaction as the new limit. The new
// balance is announced as every balance is, so stand-in lends the same.

/** The most an operator may arrange here: above it is a credit decision for another system. */
export const MAX_ARRANGED_OVERDRAFT_MINOR = 1_000_000;

export const ArrangeOverdraftRequest = z.strictObject({
  limitMinor: NonNegativeAmountMinor.refine((value) => value <= MAX_ARRANGED_OVERDRAFT_MINOR, {
    error: `expected an arranged overdraft of at most ${MAX_ARRANGED_OVERDRAFT_MINOR} minor units`,
  }),
  reason: storableText(z.string().trim().min(1, { error: 'expected the reason for the decision' }).max(500)),
});

const HistoryQuery = z.strictObject({
  limit: z.coerce.number({ error: 'expected a number' }).int().min(1, { error: 'expected at least 1' }).max(100, { error: 'expected at most 100' }).default(20),
});

export interface ArrangedOverdraftChange {
  readonly accountId: string;
  readonly previousLimitMinor: number;
  readonly limitMinor: number;
  readonly approvedBy: string;
  readonly reason: string;
  readonly approvedAt: string;
}

interface ChangeRow {
  account_id: string;
  previous_limit_minor: string;
  limit_minor: string;
  approved_by: string;
  reason: string;
  approved_at: Date;
}

const toChange = (row: ChangeRow): ArrangedOverdraftChange => ({
  accountId: row.account_id,
  previousLimitMinor: Number(row.previous_limit_minor),
  limitMinor: Number(row.limit_minor),
  approvedBy: row.approved_by,
  reason: row.reason,
  approvedAt: row.approved_at.toISOString(),
});

export function createArrangedOverdrafts(deps: { db: Db; clock: Clock; ledger: Ledger }) {
  const { db, clock, ledger } = deps;
  return {
    /** Sets the limit and records who approved it; 404 for an account primary does not have. */
    async arrange(change: {
      accountId: string;
      limitMinor: number;
      operator: string;
      reason: string;
    }): Promise<ArrangedOverdraftChange & { balance: Balance }> {
      return withTransaction(db, async (tx) => {
        const { rowCount } = await tx.query('select 1 from accounts where id = $1', [change.accountId]);
        if (rowCount !== 1) throw errors.notFound('account');
        const { previousMinor } = await ledger.setOverdraftLimit(tx, change.accountId, change.limitMinor);
        const { rows } = await tx.query<ChangeRow>(
          `insert into arranged_overdraft_changes (id, account_id, previous_limit_minor, limit_minor, approved_by, reason, approved_at)
           values ($1, $2, $3, $4, $5, $6, $7) returning *`,
          [randomUUID(), change.accountId, previousMinor, change.limitMinor, change.operator, change.reason, clock.now()],
        );
        return { ...toChange(rows[0]!), balance: (await ledger.balance(tx, change.accountId))! };
      });
    },

    /** The account's changes, newest first. */
    async history(accountId: string, limit: number): Promise<ArrangedOverdraftChange[]> {
      const { rows } = await db.query<ChangeRow>(
        'select * from arranged_overdraft_changes where account_id = $1 order by approved_at desc, position desc limit $2',
        [accountId, limit],
      );
      return rows.map(toChange);
    },
  };
}

export type ArrangedOverdrafts = ReturnType<typeof createArrangedOverdrafts>;

const ROUTE = '/internal/accounts/:accountId/arranged-overdraft';

export function arrangedOverdraftRoutes(app: FastifyInstance, deps: { overdrafts: ArrangedOverdrafts; credentials: PrimaryCredentials }): void {
  /** The operator's name from their credential (the call map has refused every other caller). */
  const operator = (request: FastifyRequest): string => {
    const credential = deps.credentials.identify(bearerToken(request));
    if (credential?.kind !== 'operator') throw errors.unauthenticated();
    return credential.name;
  };

  app.post(
    ROUTE,
    {
      schema: {
        summary: "Arrange an account's overdraft (operator; audited with the operator's name from the credential)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        params: AccountIdParams,
        body: ArrangeOverdraftRequest,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      const approvedBy = operator(request);
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const body = parseInput('arranged overdraft', ArrangeOverdraftRequest, request.body);
      const changed = await deps.overdrafts.arrange({ accountId, limitMinor: body.limitMinor, operator: approvedBy, reason: body.reason });
      request.log.warn({ accountId, approvedBy, limitMinor: changed.limitMinor, previousLimitMinor: changed.previousLimitMinor }, 'arranged overdraft changed');
      return changed;
    },
  );

  app.get(
    ROUTE,
    {
      schema: {
        summary: "An account's arranged overdraft changes, newest first (operator; ?limit, at most 100)",
        tags: [INTERNAL_TAG],
        security: BEARER,
        params: AccountIdParams,
        querystring: HistoryQuery,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      operator(request);
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const { limit } = parseInput('arranged overdraft history query', HistoryQuery, request.query ?? {});
      return { changes: await deps.overdrafts.history(accountId, limit) };
    },
  );
}
