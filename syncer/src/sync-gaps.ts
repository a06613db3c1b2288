import type { Database, Session } from '@bank/standin';

export interface SequenceGap {
  readonly accountId: string;
  readonly expected: number;
  readonly received: number;
}

/**
 * The highest synced sequence per account, read once per transaction and then kept up to date
 * in memory: an account usually has many events in one batch.
 */
export class SyncedSequences {
  private readonly highest = new Map<string, number>();

  constructor(private readonly session: Session) {}

  async highestFor(accountId: string): Promise<number> {
    const known = this.highest.get(accountId);
    if (known !== undefined) return known;
    const { rows } = await this.session.query<{ highest: number }>('select coalesce(max(sequence), 0) as highest from synced_events where account_id = $1', [
      accountId,
    ]);
    const highest = rows[0]?.highest ?? 0;
    this.highest.set(accountId, highest);
    return highest;
  }

  /** Call before recording the event: the gap it would reveal if it turns out to be new. */
  async gapBefore(accountId: string, sequence: number): Promise<SequenceGap | undefined> {
    const highest = await this.highestFor(accountId);
    return sequence > highest + 1 ? { accountId, expected: highest + 1, received: sequence } : undefined;
  }

  /** Call once the event is recorded (a gap filled later leaves the highest where it was). */
  noteRecorded(accountId: string, sequence: number): void {
    this.highest.set(accountId, Math.max(this.highest.get(accountId) ?? 0, sequence));
  }
}

export async function recordGap(session: Session, gap: SequenceGap): Promise<void> {
  await session.query('insert into sync_gaps (account_id, expected_sequence, received_sequence) values ($1, $2, $3)', [
    gap.accountId,
    gap.expected,
    gap.received,
  ]);
}

/** Gaps whose missing sequences have not all arrived since: history stand-in really lacks. */
export async function countUnfilledGaps(database: Database): Promise<number> {
  const { rows } = await database.query<{ count: number }>(
    `select count(*)::int as count from sync_gaps gap
     where exists (
       select 1 from generate_series(gap.expected_sequence, gap.received_sequence - 1) missing(sequence)
       where not exists (select 1 from synced_events e where e.account_id = gap.account_id and e.sequence = missing.sequence)
     )`,
  );
  return rows[0]?.count ?? 0;
}
