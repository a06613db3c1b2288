import { CREDENTIALS, startPrimary, type TestPrimary } from './harness';

// Opening an account lends nothing; an arranged overdraft is an operator's approved change,
// audited with the operator's name from their credential, announced to stand-in like any balance.

const CREDIT_OFFICER = { name: 'credit-officer', token: 'credit-officer-token' };

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary({ operators: [CREDIT_OFFICER] });
});
afterAll(() => primary?.close());

const arrange = (accountId: string, body: object, token: string | null = CREDIT_OFFICER.token) =>
  primary.call('POST', `/internal/accounts/${accountId}/arranged-overdraft`, { token, body });

test('when an account is opened asking for an overdraft, then it is refused (400) and nothing is opened', async () => {
  const count = async () => Number((await primary.db.query<{ n: string }>('select count(*) as n from accounts')).rows[0]!.n);
  const before = await count();
  const response = await primary.call('POST', '/accounts', { body: { holderName: 'Eager Borrower', overdraftLimitMinor: 100_000 } });
  expect(response.status).toBe(400);
  expect(response.body.error.issues).toEqual([
    expect.objectContaining({ path: 'overdraftLimitMinor', message: expect.stringContaining('arranged-overdraft') }),
  ]);
  expect(await count()).toBe(before);
});

test('when an operator arranges an overdraft, then it can be spent, stand-in is told, and the audit names the operator from the credential', async () => {
  const account = await primary.openAccount();
  const events = async () =>
    Number((await primary.db.query<{ n: string }>('select count(*) as n from outbox_events where account_id = $1', [account.id])).rows[0]!.n);
  const eventsBefore = await events();
  const response = await arrange(account.id, { limitMinor: 50_000, reason: 'INC-1: approved by credit' });
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ accountId: account.id, previousLimitMinor: 0, limitMinor: 50_000, approvedBy: CREDIT_OFFICER.name });
  expect(response.body.balance).toMatchObject({ overdraftLimitMinor: 50_000, availableMinor: 50_000 });
  // The balance event stand-in lends by, in the same transaction.
  const { rows } = await primary.db.query<{ event: { type: string; payload: { overdraftLimitMinor: number } } }>(
    'select event from outbox_events where account_id = $1 order by sequence desc limit 1',
    [account.id],
  );
  expect(rows[0]!.event).toMatchObject({ type: 'balance.changed', payload: { overdraftLimitMinor: 50_000 } });
  expect(await events()).toBe(eventsBefore + 1);

  await arrange(account.id, { limitMinor: 0, reason: 'INC-2: withdrawn' });
  const history = await primary.call('GET', `/internal/accounts/${account.id}/arranged-overdraft`, { token: CREDIT_OFFICER.token });
  expect(history.body.changes).toMatchObject([
    { previousLimitMinor: 50_000, limitMinor: 0, approvedBy: CREDIT_OFFICER.name, reason: 'INC-2: withdrawn' },
    { previousLimitMinor: 0, limitMinor: 50_000, approvedBy: CREDIT_OFFICER.name, reason: 'INC-1: approved by credit' },
  ]);
});

test('when the body claims who approved it, then it is refused: the name comes from the credential only', async () => {
  const account = await primary.openAccount();
  const response = await arrange(account.id, { limitMinor: 1_000, reason: 'x', approvedBy: 'someone-else' });
  expect(response.status).toBe(400);
  expect((await primary.balance(account.id)).overdraftLimitMinor).toBe(0);
});

test('when anyone but an operator arranges an overdraft, then it is refused and nothing changes', async () => {
  const account = await primary.openAccount();
  for (const token of [account.token, CREDENTIALS.onboarding, CREDENTIALS['card-manufacturer'], CREDENTIALS['advice-consumer'], CREDENTIALS.gateway])
    expect((await arrange(account.id, { limitMinor: 1_000, reason: 'self-service' }, token)).status).toBe(403);
  expect((await arrange(account.id, { limitMinor: 1_000, reason: 'nobody' }, null)).status).toBe(401);
  expect((await primary.balance(account.id)).overdraftLimitMinor).toBe(0);
});

test('when the account does not exist or the limit is above the cap, then 404 and 400', async () => {
  expect((await arrange('7d8a3f0e-0000-4000-8000-000000000001', { limitMinor: 1_000, reason: 'ghost' })).status).toBe(404);
  const account = await primary.openAccount();
  expect((await arrange(account.id, { limitMinor: 1_000_001, reason: 'too much' })).status).toBe(400);
});
