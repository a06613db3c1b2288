import { randomUUID } from 'node:crypto';
import type { Database } from '@bank/standin';
import { createLagRecorder, MIN_SILENCE_ALERT_MS, type LagMeasurement } from '../src/lag';
import { createSyncerMetrics } from '../src/metrics';
import { startSyncer, type RunningSyncer } from '../src/syncer';
import { PrimaryAccount, capturedLogger, eventually, publish, testCardKeys, untilSynced, syncerBench, TOPIC_PREFIX, type TestProducer } from './harness';
import type { KafkaConnection } from '../src/kafka-client';

// Lag is measured per event from primary's commit to stand-in's, written to sync_lag for
// stand-in's /status and exported at /metrics; /health turns unhealthy only when the consumer
// has crashed for good.

const card = testCardKeys();
const bench = syncerBench('lag', card);
let database: Database;
let producer: TestProducer;

beforeAll(async () => {
  ({ database, producer } = await bench.start());
}, 180_000);

afterAll(() => bench.stop());

const syncer = (options: Omit<Parameters<typeof bench.syncer>[0] & object, 'groupId' | 'logger'>, logger = capturedLogger().logger) =>
  bench.syncer({ ...options, logger });

interface SyncLagRow {
  last_event_at: Date;
  last_applied_at: Date;
  lag_ms: number;
  alerting: boolean;
}

/** sync_lag is written after each batch; wait for a measurement taken after `since`. */
async function syncLagAfter(since: Date): Promise<SyncLagRow> {
  return eventually(async () => {
    const row = (await database.query<SyncLagRow>('select last_event_at, last_applied_at, lag_ms, alerting from sync_lag')).rows[0];
    return row && row.last_applied_at.getTime() >= since.getTime() ? row : undefined;
  }, 'a sync_lag measurement');
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`${name} is not in /metrics`);
  return Number(line.slice(name.length + 1));
}

