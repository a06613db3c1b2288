import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BankAccountParty, PositiveAmountMinor } from '@bank/shared-contracts';
import type { Database } from '../store/database';
import { cardsOfAccount, findCard } from '../cards/card-directory';
import { setCardFrozen } from '../cards/card-freezes';
import type { StandinCardKeys } from '../cards/card-numbers';
import { sendTransfer } from '../payments/outbound-transfers';
import { standinBalance } from '../views/balance-view';
import { recentTransactions } from '../views/transactions-view';
import { accountOfCustomer, customerOfToken } from './customers';

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

const AccountPath = z.object({ accountId: z.uuid() });
const CardPath = z.object({ cardId: z.uuid(), action: z.enum(['freeze', 'unfreeze']) });
const TransferOrder = z.strictObject({ amountMinor: PositiveAmountMinor, creditor: BankAccountParty, reference: z.string().max(18).default('') });

export function appRoutes(server: FastifyInstance, deps: { database: Database; keys: Pick<StandinCardKeys, 'lookupKey'>; now: () => Date; parse: <T>(what: string, schema: z.ZodType<T>, input: unknown) => T }): void {
  const { database, parse } = deps;

  const customer = async (request: FastifyRequest): Promise<string> => {
    const header = request.headers.authorization;
    const found = header?.startsWith('Bearer ') ? await customerOfToken(database, header.slice(7).trim()) : undefined;
    if (!found) throw new AppRefusal(401, 'STANDIN_UNAUTHENTICATED', 'missing or unknown bearer token');
    return found;
  };
  const ownAccount = async (request: FastifyRequest) => {
    const { accountId } = parse('account path', AccountPath, request.params);
    const account = await accountOfCustomer(database, await customer(request), accountId);
    if (!account) throw new AppRefusal(404, 'STANDIN_NOT_FOUND', 'account not found');
    return account;
  };

  server.get('/accounts/:accountId', async (request) => {
    const account = await ownAccount(request);
    return { id: account.account_id, holderName: account.holder_name, sortCode: account.sort_code, accountNumber: account.account_number, balance: await standinBalance(database, account.account_id) };
  });

  server.get('/accounts/:accountId/transactions', async (request) => {
    const account = await ownAccount(request);
    return { transactions: await recentTransactions(database, account.account_id, 50) };
  });

  server.get('/accounts/:accountId/cards', async (request) => {
    const account = await ownAccount(request);
    return { cards: await cardsOfAccount(database, account.account_id) };
  });

  server.post('/cards/:cardId/:action', async (request) => {
    const customerId = await customer(request);
    const { cardId, action } = parse('card path', CardPath, request.params);
    const card = await findCard(database, deps.keys, { cardId });
    if (!card || !(await accountOfCustomer(database, customerId, card.accountId))) throw new AppRefusal(404, 'STANDIN_NOT_FOUND', 'card not found');
    await setCardFrozen(deps, card, action === 'freeze');
    return { cardId, status: action === 'freeze' ? 'frozen' : 'active' };
  });

  server.post('/accounts/:accountId/transfers', async (request, reply) => {
    const account = await ownAccount(request);
    const key = z.uuid().safeParse(request.headers['idempotency-key']);
    if (!key.success) throw new AppRefusal(400, 'STANDIN_IDEMPOTENCY_KEY_REQUIRED', 'send an Idempotency-Key header (a UUID) with every transfer');
    const order = parse('transfer order', TransferOrder, request.body);
    const outcome = await sendTransfer(deps, { accountId: account.account_id, idempotencyKey: key.data, ...order });
    return reply.code(outcome.status === 'sent' ? 201 : 422).send(outcome);
  });
}
