import type { Logger } from 'pino';
import type { AppliedBatch, AppliedMessage } from './apply-batch';
import { EVENT_OUTCOMES, type EventOutcome, type SyncerMetrics } from './metrics';

export type OutcomeCounts = Record<EventOutcome, number> & { gaps: number };

export function emptyCounts(): OutcomeCounts {
  return { applied: 0, recorded: 0, duplicate: 0, invalid: 0, unapplicable: 0, gaps: 0 };
}

export function addCounts(total: OutcomeCounts, more: OutcomeCounts): OutcomeCounts {
  const sum = emptyCounts();
  for (const outcome of EVENT_OUTCOMES) sum[outcome] = total[outcome] + more[outcome];
  sum.gaps = total.gaps + more.gaps;
  return sum;
}

/** Where a message was and which event it is, for a log line: identifiers only, never a payload. */
function whereabouts(message: AppliedMessage) {
  return {
    partition: message.partition,
    offset: message.offset,
    ...(message.header
      ? { accountId: message.header.accountId, sequence: message.header.sequence, eventId: message.header.eventId, type: message.header.type }
      : {}),
  };
}

/**
 * Logs what needs an operator (gaps, skipped and conflicting events) and counts every outcome.
 * Called after the commit, so a batch that is rolled back and redelivered is not reported twice.
 */
export function reportAppliedBatch(logger: Logger, metrics: SyncerMetrics | undefined, batch: AppliedBatch): OutcomeCounts {
  const counts = emptyCounts();
  for (const message of batch.messages) {
    counts[message.outcome] += 1;
    if (message.gap) {
      counts.gaps += 1;
      logger.error(
        { ...whereabouts(message), expectedSequence: message.gap.expected, receivedSequence: message.gap.received },
        `sequence gap: account ${message.gap.accountId} expected ${message.gap.expected}, received ${message.gap.received}; applied anyway, recorded in sync_gaps`,
      );
    }
    if (message.outcome === 'invalid') logger.error({ ...whereabouts(message), problem: message.problem }, 'skipped an invalid event from primary');
    if (message.outcome === 'unapplicable')
      logger.error({ ...whereabouts(message), problem: message.problem }, 'skipped an event stand-in cannot apply yet; replay once the cause is fixed');
    if (message.outcome === 'duplicate' && message.problem)
      logger.error({ ...whereabouts(message), problem: message.problem }, 'conflicting event from primary: kept the one already synced');
  }
  if (metrics) {
    for (const outcome of EVENT_OUTCOMES) if (counts[outcome] > 0) metrics.events.inc({ outcome }, counts[outcome]);
    if (counts.gaps > 0) metrics.gapsDetected.inc(counts.gaps);
    metrics.batchDuration.observe(batch.durationMs / 1000);
  }
  return counts;
}
