import { createInfra } from '@bank/infra';
import { DEFAULT_CARD_BUDGET_MS } from '../src/card-processor/card-budget';
import { authorisation, startPrimary, type TestPrimary } from './harness';

// Issue 15: the card budget is enforced in the database. With primary's real PostgreSQL paused
// (SIGSTOP) the network hears 91 within the budget, and when the database resumes the
// authorisations it was sent roll back at their deadline instead of approving what the network
// already took as declined: nothing is held, nothing recorded, nothing needs reversing.

let primary: TestPrimary;
beforeAll(async () => {
  primary = await startPrimary();
});
afterAll(() => primary.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every query the pool sent has been answered: the paused work has finished, one way or the other. */
async function poolQuiet(limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (primary.db.waitingCount === 0 && primary.db.idleCount === primary.db.totalCount) return;
    await sleep(25);
  }
  throw new Error(`primary's pool still busy after ${limitMs} ms`);
}

test("when primary's PostgreSQL is paused, then card authorisations are answered 91 within the budget, and after it resumes none of them is approved", async () => {
  const infra = createInfra();
  const account = await primary.openAccount();
  await primary.fund(account, 50_000);
  const card = await primary.issueCard(account.id);
  // Warm: the prepared statement exists, connections are open.
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(card, 100) })).body.responseCode).toBe('00');
  const before = await primary.balance(account.id);

  const messages = Array.from({ length: 6 }, () => authorisation(card, 1_000));
  infra.pause('pg-primary');
  let answers: { body: { responseCode: string }; elapsedMs: number }[];
  try {
    answers = await Promise.all(
      messages.map(async (message) => {
        const started = performance.now();
        const answer = await primary.call('POST', '/scheme/card/authorisations', { body: message });
        return { body: answer.body as { responseCode: string }, elapsedMs: performance.now() - started };
      }),
    );
    // Still paused past every deadline: what resumes must see its deadline gone.
    await sleep(300);
  } finally {
    infra.resume('pg-primary');
  }

  for (const answer of answers) {
    expect(answer.body.responseCode).toBe('91');
    expect(answer.elapsedMs).toBeLessThan(DEFAULT_CARD_BUDGET_MS + 300);
  }
  await poolQuiet();
  // The ledger after resume: nothing held or posted for them, no decision stored, nothing for the late-approval reversals to do.
  expect(await primary.balance(account.id)).toEqual(before);
  for (const message of messages) expect(await primary.services.cardProcessor.storedAnswer(message)).toBeUndefined();
  const { rows } = await primary.db.query<{ count: string }>('select count(*) from card_authorisations where card_id = $1', [card.id]);
  expect(rows[0]!.count).toBe('1');
  // And primary decides again once its database answers.
  expect((await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(card, 100) })).body.responseCode).toBe('00');
}, 60_000);