test('when events are applied, then their lag reaches sync_lag and /metrics; above the appetite stand-in is told it is alerting, and back under it that it is not', async () => {
  const account = new PrimaryAccount(card);
  const { logger, lines } = capturedLogger();
  // The topic is shared: other events may share our batches, so our own are picked out by account.
  const ours: LagMeasurement[] = [];
  const impatient: RunningSyncer = await syncer(
    {
      lagAppetiteMs: 1,
      partitionsConsumedConcurrently: 1,
      onBatchApplied: (batch) => {
        if (batch.messages.some((message) => message.header?.accountId === account.accountId) && impatient.lag.last) ours.push(impatient.lag.last);
      },
    },
    logger,
  );

  // Committed by primary two seconds ago: at least that much lag, whatever Kafka adds.
  const occurredAt = new Date(Date.now() - 2_000);
  const since = new Date();
  await publish(producer, [account.opened({ occurredAt }), account.balance(100, 0, { occurredAt })]);
  await untilSynced(database, account.accountId, 2);
  await eventually(async () => ours.length > 0, 'the measurement of our batch');
  expect(ours[0]!.lagMs).toBeGreaterThanOrEqual(2_000);
  expect(ours[0]!.lagMs).toBeLessThan(60_000);
  expect(ours[0]!.alerting).toBe(true);

  // sync_lag holds the syncer's latest measurement (compared until no batch lands in between).
  await eventually(async () => {
    const row = await syncLagAfter(since);
    const last = impatient.lag.last;
    return (
      last !== undefined &&
      row.lag_ms === last.lagMs &&
      row.alerting === last.alerting &&
      row.last_applied_at.getTime() === last.appliedAt.getTime() &&
      row.last_event_at.getTime() === last.lastEventAt.getTime()
    );
  }, 'sync_lag to match the latest measurement');
  expect((await syncLagAfter(since)).alerting).toBe(true);

  const metrics = await (await fetch(`${impatient.url}/metrics`)).text();
  // Both our events were observed above one second.
  expect(metricValue(metrics, 'syncer_lag_seconds_count') - metricValue(metrics, 'syncer_lag_seconds_bucket{le="1"}')).toBeGreaterThanOrEqual(2);
  expect(metricValue(metrics, 'syncer_last_lag_seconds')).toBeGreaterThan(0);
  expect(metricValue(metrics, 'syncer_lag_alerting')).toBe(1);
  expect(metricValue(metrics, 'syncer_consumer_live')).toBe(1);
  expect(lines.some((line) => line.includes('"level":50') && line.includes('above the appetite of 1 ms'))).toBe(true);

  const health = await fetch(`${impatient.url}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', consumer: 'consuming', database: 'ok', lag: { alerting: true } });
  // Issue 18: lag is an alert, not a reason to leave rotation; both ends of the job answer.
  const ready = await fetch(`${impatient.url}/health/ready`);
  expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', kafka: 'ok' } } });
  await impatient.stop();

  const relaxed = await syncer({ lagAppetiteMs: 60_000 });
  const later = new Date();
  await publish(producer, [account.balance(200)]);
  await untilSynced(database, account.accountId, 3);
  await eventually(async () => !(await syncLagAfter(later)).alerting, 'sync_lag to stop alerting');
  expect(metricValue(await (await fetch(`${relaxed.url}/metrics`)).text(), 'syncer_lag_alerting')).toBe(0);
  // It writes the same database: left running, it would apply the next test's events for it.
  await relaxed.stop();
});

test('when the consumer keeps failing, then it crashes, restarts by itself and carries on, and /health stays ok throughout', async () => {
  const account = new PrimaryAccount(card);
  let failures = 0;
  const healthSeen = new Set<number>();
  const flaky = await syncer({
    subBatchSize: 1,
    onBatchApplied: () => {
      // More failures in a row than the consumer's retries: only a restart gets past them.
      if (failures < 10) {
        failures += 1;
        throw new Error('a passing failure');
      }
    },
  });
  const events = [account.opened(), ...Array.from({ length: 12 }, (_, index) => account.balance(index))];
  await publish(producer, events);
  const watching = setInterval(() => {
    fetch(`${flaky.url}/health`).then(
      (response) => healthSeen.add(response.status),
      () => undefined,
    );
  }, 50);
  try {
    await eventually(
      async () => (await flaky.metrics.consumerCrashes.get()).values.some((value) => value.labels.restarted === 'true' && value.value > 0),
      'a crash with a restart',
      60_000,
    );
    await eventually(async () => flaky.consumerState() === 'consuming', 'the consumer to be back');
    // After the restart it carries on with what comes next.
    const more = [account.balance(1_000), account.balance(2_000)];
    await publish(producer, more);
    expect(await untilSynced(database, account.accountId, events.length + more.length)).toEqual([...events, ...more].map((event) => event.sequence));
  } finally {
    clearInterval(watching);
  }
  expect(failures).toBe(10);
  expect([...healthSeen]).toEqual([200]);
  expect(await (await fetch(`${flaky.url}/health`)).json()).toMatchObject({ status: 'ok', consumer: 'consuming' });
}, 90_000);

test('when the consumer crashes for good, then /health turns unhealthy so the process gets replaced', async () => {
  const account = new PrimaryAccount(card);
  const broken = await syncer({
    onBatchApplied: () => {
      // A programming error: a new consumer would only repeat it.
      throw new TypeError('a bug in the syncer');
    },
  });
  await publish(producer, [account.opened()]);
  await eventually(async () => (await fetch(`${broken.url}/health`)).status === 503, '/health to turn unhealthy');
  expect(await (await fetch(`${broken.url}/health`)).json()).toMatchObject({ status: 'unhealthy', consumer: 'crashed' });
  expect(metricValueOf(await (await fetch(`${broken.url}/metrics`)).text())).toBe(0);
});

const metricValueOf = (text: string) => metricValue(text, 'syncer_consumer_live');

describe('when Kafka goes silent', () => {
  test('then the alert is raised once the silence outlasts the appetite, stand-in is told how stale it may be, and hearing from Kafka again clears it', async () => {
    const { logger, lines } = capturedLogger();
    const t0 = new Date('2026-11-22T03:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const lag = createLagRecorder({ database, metrics: createSyncerMetrics(), logger, appetiteMs: 5_000, startedAt: t0 });
    await database.query('delete from sync_lag');

    await lag.checkSilence(at(4_000));
    expect(lag.alerting).toBe(false);
    expect((await database.query('select 1 from sync_lag')).rowCount).toBe(0);

    await lag.checkSilence(at(6_000));
    expect({ alerting: lag.alerting, silentForMs: lag.silentForMs }).toEqual({ alerting: true, silentForMs: 6_000 });
    expect((await database.query<SyncLagRow>('select lag_ms, alerting from sync_lag')).rows[0]).toEqual({ lag_ms: 6_000, alerting: true });
    await lag.checkSilence(at(9_000));
    expect((await database.query<SyncLagRow>('select lag_ms, alerting from sync_lag')).rows[0]).toEqual({ lag_ms: 9_000, alerting: true });
    expect(lines.filter((line) => line.includes('"level":50') && line.includes('nothing heard from Kafka'))).toHaveLength(1);

    await lag.heard(at(10_000));
    expect({ alerting: lag.alerting, silentForMs: lag.silentForMs }).toEqual({ alerting: false, silentForMs: undefined });
    // The silence's lag goes with it: nothing measured since, so nothing is behind.
    expect((await database.query<SyncLagRow>('select lag_ms, alerting from sync_lag')).rows[0]).toEqual({ lag_ms: 0, alerting: false });
    await lag.checkSilence(at(14_000));
    expect(lag.alerting).toBe(false);
  });

  test('then stand-in can tell: while the syncer hears Kafka it says so at most once a second (heard_at), with its appetite, and the last word stays when it stops', async () => {
    const t0 = new Date('2026-11-22T04:00:00.000Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const lag = createLagRecorder({ database, metrics: createSyncerMetrics(), logger: capturedLogger().logger, appetiteMs: 5_000, startedAt: t0 });
    await database.query('delete from sync_lag');
    const heartbeat = async () =>
      (await database.query<{ heard_at: Date | null; appetite_ms: number | null }>('select heard_at, appetite_ms from sync_lag')).rows[0];

    await lag.heard(at(100));
    expect(await heartbeat()).toEqual({ heard_at: at(100), appetite_ms: 5_000 });
    // Fetches answered many times a second write once a second.
    await lag.heard(at(600));
    expect((await heartbeat())?.heard_at).toEqual(at(100));
    await lag.heard(at(1_200));
    expect((await heartbeat())?.heard_at).toEqual(at(1_200));
    // Silence (a dead syncer writes nothing): the row keeps the last time it heard Kafka, which stand-in counts from.
    await lag.checkSilence(at(20_000));
    expect((await heartbeat())?.heard_at).toEqual(at(1_200));
  });

  test('then a syncer that starts where an earlier one left an alert says, the first time it hears Kafka, what it knows itself', async () => {
    await database.query(`insert into sync_lag (singleton, last_event_at, last_applied_at, lag_ms, alerting) values (true, now(), now(), 52000000, true)
                          on conflict (singleton) do update set lag_ms = 52000000, alerting = true`);
    const lag = createLagRecorder({ database, metrics: createSyncerMetrics(), logger: capturedLogger().logger, appetiteMs: 5_000 });
    await lag.heard(new Date());
    expect((await database.query<SyncLagRow>('select lag_ms, alerting from sync_lag')).rows[0]).toEqual({ lag_ms: 0, alerting: false });
  });

  test('then a syncer that cannot reach Kafka at all says so in /health and /metrics within seconds', async () => {
    // A port nothing listens on: the consumer never starts, and silence is all there is.
    const unreachable: KafkaConnection = { clientId: 'syncer-test-silent', bootstrapBrokers: ['127.0.0.1:9'], retries: 0, connectTimeout: 300 };
    const silent = await startSyncer(
      { database, kafka: unreachable, keys: card.keys, logger: capturedLogger().logger },
      { groupId: `syncer-test-silent-${randomUUID()}`, topicPrefix: TOPIC_PREFIX, lagAppetiteMs: 1_000, port: 0, silenceCheckMs: 200, startRetryDelayMs: 500 },
    );
    bench.track(silent);
    const health = await eventually(async () => {
      const body = (await (await fetch(`${silent.url}/health`)).json()) as { consumer: string; lag?: { alerting: boolean; kafkaSilentForMs?: number } };
      return body.lag?.alerting ? body : undefined;
    }, 'the silence alert in /health');
    expect(health).toMatchObject({ consumer: 'starting', lag: { alerting: true } });
    expect(health.lag!.kafkaSilentForMs).toBeGreaterThan(MIN_SILENCE_ALERT_MS);
    expect(metricValue(await (await fetch(`${silent.url}/metrics`)).text(), 'syncer_lag_alerting')).toBe(1);
    // Issue 18: unready (Kafka does not answer) but live: a new process would not bring Kafka back.
    const ready = await fetch(`${silent.url}/health/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 503,
      body: { status: 'unready', checks: { database: 'ok', kafka: 'unreachable' } },
    });
    expect((await fetch(`${silent.url}/health/live`)).status).toBe(200);
    await silent.stop();
  });
});
