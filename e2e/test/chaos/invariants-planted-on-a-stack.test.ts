import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { INITIAL_CONFIGURATION } from '@bank/shared-contracts';
import { checkBalancesAgree } from '../../src/chaos/invariants/balances-agree';
import { checkChangesDelivered } from '../../src/chaos/invariants/changes-delivered';
import { checkConfigurationConverged } from '../../src/chaos/invariants/configuration-converged';
import { checkFrozenCardsDeclined } from '../../src/chaos/invariants/frozen-cards-declined';
import type { Exchange } from '../../src/simulator/ground-truth';
import type { SimulatedCustomer } from '../../src/simulator/simulated-customer';
import { OPERATOR } from '../../src/stack/services';
import { openCustomer } from '../support/customers';
import { eventually, http, startStack, type Stack } from '../support/stack';

// The invariants that read the running platforms (3, 4, 5, 6) must be able to fail too: each
// violation is planted in a real database of a running system, and the checker must see it with
// its evidence. (Invariants 1, 2, 7 and 8 are shown to fail in invariant-checker.test.ts.)

let stack: Stack;
let primaryDb: Pool;
let standinDb: Pool;
let customer: SimulatedCustomer;

beforeAll(async () => {
  stack = await startStack();
  primaryDb = new Pool({ connectionString: stack.databases.primary, max: 2 });
  standinDb = new Pool({ connectionString: stack.databases.standin, max: 2 });
  const opened = await openCustomer(stack, 10_000, 'Planted Customer');
  customer = {
    accountId: opened.id,
    customerId: opened.customerId,
    token: opened.token,
    sortCode: opened.sortCode,
    accountNumber: opened.accountNumber,
    holderName: 'Planted Customer',
    card: opened.card,
    fundedMinor: 10_000,
  };
  await eventually(
    "stand-in to see the customer's money",
    async () =>
      (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${opened.id}`, { token: opened.token })).body.balance
        .spendableMinor,
    (value) => value === 10_000,
    120_000,
  );
}, 240_000);

afterAll(async () => {
  await primaryDb?.end();
  await standinDb?.end();
  await stack?.stop();
});

const context = () => ({
  primaryDb,
  standinDb,
  urls: stack.urls,
  adviceConsumerUrl: stack.adviceConsumer.url,
  operatorToken: OPERATOR.token,
  customers: [customer],
});

test("when stand-in's copy of a balance is one penny off, then invariant 3 fails naming the account and both values", async () => {
  expect((await checkBalancesAgree(context())).passed).toBe(true);
  const { rows } = await standinDb.query<{ sequence: number; settled_minor: string; held_minor: string; overdraft_limit_minor: string }>(
    'select sequence, settled_minor, held_minor, overdraft_limit_minor from synced_balances where account_id = $1 order by sequence desc limit 1',
    [customer.accountId],
  );
  const newest = rows[0]!;
  await standinDb.query('insert into synced_balances (account_id, sequence, settled_minor, held_minor, overdraft_limit_minor) values ($1, $2, $3, $4, $5)', [
    customer.accountId,
    newest.sequence + 1_000,
    Number(newest.settled_minor) + 1,
    newest.held_minor,
    newest.overdraft_limit_minor,
  ]);

  const result = await checkBalancesAgree(context());
  expect(result.passed).toBe(false);
  expect(result.evidence.differing).toMatchObject({
    count: 1,
    first: [{ accountId: customer.accountId, primaryAvailableMinor: 10_000, standinSpendableMinor: 10_001 }],
  });
});

test("when an advice in stand-in's log was never applied by primary, then invariant 4 fails naming it", async () => {
  // Recorded as published, so the relay leaves it alone: as if Pub/Sub had lost it.
  const { rows } = await standinDb.query<{ next: number }>('select coalesce(max(sequence), 0) + 1 as next from advices where account_id = $1', [
    customer.accountId,
  ]);
  const sequence = rows[0]!.next;
  const advice = {
    adviceId: randomUUID(),
    type: 'card.frozen',
    accountId: customer.accountId,
    sequence,
    correlationId: randomUUID(),
    createdAt: new Date().toISOString(),
    payload: { cardId: customer.card.id, requestedBy: 'customer' },
  };
  await standinDb.query(
    'insert into advices (advice_id, account_id, sequence, correlation_id, type, advice, created_at, published_at) values ($1, $2, $3, $4, $5, $6, now(), now())',
    [advice.adviceId, advice.accountId, sequence, advice.correlationId, advice.type, advice],
  );

  const result = await checkChangesDelivered(context());
  expect(result.passed).toBe(false);
  expect(JSON.stringify(result.evidence)).toContain(customer.accountId);
});

test('when the two configuration services hold different documents at the same version, then invariant 5 fails showing both, until stand-in settles the split with a new version', async () => {
  expect((await checkConfigurationConverged(context())).passed).toBe(true);
  const current = (await http<{ version: number }>('GET', `${stack.primary.url}/configuration`, { token: OPERATOR.token })).body;
  const version = current.version + 1;
  const document = (reason: string) => ({ ...INITIAL_CONFIGURATION, version, updatedAt: new Date().toISOString(), updatedBy: 'planted', reason });
  // Stand-in settles a split within a peer-sync tick (a new version with its own document); its
  // configuration writers' lock, held here, keeps the split in place while the checker looks.
  const writersLock = await standinDb.connect();
  try {
    await writersLock.query("select pg_advisory_lock(hashtext('standin-configuration'))");
    // The same version with different content on each side: a change on each side of a partition.
    await primaryDb.query(
      "insert into configuration_versions (version, document, source, recorded_by, recorded_at) values ($1, $2, 'change', 'planted', now())",
      [version, document('planted in primary')],
    );
    await standinDb.query("insert into configuration_versions (version, document, source, recorded_by) values ($1, $2, 'change', 'planted')", [
      version,
      document('planted in stand-in'),
    ]);

    const result = await eventually(
      'both platforms to serve the planted version',
      () => checkConfigurationConverged(context()),
      (found) => (found.evidence.primary as { version?: number }).version === version && (found.evidence.standin as { version?: number }).version === version,
      30_000,
    );
    expect(result.passed).toBe(false);
    expect(result.summary).toContain('different documents');
  } finally {
    await writersLock.query("select pg_advisory_unlock(hashtext('standin-configuration'))");
    writersLock.release();
  }
  // Released: stand-in's document stands, as the next version, and primary adopts it.
  const settled = await eventually(
    'the split settled',
    () => checkConfigurationConverged(context()),
    (found) => found.passed,
    30_000,
  );
  expect(settled.evidence.primary).toMatchObject({ version: version + 1, updatedBy: 'standin:split-settlement' });
  expect((settled.evidence.primary as { reason: string }).reason).toContain(
    `stand-in's "planted in stand-in" by planted stands; primary's "planted in primary" by planted is dropped`,
  );
});

test('when a card the customer froze is still approved, then invariant 6 fails naming the card and who approved it', async () => {
  // The ground truth says the customer froze the card through primary; the platforms never heard of it.
  const freeze: Exchange = {
    seq: 1,
    kind: 'card-freeze',
    phase: 'before',
    via: 'primary',
    accountId: customer.accountId,
    cardId: customer.card.id,
    amountMinor: 0,
    sentAt: new Date(Date.now() - 60_000).toISOString(),
    sentAtMs: Date.now() - 60_000,
    elapsedMs: 20,
    deadlineMs: 2_000,
    timing: 'on-time',
    verdict: 'accepted',
    httpStatus: 200,
    attempt: 1,
  };

  const result = await checkFrozenCardsDeclined({ ...context(), exchanges: [freeze], frozenCards: [{ customer, exchange: freeze }] });
  expect(result.passed).toBe(false);
  expect(JSON.stringify(result.evidence)).toContain(customer.card.id);
  expect(JSON.stringify(result.evidence)).toContain('"responseCode":"00"');
});
