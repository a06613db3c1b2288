import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { authorisation, messageKey, startPrimary, type TestPrimary } from './harness';

// Random sequences of money movements through the public scheme API, then the ledger's
// invariants over the whole database, and an independent model of each account's balance.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

type Command =
  | { kind: 'authorise'; account: number; amountMinor: number }
  | { kind: 'cash'; account: number; amountMinor: number }
  | { kind: 'reverse'; pick: number; keepMinor: number }
  | { kind: 'clear'; pick: number; deltaMinor: number }
  | { kind: 'refund'; account: number; amountMinor: number }
  | { kind: 'credit'; account: number; amountMinor: number }
  | { kind: 'transfer'; from: number; to: number; amountMinor: number }
  | { kind: 'pot'; account: number; deposit: boolean; amountMinor: number };

const amount = fc.integer({ min: 1, max: 20_000 });
const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('authorise' as const), account: fc.nat(2), amountMinor: amount }),
  fc.record({ kind: fc.constant('cash' as const), account: fc.nat(2), amountMinor: amount }),
  fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat(), keepMinor: fc.nat(5_000) }),
  fc.record({ kind: fc.constant('clear' as const), pick: fc.nat(), deltaMinor: fc.integer({ min: -500, max: 2_000 }) }),
  fc.record({ kind: fc.constant('refund' as const), account: fc.nat(2), amountMinor: amount }),
  fc.record({ kind: fc.constant('credit' as const), account: fc.nat(2), amountMinor: amount }),
  fc.record({ kind: fc.constant('transfer' as const), from: fc.nat(2), to: fc.nat(2), amountMinor: amount }),
  fc.record({ kind: fc.constant('pot' as const), account: fc.nat(2), deposit: fc.boolean(), amountMinor: amount }),
);

interface ModelAccount {
  settled: number;
  held: number;
}

async function ledgerInvariants() {
  const unbalanced = await primary.db.query('select journal_id, sum(amount_minor) as total from postings group by journal_id having sum(amount_minor) <> 0');
  const total = await primary.db.query<{ total: string }>('select coalesce(sum(amount_minor), 0) as total from postings');
  const drift = await primary.db.query(`
    select a.id, a.settled_minor, coalesce(p.total, 0) as postings, a.held_minor, coalesce(h.total, 0) as holds
    from ledger_accounts a
    left join (select ledger_account_id, sum(amount_minor) as total from postings group by 1) p on p.ledger_account_id = a.id
    left join (select ledger_account_id, sum(amount_minor) as total from holds where status = 'open' group by 1) h on h.ledger_account_id = a.id
    where a.settled_minor <> coalesce(p.total, 0) or a.held_minor <> coalesce(h.total, 0)`);
  const overdrawn = await primary.db.query(
    "select id from ledger_accounts where kind <> 'internal' and settled_minor - held_minor + overdraft_limit_minor < 0 and not unapproved_overdraft",
  );
  return { unbalanced: unbalanced.rows, total: Number(total.rows[0]!.total), drift: drift.rows, overdrawn: overdrawn.rows };
}

