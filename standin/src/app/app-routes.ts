import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BankAccountParty, PaymentReference, PositiveAmountMinor, safeParseContract } from '@bank/shared-contracts';
import type { Database } from '../store/database';
import { cardsOfAccount, findCard } from '../cards/card-directory';
import { setCardFrozen } from '../cards/card-freezes';
import type { StandinCardKeys } from '../cards/card-numbers';
import { IdempotencyKeyReused, type OutboundTransfers } from '../payments/outbound-transfers';
import { standinBalance, syncFreshness } from '../views/balance-view';
import { accountsOfCustomer, type SyncedAccountRow } from '../views/accounts-view';
import { payeesOfAccount } from '../views/payees-view';
import { recentTransactions } from '../views/transactions-view';
import { accountOfCustomer, checkCustomerToken } from './customers';
import { afterApiDocs, APP_TAG, BEARER, ERROR_RESPONSES } from './api-docs';

// Stand-in's limited app API: what a customer needs while primary is away.

export class AppRefusal extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// Ids are canonical (lower case) from here on, as primary writes them.
const AccountPath = z.object({ accountId: z.uuid().toLowerCase() });
const CardPath = z.object({ cardId: z.uuid().toLowerCase(), action: z.enum(['freeze', 'unfreeze']) });
/** The header a transfer needs, as the route checks it. */
const TransferHeaders = z.object({ 'idempotency-key': z.uuid().describe('a UUID, reused only when retrying the same transfer') });
const TransferOrder = z.strictObject({ amountMinor: PositiveAmountMinor, creditor: BankAccountParty, reference: PaymentReference.default('') });

type Parse = <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;

/** The balance stand-in answers, for the reference (the handlers build it; nothing is validated against it). */
const BalanceAnswer = z
  .object({
    syncedMinor: z.number().int().describe("primary's last synced balance (settled − held)"),
    syncedAsOfSequence: z.number().int().describe("the account's event sequence that balance is as of"),
    unreflectedMinor: z.number().int().describe("stand-in's own effects not yet in it (debits negative)"),
    overdraftLimitMinor: z.number().int(),
    spendableMinor: z.number().int().describe('what stand-in lets the customer spend: synced + unreflected + overdraft limit'),
    asOf: z.iso.datetime().optional().describe("how current stand-in's copy of primary's data is: now − the sync lag"),
    syncLagMs: z.number().int().optional().describe("the syncer's current lag (ms)"),
    alerting: z.boolean().optional().describe('the lag is past its appetite (an incident)'),
    lastSyncedChangeAt: z.iso.datetime().optional().describe("when primary made this account's newest change stand-in has synced"),
  })
  .describe('balance as stand-in sees it');
const AccountAnswer = z.object({
  id: z.uuid(),
  /** Primary's customer id: what the app polls GET /status?user= with (as primary's GET /accounts says it). */
  customerId: z.uuid(),
  holderName: z.string(),
  sortCode: z.string(),
  accountNumber: z.string(),
  status: z.string(),
  balance: BalanceAnswer.optional(),
});
const PayeesAnswer = z.object({
  payees: z.array(z.object({ id: z.uuid(), name: z.string(), sortCode: z.string(), accountNumber: z.string() })),
});

/** The customer, or 401: with its own code when primary's token expired or was revoked, so the app asks the customer to sign in. */
async function customerOf(database: Database, request: FastifyRequest, now: Date): Promise<string> {
  const header = request.headers.authorization;
  const check = header?.startsWith('Bearer ') ? await checkCustomerToken(database, header.slice(7).trim(), now) : undefined;
  if (check?.ok) return check.customerId;
  if (check?.why === 'expired') throw new AppRefusal(401, 'STANDIN_CUSTOMER_TOKEN_EXPIRED', 'this app token has expired: sign in again');
  if (check?.why === 'revoked') throw new AppRefusal(401, 'STANDIN_CUSTOMER_TOKEN_REVOKED', 'this app token was revoked by the bank: sign in again');
  throw new AppRefusal(401, 'STANDIN_UNAUTHENTICATED', 'missing or unknown bearer token');
}

async function ownAccountOf(database: Database, parse: Parse, request: FastifyRequest, now: Date) {
  const { accountId } = parse('account path', AccountPath, request.params);
  const account = await accountOfCustomer(database, await customerOf(database, request, now), accountId);
  if (!account) throw new AppRefusal(404, 'STANDIN_NOT_FOUND', 'account not found');
  return account;
}

