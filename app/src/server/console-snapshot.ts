import { QUARANTINED_ADVICES_ROUTE, QuarantinedAdvicesReport, type ConfigurationAuditEntry, type ShadowReport } from '@bank/shared-contracts';
import { platformClient, renderStatus, statusReport, statusRows, type StatusReport } from '@bank/standin';
import type { z } from 'zod';

// The incident console's one read: the facts `standin status` prints (read by the same code), and
// beside them what an engineer watches during an incident: the gateway's destination and breaker,
// the advice backlog and how fast primary drains it, shadow agreement, today's cohort, the audit
// log and quarantined advices. Every source has its own timeout and may be missing: the console
// must stay useful with either platform (or the gateway, or the advice consumer) gone, and say which.

export type Part<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

export interface GatewayRouting {
  readonly destination: 'primary' | 'standin';
  readonly cause: string;
  readonly reason: string;
  readonly since: string;
  readonly autoFailover: boolean;
  readonly primaryBreaker: string;
  readonly configuration: {
    readonly version: number | null;
    readonly directConnect: boolean | null;
    readonly reachable: boolean;
    readonly problem: string | null;
  };
}

export interface ConsoleSnapshot {
  readonly checkedAt: string;
  /** Exactly `standin status --json`. */
  readonly status: StatusReport;
  /** Its table, row by row (label, stand-in, primary), and the whole text as the CLI prints it. */
  readonly statusRows: readonly (readonly [string, string, string])[];
  readonly statusText: string;
  readonly syncLag: { readonly lagMs: number; readonly alerting: boolean; readonly appetiteMs: number } | null;
  readonly advices: {
    /** Advices primary has taken off the queue per second (applied, duplicates, quarantined), over the last samples; null until two samples. */
    readonly drainPerSecond: number | null;
    readonly consumer: Part<{ readonly taken: number }>;
  };
  readonly gateway: Part<GatewayRouting>;
  readonly shadow: Part<ShadowReport>;
  readonly cohort: Part<{
    readonly day: string;
    readonly percent: number;
    readonly members: number;
    readonly customersKnown: number;
    readonly countedAt: string;
  }>;
  readonly audit: Part<{ readonly from: 'standin' | 'primary'; readonly entries: readonly ConfigurationAuditEntry[] }>;
  readonly quarantined: Part<QuarantinedAdvicesReport>;
  /** Stand-in's newest incident record (null: there has been none). */
  readonly incident: Part<{ readonly incidentId: string; readonly stage: 'open' | 'closed'; readonly openedAt: string; readonly closedAt?: string } | null>;
}

export interface ConsoleSources {
  readonly primaryUrl: string;
  readonly standinUrl: string;
  readonly gatewayUrl: string;
  readonly adviceConsumerUrl: string;
  readonly appetiteMs: number;
  readonly timeoutMs: number;
  readonly now: () => Date;
}

/** The advice consumer's counter of advices taken off the queue, by outcome. */
const TAKEN_OUTCOMES = ['applied', 'duplicate', 'quarantined'];
/** Counting today's cohort pages through every customer stand-in knows: at most this often. */
const COHORT_RECOUNT_MS = 60_000;
/** The drain rate is measured over about this long. */
const DRAIN_WINDOW_MS = 15_000;
const AUDIT_ENTRIES = 20;

function why(failure: unknown): string {
  const error = failure as Error & { cause?: { code?: string } };
  if (error.name === 'TimeoutError') return 'no answer within the timeout';
  if (error.cause?.code === 'ECONNREFUSED') return 'connection refused (not running?)';
  return error.message;
}

async function part<T>(read: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (failure) {
    return { ok: false, why: why(failure) };
  }
}

async function getJson<T>(url: string, token: string | undefined, timeoutMs: number, schema?: z.ZodType<T>): Promise<T> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) {
    const message = (() => {
      try {
        return (JSON.parse(text) as { error?: { message?: string } }).error?.message;
      } catch {
        return undefined;
      }
    })();
    throw new Error(`answered ${response.status}${message ? `: ${message}` : ''}`);
  }
  const body: unknown = JSON.parse(text);
  return schema ? schema.parse(body) : (body as T);
}

/** Sums a counter's samples with the given label values from a Prometheus text exposition. */
export function counterTotal(exposition: string, metric: string, label: string, values: readonly string[]): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const match = /\{(.*)\}\s+([0-9.eE+-]+)$/.exec(line);
    if (!match) continue;
    const labelValue = new RegExp(`${label}="([^"]*)"`).exec(match[1] ?? '')?.[1];
    if (labelValue !== undefined && values.includes(labelValue)) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}

export interface ConsoleReader {
  /** One snapshot, read with the operator's token (the console's caller's, never stored). */
  read(operatorToken: string): Promise<ConsoleSnapshot>;
}

/** However many engineers (or browser tabs) watch, the platforms are read at most this often per token. */
const SNAPSHOT_REUSE_MS = 1_000;

/** A read that has not settled by `ms` gives way to `fallback` (each source has one overall deadline, however many calls it makes). */
function withDeadline<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