test('property: any sequence of payments keeps every journal at zero, balances equal their postings, and no unflagged overdraft', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(commandArbitrary, { minLength: 5, maxLength: 25 }),
      fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 3, maxLength: 3 }),
      async (commands, fundings) => {
        const accounts = [];
        const model: ModelAccount[] = [];
        for (const funding of fundings) {
          const account = await primary.openAccount(1_000);
          if (funding > 0) await primary.fund(account, funding);
          const pot = (await primary.call('POST', `/accounts/${account.id}/pots`, { token: account.token, body: { name: 'Savings' } })).body as { id: string };
          accounts.push({ account, card: await primary.issueCard(account.id, 15_000), pot });
          model.push({ settled: funding, held: 0 });
        }
        const approved: { request: ReturnType<typeof authorisation>; account: number; outstanding: number; state: 'held' | 'done' }[] = [];

        for (const command of commands) {
          if (command.kind === 'authorise' || command.kind === 'cash') {
            const { card } = accounts[command.account]!;
            const cash = command.kind === 'cash';
            const request = authorisation(card, command.amountMinor, cash ? { mti: '0200', processingCode: '010000' } : {});
            const response = await primary.call('POST', '/scheme/card/authorisations', { body: request });
            if (response.body.responseCode !== '00') continue;
            if (cash) model[command.account]!.settled -= command.amountMinor;
            else {
              model[command.account]!.held += command.amountMinor;
              approved.push({ request, account: command.account, outstanding: command.amountMinor, state: 'held' });
            }
          } else if (command.kind === 'reverse' || command.kind === 'clear') {
            const open = approved.filter((auth) => auth.state === 'held');
            const target = open[command.pick % Math.max(open.length, 1)];
            if (!target) continue;
            const original = { stan: target.request.stan, rrn: target.request.rrn, terminalId: target.request.terminalId };
            if (command.kind === 'reverse') {
              const keep = Math.min(command.keepMinor, target.outstanding - 1);
              const body = {
                mti: '0400',
                pan: target.request.pan,
                original,
                amountMinor: target.outstanding,
                ...(keep > 0 ? { replacementAmountMinor: keep } : {}),
                currency: 'GBP',
                transmittedAt: '2026-11-21T12:00:00Z',
                ...messageKey(),
              };
              await primary.call('POST', '/scheme/card/reversals', { body });
              model[target.account]!.held -= target.outstanding - keep;
              target.outstanding = keep;
              if (keep === 0) target.state = 'done';
            } else {
              const cleared = Math.max(1, target.outstanding + command.deltaMinor);
              const body = {
                clearingId: `CLR-${target.request.rrn}`,
                pan: target.request.pan,
                original,
                processingCode: '000000',
                amountMinor: cleared,
                currency: 'GBP',
                merchant: target.request.merchant,
                clearedAt: '2026-11-22T00:00:00Z',
              };
              await primary.call('POST', '/scheme/card/clearings', { body });
              model[target.account]!.held -= target.outstanding;
              model[target.account]!.settled -= cleared;
              target.state = 'done';
            }
          } else if (command.kind === 'refund') {
            const { card } = accounts[command.account]!;
            const body = {
              clearingId: `CLR-R-${messageKey().rrn}`,
              pan: card.pan,
              processingCode: '200000',
              amountMinor: command.amountMinor,
              currency: 'GBP',
              merchant: { name: 'SHOP', categoryCode: '5411', city: 'Leeds', country: 'GB' },
              clearedAt: '2026-11-22T00:00:00Z',
            };
            await primary.call('POST', '/scheme/card/clearings', { body });
            model[command.account]!.settled += command.amountMinor;
          } else if (command.kind === 'transfer') {
            if (command.from === command.to) continue;
            const from = accounts[command.from]!.account;
            const to = accounts[command.to]!.account;
            const body = { amountMinor: command.amountMinor, creditor: { sortCode: to.sortCode, accountNumber: to.accountNumber, name: 'Friend' } };
            const response = await primary.call('POST', `/accounts/${from.id}/transfers`, { token: from.token, idempotencyKey: randomUUID(), body });
            if (response.status !== 201) continue;
            model[command.from]!.settled -= command.amountMinor;
            model[command.to]!.settled += command.amountMinor;
          } else if (command.kind === 'pot') {
            const { account, pot } = accounts[command.account]!;
            const direction = command.deposit ? 'deposit' : 'withdraw';
            const response = await primary.call('POST', `/accounts/${account.id}/pots/${pot.id}/${direction}`, {
              token: account.token,
              idempotencyKey: randomUUID(),
              body: { amountMinor: command.amountMinor },
            });
            if (response.status !== 200) continue;
            model[command.account]!.settled += command.deposit ? -command.amountMinor : command.amountMinor;
          } else {
            await primary.fund(accounts[command.account]!.account, command.amountMinor);
            model[command.account]!.settled += command.amountMinor;
          }
        }

        const invariants = await ledgerInvariants();
        expect(invariants).toEqual({ unbalanced: [], total: 0, drift: [], overdrawn: [] });
        for (const [index, { account }] of accounts.entries()) {
          expect(await primary.balance(account.id)).toMatchObject({ settledMinor: model[index]!.settled, heldMinor: model[index]!.held });
        }
      },
    ),
    { numRuns: 30 },
  );
}, 240_000);

test('the database itself refuses a journal that does not sum to zero, and any change to a posting', async () => {
  const account = await primary.openAccount();
  const client = await primary.db.connect();
  try {
    await client.query('begin');
    await client.query("insert into journals (id, kind, description, created_at) values ('00000000-0000-4000-8000-000000000001', 'test', 'unbalanced', now())");
    await client.query(
      "insert into postings (journal_id, ledger_account_id, amount_minor) values ('00000000-0000-4000-8000-000000000001', $1, 100), ('00000000-0000-4000-8000-000000000001', 'internal:card-scheme', -99)",
      [account.id],
    );
    await expect(client.query('commit')).rejects.toThrow(/does not balance/);
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
  await primary.fund(account, 100);
  await expect(primary.db.query('update postings set amount_minor = 1 where ledger_account_id = $1', [account.id])).rejects.toThrow(/append-only/);
  await expect(primary.db.query('delete from postings where ledger_account_id = $1', [account.id])).rejects.toThrow(/append-only/);
});
