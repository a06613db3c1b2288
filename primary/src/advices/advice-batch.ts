import assert from 'node:assert/strict';
import type { AccountStatus, Advice, AdviceOutcome } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import type { PrimaryError } from '../platform/errors';
import type { Ledger } from '../ledger/ledger';

// A batch of stand-in's advices applied in one transaction: the backlog after an outage drains
// at the speed of the database, not of one commit (one fsync) and ~26 round trips per advice.
// The same rules as one advice at a time (advice-applier.ts): each exactly once, each account's
// in sequence, a refused one quarantined and the account's turn moved past it, a reused sequence
// a conflict. What changes is the cost: everything an advice's turn needs (the account's place
// in its sequence, whether the advice is known, its account and card) is read for the whole batch
// in one statement each, the records (applied, quarantined, the accounts' places) written in one
// statement each at the end, and the effects of all but a rare type applied by one call to a
// PL/pgSQL function (advices-function.ts), whose TypeScript twins stay the specification.
//
// Locks, always in the same order so batches sharing accounts (or primary's own card and
// transfer paths) never deadlock: the batch's accounts' advice_progress rows in account-id order,
// then the accounts' own ledger rows in ledger-id order, which is the order ledger.ts locks them
// in, then the internal rows (the card scheme's and Faster Payments' shards) the function posts to,
// in id order. (An effect left to TypeScript may lock another internal row later: two batches
// taking two in opposite orders is a deadlock PostgreSQL breaks, and the batch is tried again, as
// any transaction here.) A second batch with one of these accounts waits for the first to commit,
// then reads where the account's turn now is.
//
// A refused advice (a 4xx from its effect) must lose only its own effect. Savepoints give that,
// but each costs a round trip and a subtransaction per advice, for a refusal that almost never
// happens: a batch runs without them first; when an effect is refused, the whole transaction
// rolls back and the batch runs again with a savepoint around every effect, so only the refused
// one's is undone and it is quarantined. (An unknown account or card, the usual refusal, is
// found from the batch's reads before any effect runs, and needs neither.)

type Effect = (tx: Tx, advice: Advice) => Promise<{ forced: boolean; note?: string }>;

/** A turn taken: its effect is applied after every advice's turn is known. */
const IN_TURN = Symbol('in turn');
/** A conflict with a sequence taken before this batch: who holds it is read after the turns. */
const HELD_BEFORE_THIS_BATCH = '';
/** Advice types whose effect the database applies for a whole batch at once (advices-function.ts). */
const IN_DATABASE: ReadonlySet<Advice['type']> = new Set([
  'card_payment.approved',
  'cash.withdrawn',
  'card_payment.reversed',
  'card.frozen',
  'card.unfrozen',
  'transfer.sent',
  'transfer.received',
]);

/** The leading items of `items` that satisfy `test`. */
function takeWhile<T>(items: readonly T[], test: (item: T) => boolean): T[] {
  const end = items.findIndex((item) => !test(item));
  return items.slice(0, end < 0 ? items.length : end);
}

/** A refusal in the fast pass: the transaction rolls back and the batch runs again with savepoints. */
class RefusedWithoutSavepoint extends Error {}

