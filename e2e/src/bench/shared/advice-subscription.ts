import type { ServiceProcess } from '../../stack/service-process';
import { pollUntil, type BenchStack } from './bench-stack';

// Every advice consumer pulls the one shared Pub/Sub subscription (`primary.advice-consumer`; the
// consumer cannot be given another), so what one run leaves there, the next run's consumer gets:
// advices the re-drive loop already applied from stand-in's log (their Pub/Sub copies are still
// undelivered), and finished runs' advices for accounts the next run's primary does not know
// (dead-lettered one by one, and each dead letter is kept by the emulator in the unread dead-letter
// subscription: enough of them exhaust its 256 MiB heap). A drain measured on top of that backlog
// measures the backlog. Hence:
// a benchmark's clean-up waits until its consumer has gone quiet, and advice-drain clears what
// others left before it builds its own backlog.

export interface ConsumerCounters {
  /** Messages handled, by outcome (applied, duplicate, out_of_order, rejected, dead_lettered, retry). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Advices applied from stand-in's log because Pub/Sub had not delivered them. */
  readonly redriven: number | null;
}

export async function readConsumerCounters(consumer: ServiceProcess): Promise<ConsumerCounters> {
  const response = await fetch(`${consumer.url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`advice consumer /metrics answered ${response.status}`);
  const outcomes: Record<string, number> = {};
  let redriven: number | null = null;
  for (const line of (await response.text()).split('\n')) {
    const outcome = /^advice_consumer_outcomes_total\{outcome="([^"]+)"\} (\S+)$/.exec(line);
    if (outcome) outcomes[outcome[1] as string] = Number(outcome[2]);
    else if (line.startsWith('advice_consumer_redriven_total ')) redriven = Number(line.slice('advice_consumer_redriven_total '.length));
  }
  return { outcomes, redriven };
}

/**
 * Long enough to outlast the emulator's ack deadline (10 s by default): a message leased to a
 * consumer that died comes back only after it, so a shorter quiet could miss the last of them.
 */
export const QUIET_MS = 12_000;

export interface ConsumerQuiet {
  readonly quiet: boolean;
  readonly waitedMs: number;
  /** Messages the consumer handled while it was watched (every outcome, redeliveries included). */
  readonly messagesHandled: number;
  readonly outcomes: Readonly<Record<string, number>>;
}

/** Messages behind the outcome counters: a refused advice counts as `rejected` and again as `dead_lettered`. */
const total = (outcomes: Readonly<Record<string, number>>) => Object.values(outcomes).reduce((sum, count) => sum + count, 0) - (outcomes.rejected ?? 0);

/** Waits until the consumer has handled no message for QUIET_MS: the subscription has nothing left for it. */
export async function waitForConsumerQuiet(consumer: ServiceProcess, timeoutMs: number): Promise<ConsumerQuiet> {
  const first = await readConsumerCounters(consumer);
  let last = first;
  let changedAt = Date.now();
  const { done, waitedMs } = await pollUntil(
    async () => {
      const now = await readConsumerCounters(consumer);
      if (total(now.outcomes) !== total(last.outcomes)) changedAt = Date.now();
      last = now;
      return Date.now() - changedAt >= QUIET_MS;
    },
    timeoutMs,
    1_000,
  );
  const outcomes = Object.fromEntries(Object.entries(last.outcomes).map(([outcome, count]) => [outcome, count - (first.outcomes[outcome] ?? 0)]));
  return { quiet: done, waitedMs, messagesHandled: total(last.outcomes) - total(first.outcomes), outcomes };
}

/**
 * Runs an advice consumer until the shared subscription has nothing left for it, then stops it:
 * what earlier runs left there is handled (applied, or dead-lettered as unknown to this stack's
 * primary) before a benchmark builds a backlog of its own. Run only when no one else's tests are
 * running: their live advices would be taken too.
 */
export async function clearStaleAdvices(stack: BenchStack, timeoutMs: number): Promise<ConsumerQuiet> {
  // No advices of this stack exist yet, so its re-drive settings do not matter.
  const consumer = await stack.startAdviceConsumer();
  try {
    return await waitForConsumerQuiet(consumer, timeoutMs);
  } finally {
    await consumer.stop();
  }
}