export function appRoutes(
  server: FastifyInstance,
  deps: { database: Database; keys: Pick<StandinCardKeys, 'lookupKey'>; now: () => Date; parse: Parse },
): void {
  const { database, parse } = deps;
  const customer = (request: FastifyRequest) => customerOf(database, request, deps.now());
  const ownAccount = (request: FastifyRequest) => ownAccountOf(database, parse, request, deps.now());

  /**
   * An account as the app shows it: the balance with how current it is (see syncFreshness), by the
   * routes' clock, so the app can say "as of" whenever stand-in's copy of primary's data lags.
   */
  const accountAnswer = async (account: SyncedAccountRow, now: Date) => {
    const [balance, freshness] = await Promise.all([standinBalance(database, account.account_id), syncFreshness(database, account.account_id, now)]);
    return {
      id: account.account_id,
      customerId: account.customer_id,
      holderName: account.holder_name,
      sortCode: account.sort_code,
      accountNumber: account.account_number,
      status: account.status,
      balance: balance && { ...balance, ...freshness },
    };
  };

  server.get(
    '/accounts',
    {
      schema: {
        summary: "The customer's accounts, each with its balance as stand-in sees it and how current that is",
        tags: [APP_TAG],
        security: BEARER,
        response: { 200: z.object({ accounts: z.array(AccountAnswer) }), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const customerId = await customer(request);
      const now = deps.now();
      return { accounts: await Promise.all((await accountsOfCustomer(database, customerId)).map((account) => accountAnswer(account, now))) };
    },
  );

  server.get(
    '/accounts/:accountId',
    {
      schema: {
        summary: 'An account and its balance as stand-in sees it, with how current that is (asOf, syncLagMs, alerting, lastSyncedChangeAt)',
        tags: [APP_TAG],
        security: BEARER,
        params: AccountPath,
        response: { 200: AccountAnswer, ...ERROR_RESPONSES },
      },
    },
    async (request) => accountAnswer(await ownAccount(request), deps.now()),
  );

  server.get(
    '/accounts/:accountId/payees',
    {
      schema: {
        summary: "An account's payees as synced from primary (removed ones left out; primary's fields)",
        tags: [APP_TAG],
        security: BEARER,
        params: AccountPath,
        response: { 200: PayeesAnswer, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const account = await ownAccount(request);
      return { payees: await payeesOfAccount(database, account.account_id) };
    },
  );

  server.get(
    '/accounts/:accountId/transactions',
    {
      schema: {
        summary: "An account's recent transactions (each payment once, from whichever side knows it)",
        tags: [APP_TAG],
        security: BEARER,
        params: AccountPath,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      const account = await ownAccount(request);
      return { transactions: await recentTransactions(database, account.account_id, 50) };
    },
  );

  server.get(
    '/accounts/:accountId/cards',
    { schema: { summary: "An account's cards", tags: [APP_TAG], security: BEARER, params: AccountPath, response: ERROR_RESPONSES } },
    async (request) => {
      const account = await ownAccount(request);
      return { cards: await cardsOfAccount(database, account.account_id) };
    },
  );

  server.post(
    '/cards/:cardId/:action',
    { schema: { summary: 'Freeze or unfreeze a card', tags: [APP_TAG], security: BEARER, params: CardPath, response: ERROR_RESPONSES } },
    async (request) => {
      const customerId = await customer(request);
      const { cardId, action } = parse('card path', CardPath, request.params);
      const card = await findCard(database, deps.keys, { cardId });
      if (!card || !(await accountOfCustomer(database, customerId, card.accountId))) throw new AppRefusal(404, 'STANDIN_NOT_FOUND', 'card not found');
      const status = await setCardFrozen(deps, card, action === 'freeze');
      if (status === 'cancelled') throw new AppRefusal(409, 'STANDIN_CARD_STATE', `a cancelled card cannot be ${action === 'freeze' ? 'frozen' : 'unfrozen'}`);
      return { cardId, status };
    },
  );
}

function parseOrRefuse<T>(what: string, schema: z.ZodType<T>, input: unknown): T {
  const parsed = safeParseContract(what, schema, input);
  if (!parsed.ok) throw new AppRefusal(400, 'STANDIN_INVALID_MESSAGE', parsed.error.message);
  return parsed.value;
}

const TRANSFER_STATUS_CODES = { sent: 201, submitted: 202, refused: 422 } as const;

/**
 * `POST /accounts/:accountId/transfers`: 201 sent, 202 submitted (the scheme has not answered yet;
 * stand-in keeps asking, and a retry with the same Idempotency-Key shows how it ended), 422 refused
 * (not enough money, or the scheme rejected it). Registered apart from appRoutes because it needs
 * the Faster Payments scheme, which createStandinServer is not given: main.ts adds it.
 */
export function transferRoutes(
  server: FastifyInstance,
  deps: {
    database: Database;
    transfers: Pick<OutboundTransfers, 'send'>;
    /** Whose time a token's expiry is judged by; none: the system's. */ now?: () => Date;
  },
): void {
  afterApiDocs(server, (server) => transferRoute(server, { ...deps, now: deps.now ?? (() => new Date()) }));
}

function transferRoute(server: FastifyInstance, deps: { database: Database; transfers: Pick<OutboundTransfers, 'send'>; now: () => Date }): void {
  const schema = {
    summary: 'Send a Faster Payment: 201 sent, 202 submitted, 422 refused',
    tags: [APP_TAG],
    security: BEARER,
    params: AccountPath,
    headers: TransferHeaders,
    body: TransferOrder,
    response: ERROR_RESPONSES,
  };
  server.post('/accounts/:accountId/transfers', { schema }, async (request, reply) => {
    const account = await ownAccountOf(deps.database, parseOrRefuse, request, deps.now());
    const key = TransferHeaders.shape['idempotency-key'].safeParse(request.headers['idempotency-key']);
    if (!key.success) throw new AppRefusal(400, 'STANDIN_IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header (a UUID) with every transfer');
    const order = parseOrRefuse('transfer order', TransferOrder, request.body);
    try {
      const outcome = await deps.transfers.send({ accountId: account.account_id, idempotencyKey: key.data, ...order });
      return reply.code(TRANSFER_STATUS_CODES[outcome.status]).send(outcome);
    } catch (failure) {
      if (failure instanceof IdempotencyKeyReused) throw new AppRefusal(409, failure.code, failure.message);
      throw failure;
    }
  });
}