const STATEMENTS = {
  // Rows for accounts never advised before, in id order (an insert waits on a concurrent one of the same key).
  newProgress: {
    name: 'advice_batch_new_progress_v1',
    text: 'insert into advice_progress (account_id, last_sequence) select id, 0 from unnest($1::uuid[]) as id order by id on conflict do nothing',
  },
  lockProgress: {
    name: 'advice_batch_lock_progress_v1',
    text: 'select account_id, last_sequence from advice_progress where account_id = any($1::uuid[]) order by account_id for update',
  },
  known: {
    name: 'advice_batch_known_v1',
    text: `select advice_id, null as reason from applied_advices where advice_id = any($1::uuid[])
           union all
           select advice_id, reason from quarantined_advices where advice_id = any($1::uuid[]) and redriven_at is null`,
  },
  accounts: { name: 'advice_batch_accounts_v1', text: 'select id, status from accounts where id = any($1::uuid[])' },
  cards: { name: 'advice_batch_cards_v1', text: 'select id, account_id from cards where id = any($1::uuid[])' },
  lockLedger: { name: 'advice_batch_lock_ledger_v1', text: 'select id from ledger_accounts where id = any($1::text[]) order by id for update' },
  lastEvent: { name: 'advice_batch_last_event_v1', text: 'select coalesce(max(id), 0) as last from outbox_events' },
  // Applied advices whose effect announced nothing for the account under their correlation id (see announcements below).
  unannounced: {
    name: 'advice_batch_unannounced_v1',
    text: `select a.i::int as index from unnest($2::uuid[], $3::text[]) with ordinality as a(account_id, correlation_id, i)
           where not exists (select 1 from outbox_events o where o.id > $1 and o.account_id = a.account_id and o.event->>'correlationId' = a.correlation_id)`,
  },
  recordApplied: {
    name: 'advice_batch_record_applied_v1',
    text: `insert into applied_advices (advice_id, account_id, sequence, type, correlation_id, forced_overdraft, applied_at, note)
           select * from unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::uuid[], $6::bool[], $7::timestamptz[], $8::text[])`,
  },
  recordQuarantined: {
    name: 'advice_batch_record_quarantined_v1',
    text: `insert into quarantined_advices (advice_id, account_id, sequence, type, advice, reason, quarantined_at)
           select * from unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::jsonb[], $6::text[], $7::timestamptz[])`,
  },
  moveTurns: {
    name: 'advice_batch_move_turns_v1',
    text: 'update advice_progress p set last_sequence = t.last from unnest($1::uuid[], $2::int[]) as t(account_id, last) where p.account_id = t.account_id',
  },
  inDatabase: { name: 'advice_batch_in_database_v1', text: 'select ord, forced, deferred, note from advice_apply_in_database($1::jsonb, $2)' },
  holder: {
    name: 'advice_batch_holder_v1',
    text: 'select advice_id from applied_advices where account_id = $1 and sequence = $2 union all select advice_id from quarantined_advices where account_id = $1 and sequence = $2',
  },
} as const;

export interface BatchOutcome {
  readonly adviceId: string;
  readonly result: AdviceOutcome;
}