export function createConsoleReader(sources: ConsoleSources): ConsoleReader {
  const recent = new Map<string, { atMs: number; snapshot: Promise<ConsoleSnapshot> }>();
  const reader = createUncachedConsoleReader(sources);
  return {
    read(operatorToken) {
      const nowMs = sources.now().getTime();
      for (const [token, entry] of recent) if (nowMs - entry.atMs > SNAPSHOT_REUSE_MS) recent.delete(token);
      const reused = recent.get(operatorToken);
      if (reused) return reused.snapshot;
      const snapshot = reader.read(operatorToken);
      recent.set(operatorToken, { atMs: nowMs, snapshot });
      // A failed read is not kept: the next request tries again.
      snapshot.catch(() => recent.delete(operatorToken));
      return snapshot;
    },
  };
}

function createUncachedConsoleReader(sources: ConsoleSources): ConsoleReader {
  // The drain rate needs the counter over time: the last samples, newest last (bounded).
  const taken: { atMs: number; total: number }[] = [];
  let cohortCount: { atMs: number; value: Part<{ day: string; percent: number; members: number; customersKnown: number; countedAt: string }> } | undefined;

  const drainRate = (): number | null => {
    const newest = taken.at(-1);
    const oldest = taken.find((sample) => newest !== undefined && newest.atMs - sample.atMs <= DRAIN_WINDOW_MS);
    if (!newest || !oldest || newest.atMs - oldest.atMs < 1_000) return null;
    return Math.max(0, (newest.total - oldest.total) / ((newest.atMs - oldest.atMs) / 1000));
  };

  return {
    async read(operatorToken) {
      const { timeoutMs } = sources;
      const primary = platformClient('primary', sources.primaryUrl, operatorToken, timeoutMs);
      const standin = platformClient('standin', sources.standinUrl, operatorToken, timeoutMs);
      const now = sources.now();
      // Counting pages through every customer stand-in knows: kept a minute, a failure too (it is not retried on every poll).
      const countCohort = async () => {
        if (cohortCount && now.getTime() - cohortCount.atMs < COHORT_RECOUNT_MS) return cohortCount.value;
        const value = await part(async () => {
          const members = await standin.cohort();
          return {
            day: members.day,
            percent: members.percent,
            members: members.members.length,
            customersKnown: members.customersKnown,
            countedAt: now.toISOString(),
          };
        });
        cohortCount = { atMs: now.getTime(), value };
        return value;
      };
      const deadline = timeoutMs * 2 + 500;
      const late = (what: string) => () => ({ ok: false as const, why: `${what}: no answer within ${deadline / 1000} s` });
      const readingOf = (client: typeof primary) =>
        withDeadline(client.read(), deadline, () => ({
          platform: client.platform,
          url: client.url,
          reachable: false as const,
          reason: `no answer within ${deadline / 1000} s`,
        }));
      const [readings, gateway, consumer, shadow, cohort, audit, quarantined, incident] = await Promise.all([
        Promise.all([readingOf(primary), readingOf(standin)]),
        part(() => getJson<GatewayRouting>(`${sources.gatewayUrl}/routing`, undefined, timeoutMs)),
        part(async () => {
          const response = await fetch(`${sources.adviceConsumerUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
          if (!response.ok) throw new Error(`answered ${response.status}`);
          return { taken: counterTotal(await response.text(), 'advice_consumer_outcomes_total', 'outcome', TAKEN_OUTCOMES) ?? 0 };
        }),
        part(() => standin.shadowReport()),
        withDeadline(countCohort(), deadline, late('the cohort count')),
        withDeadline(
          part(async () => {
            // Stand-in's log first: it is the one that is there during an outage (as `standin audit`).
            try {
              return { from: 'standin' as const, entries: await standin.audit(AUDIT_ENTRIES) };
            } catch {
              return { from: 'primary' as const, entries: await primary.audit(AUDIT_ENTRIES) };
            }
          }),
          deadline,
          late('the audit log'),
        ),
        part(() => getJson(`${sources.primaryUrl}${QUARANTINED_ADVICES_ROUTE}?limit=10`, operatorToken, timeoutMs, QuarantinedAdvicesReport)),
        part(async () => (await standin.incidents(1))[0] ?? null),
      ]);
      if (consumer.ok) {
        // Timed when the answers are in, not when the read began (it may have waited on a slow source).
        const sampledAt = sources.now().getTime();
        if (taken.length === 0 || sampledAt > taken.at(-1)!.atMs) taken.push({ atMs: sampledAt, total: consumer.value.taken });
        while (taken.length > 0 && sampledAt - taken[0]!.atMs > DRAIN_WINDOW_MS * 2) taken.shift();
        if (taken.length > 600) taken.splice(0, taken.length - 600);
      }
      const report = statusReport({ primary: readings[0], standin: readings[1] }, now);
      const sync = readings[1].reachable ? readings[1].status?.sync : undefined;
      return {
        checkedAt: now.toISOString(),
        status: report,
        statusRows: statusRows(report),
        statusText: renderStatus(report),
        syncLag: sync ? { lagMs: sync.lagMs, alerting: sync.alerting, appetiteMs: sources.appetiteMs } : null,
        advices: { drainPerSecond: consumer.ok ? drainRate() : null, consumer },
        gateway,
        shadow,
        cohort,
        audit,
        quarantined,
        incident,
      };
    },
  };
}