export function createAdviceBatch(deps: {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  effect: Effect;
  announceForcedOverdraft: (tx: Tx, advice: Advice, accountStatus: AccountStatus) => Promise<void>;
  isRefusal: (error: unknown) => error is PrimaryError;
}) {
  const { db, clock, ledger, effect, announceForcedOverdraft, isRefusal } = deps;

  async function run(tx: Tx, advices: readonly Advice[], withSavepoints: boolean): Promise<BatchOutcome[]> {
    const accountIds = [...new Set(advices.map((advice) => advice.accountId))].sort();
    const adviceIds = advices.map((advice) => advice.adviceId);
    const cardIds = [...new Set(advices.flatMap((advice) => ('cardId' in advice.payload ? [advice.payload.cardId] : [])))];
    await tx.query({ ...STATEMENTS.newProgress, values: [accountIds] });
    const progress = await tx.query<{ account_id: string; last_sequence: number }>({ ...STATEMENTS.lockProgress, values: [accountIds] });
    const known = await tx.query<{ advice_id: string; reason: string | null }>({ ...STATEMENTS.known, values: [adviceIds] });
    const accounts = await tx.query<{ id: string; status: AccountStatus }>({ ...STATEMENTS.accounts, values: [accountIds] });
    const cards = cardIds.length ? (await tx.query<{ id: string; account_id: string }>({ ...STATEMENTS.cards, values: [cardIds] })).rows : [];
    const accountStatus = new Map(accounts.rows.map((row) => [row.id, row.status]));
    // Each known account's ledger row is its id; an unknown account has none (its advices are quarantined).
    await tx.query({ ...STATEMENTS.lockLedger, values: [[...accountStatus.keys()].sort()] });
    const lastEvent = (await tx.query<{ last: string }>(STATEMENTS.lastEvent)).rows[0]!.last;

    const last = new Map(progress.rows.map((row) => [row.account_id, row.last_sequence]));
    const startedAt = new Map(last);
    const applied = new Set(known.rows.filter((row) => row.reason === null).map((row) => row.advice_id));
    const setAside = new Map(known.rows.flatMap((row) => (row.reason === null ? [] : [[row.advice_id, row.reason] as const])));
    const cardAccount = new Map(cards.map((row) => [row.id, row.account_id]));
    // Sequences taken in this batch: a second advice on the same place is a conflict with the first.
    const takenHere = new Map<string, string>();
    // An account with an advice out of order: its later ones in the batch wait too.
    const blocked = new Map<string, number>();
    const seenHere = new Set<string>();

    const appliedRows: { advice: Advice; forced: boolean; note?: string }[] = [];
    const quarantinedRows: { advice: Advice; reason: string }[] = [];
    const now = clock.now();
    let savepoints = 0;

    // Whose turn first, for the whole batch (reads only); then the effects of the advices in their
    // turn. An unknown account or card is found from the batch's reads and quarantined at its turn.
    const turns = advices.map(turnOf);
    const outcomes: BatchOutcome[] = new Array<BatchOutcome>(advices.length);
    const inTurn = new Map<string, number[]>();
    for (const [index, turn] of turns.entries()) {
      const { adviceId, accountId, sequence } = advices[index]!;
      if (turn === IN_TURN) inTurn.set(accountId, [...(inTurn.get(accountId) ?? []), index]);
      else if (turn.outcome === 'conflict' && turn.heldBy === HELD_BEFORE_THIS_BATCH) {
        const holder = (await tx.query<{ advice_id: string }>({ ...STATEMENTS.holder, values: [accountId, sequence] })).rows[0]?.advice_id;
        outcomes[index] = { adviceId, result: { ...turn, heldBy: holder ?? 'unknown' } };
      } else outcomes[index] = { adviceId, result: turn };
    }

    await applyInOrder([...inTurn.values()]);

    /**
     * Each account's advices in order, in rounds: in each, every account's next run of advices the database applies
     * goes to it in one call (advices-function.ts), then every account's next run of
     * other advices (or those the function left) through the TypeScript effects. Accounts are
     * independent of one another, so only each one's own order matters.
     */
    async function applyInOrder(accountsInTurn: number[][]): Promise<void> {
      let pending = accountsInTurn.filter((indexes) => indexes.length > 0);
      for (let round = 0; pending.length > 0; round++) {
        assert.ok(round <= advices.length, 'each round applies at least one advice of every pending account');
        const inDatabase = pending.map((indexes) => takeWhile(indexes, (index) => IN_DATABASE.has(advices[index]!.type)));
        const leftToTypeScript = await advicesInDatabase(inDatabase.flat());
        pending = pending.map((indexes, at) => indexes.slice(inDatabase[at]!.length));
        const inTypeScript = pending.map((indexes) => takeWhile(indexes, (index) => !IN_DATABASE.has(advices[index]!.type)));
        for (const index of [...leftToTypeScript, ...inTypeScript.flat()])
          outcomes[index] = { adviceId: advices[index]!.adviceId, result: recorded(advices[index]!, await effectOf(advices[index]!)) };
        pending = pending.map((indexes, at) => indexes.slice(inTypeScript[at]!.length)).filter((indexes) => indexes.length > 0);
      }
    }

    /** Applies these advices (each account's in order) in one round trip; returns those it left to TypeScript, in order. */
    async function advicesInDatabase(indexes: number[]): Promise<number[]> {
      if (!indexes.length) return [];
      const { rows } = await tx.query<{ ord: number; forced: boolean; deferred: boolean; note: string | null }>({
        ...STATEMENTS.inDatabase,
        values: [JSON.stringify(indexes.map((index) => advices[index])), now],
      });
      assert.equal(rows.length, indexes.length, 'one row per advice');
      const deferred: number[] = [];
      for (const row of rows) {
        const index = indexes[row.ord - 1]!;
        if (row.deferred) deferred.push(index);
        else
          outcomes[index] = {
            adviceId: advices[index]!.adviceId,
            result: recorded(advices[index]!, row.note === null ? { forced: row.forced } : { forced: row.forced, note: row.note }),
          };
      }
      return deferred;
    }

    /** The outcome of an advice whose effect ran (or was refused), and its record to write. */
    function recorded(advice: Advice, done: { forced: boolean; note?: string } | { refused: string }): AdviceOutcome {
      if ('refused' in done) {
        quarantinedRows.push({ advice, reason: done.refused });
        return { outcome: 'quarantined', reason: done.refused };
      }
      appliedRows.push({ advice, ...done });
      return done.note ? { outcome: 'applied', forcedOverdraft: done.forced, note: done.note } : { outcome: 'applied', forcedOverdraft: done.forced };
    }

    function turnOf(advice: Advice): AdviceOutcome | typeof IN_TURN {
      const { adviceId, accountId, sequence } = advice;
      if (applied.has(adviceId) || seenHere.has(adviceId)) return { outcome: 'duplicate' };
      seenHere.add(adviceId);
      const reason = setAside.get(adviceId);
      if (reason !== undefined) return { outcome: 'quarantined', reason };
      const expected = blocked.get(accountId);
      if (expected !== undefined) return { outcome: 'out_of_order', expectedSequence: expected };
      const lastSequence = last.get(accountId)!;
      if (sequence <= lastSequence) {
        const heldHere = sequence > startedAt.get(accountId)! ? takenHere.get(`${accountId}/${sequence}`) : undefined;
        return { outcome: 'conflict', sequence, heldBy: heldHere ?? HELD_BEFORE_THIS_BATCH };
      }
      if (sequence > lastSequence + 1) {
        blocked.set(accountId, lastSequence + 1);
        return { outcome: 'out_of_order', expectedSequence: lastSequence + 1 };
      }
      // Its turn: applied or quarantined, the account moves past it either way.
      last.set(accountId, sequence);
      takenHere.set(`${accountId}/${sequence}`, adviceId);
      const refused = notApplicable(advice);
      if (refused === undefined) return IN_TURN;
      quarantinedRows.push({ advice, reason: refused });
      return { outcome: 'quarantined', reason: refused };
    }

    /** Why primary cannot apply it, from the batch's reads; undefined when it can. */
    function notApplicable(advice: Advice): string | undefined {
      if (!accountStatus.has(advice.accountId)) return `this advice cannot be applied: account ${advice.accountId} is unknown to primary`;
      if ('cardId' in advice.payload && cardAccount.get(advice.payload.cardId) !== advice.accountId)
        return `this advice cannot be applied: card ${advice.payload.cardId} is not a card of account ${advice.accountId}`;
      return undefined;
    }

    /** The advice's effect, or why primary refused it (only with savepoints: without, a refusal starts the batch again). */
    async function effectOf(advice: Advice): Promise<{ forced: boolean; note?: string } | { refused: string }> {
      if (!withSavepoints) {
        try {
          return await effect(tx, advice);
        } catch (error) {
          if (isRefusal(error)) throw new RefusedWithoutSavepoint(error.message);
          throw error;
        }
      }
      const savepoint = `advice_${++savepoints}`;
      await tx.query(`savepoint ${savepoint}`);
      try {
        const done = await effect(tx, advice);
        await tx.query(`release savepoint ${savepoint}`);
        return done;
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await tx.query(`rollback to savepoint ${savepoint}`);
        return { refused: error.message };
      }
    }

    // Stand-in counts its own record of an effect until an event with the advice's correlation id
    // reaches it; an advice that moved nothing here would leave it counted for ever, so its
    // account's balance is announced under its id. Which ones: one statement for the batch, over
    // the events this transaction appended (ids past the last one before it, of the batch's
    // accounts, which no one else can write to while they are locked).
    if (appliedRows.length) {
      const { rows } = await tx.query<{ index: number }>({
        ...STATEMENTS.unannounced,
        values: [lastEvent, appliedRows.map((row) => row.advice.accountId), appliedRows.map((row) => row.advice.correlationId)],
      });
      for (const { index } of rows) {
        const { advice } = appliedRows[index - 1]!;
        await ledger.announceBalance(tx, advice.accountId, advice.correlationId);
      }
      for (const { advice, forced } of appliedRows) if (forced) await announceForcedOverdraft(tx, advice, accountStatus.get(advice.accountId) ?? 'open');
      await tx.query({
        ...STATEMENTS.recordApplied,
        values: [
          appliedRows.map((row) => row.advice.adviceId),
          appliedRows.map((row) => row.advice.accountId),
          appliedRows.map((row) => row.advice.sequence),
          appliedRows.map((row) => row.advice.type),
          appliedRows.map((row) => row.advice.correlationId),
          appliedRows.map((row) => row.forced),
          appliedRows.map(() => now),
          appliedRows.map((row) => row.note ?? null),
        ],
      });
    }
    if (quarantinedRows.length)
      await tx.query({
        ...STATEMENTS.recordQuarantined,
        values: [
          quarantinedRows.map((row) => row.advice.adviceId),
          quarantinedRows.map((row) => row.advice.accountId),
          quarantinedRows.map((row) => row.advice.sequence),
          quarantinedRows.map((row) => row.advice.type),
          quarantinedRows.map((row) => JSON.stringify(row.advice)),
          quarantinedRows.map((row) => row.reason),
          quarantinedRows.map(() => now),
        ],
      });
    const moved = [...last].filter(([accountId, sequence]) => startedAt.get(accountId) !== sequence);
    if (moved.length) await tx.query({ ...STATEMENTS.moveTurns, values: [moved.map(([accountId]) => accountId), moved.map(([, sequence]) => sequence)] });
    return outcomes;
  }

  return {
    /** Applies `advices` (each account's in its delivery order) in one transaction; one outcome per advice, in their order. */
    async apply(advices: readonly Advice[]): Promise<BatchOutcome[]> {
      try {
        return await withTransaction(db, (tx) => run(tx, advices, false));
      } catch (error) {
        if (!(error instanceof RefusedWithoutSavepoint)) throw error;
      }
      return withTransaction(db, (tx) => run(tx, advices, true));
    },
  };
}
