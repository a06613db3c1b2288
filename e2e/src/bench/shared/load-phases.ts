import type { AuthorisationMessages } from './authorisation-messages';
import { epochNowMs, type LoadPhase, type PhaseResult } from './load-protocol';
import { PhaseRecorder } from './phase-recorder';
import type { SchemeHttpClient } from './scheme-http-client';

type Phase<K extends LoadPhase['kind']> = Extract<LoadPhase, { kind: K }>;

const nanosecondsToMs = (ns: bigint) => Number(ns) / 1e6;

/** Converts this phase's monotonic times to epoch milliseconds, for timelines compared with the runner's clock. */
function epochClock(): (at: bigint) => number {
  const hrStart = process.hrtime.bigint();
  const epochStart = epochNowMs();
  return (at) => epochStart + nanosecondsToMs(at - hrStart);
}

/**
 * Closed loop: `concurrency` requests always in flight, each sent as soon as the previous one on
 * its slot is answered. What it measures is the most primary can do (saturation); its latencies
 * include the queueing that saturation causes.
 */
export async function runClosedLoop(phase: Phase<'closed-loop'>, client: SchemeHttpClient, messages: AuthorisationMessages): Promise<PhaseResult> {
  const recorder = new PhaseRecorder(phase);
  const epochOf = epochClock();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(phase.durationMs) * 1_000_000n;
  const slot = async () => {
    while (process.hrtime.bigint() < deadline) {
      const body = messages.next();
      const sentAt = process.hrtime.bigint();
      recorder.started();
      const outcome = await client.postAuthorisation(body);
      recorder.finished(outcome, nanosecondsToMs(process.hrtime.bigint() - sentAt), epochOf(sentAt));
    }
  };
  await Promise.all(Array.from({ length: phase.concurrency }, slot));
  return recorder.result(nanosecondsToMs(process.hrtime.bigint() - start));
}

/**
 * Open loop: requests leave on a fixed schedule whether or not earlier ones were answered, and
 * each latency runs from the request's scheduled send time. A stall in primary (or in this
 * process) therefore shows up in the figures instead of quietly slowing the sender down
 * (coordinated omission).
 */
export async function runOpenLoop(phase: Phase<'open-loop'>, client: SchemeHttpClient, messages: AuthorisationMessages): Promise<PhaseResult> {
  if (!(phase.ratePerSecond > 0)) throw new Error(`open-loop rate must be positive, got ${phase.ratePerSecond}`);
  const recorder = new PhaseRecorder(phase);
  const epochOf = epochClock();
  const total = Math.floor((phase.ratePerSecond * phase.durationMs) / 1000);
  const intervalNs = 1e9 / phase.ratePerSecond;
  const start = process.hrtime.bigint();
  let scheduled = 0;

  const send = async (scheduledAt: bigint) => {
    const body = messages.next();
    recorder.started();
    const outcome = await client.postAuthorisation(body);
    recorder.finished(outcome, nanosecondsToMs(process.hrtime.bigint() - scheduledAt), epochOf(scheduledAt));
  };

  await new Promise<void>((resolve) => {
    const allAnswered = () => (recorder.pending === 0 ? resolve() : setTimeout(allAnswered, 5));
    // Timers fire about once a millisecond; each tick sends everything whose time has come.
    const tick = () => {
      const elapsedNs = Number(process.hrtime.bigint() - start);
      while (scheduled < total && scheduled * intervalNs <= elapsedNs) {
        void send(start + BigInt(Math.round(scheduled * intervalNs)));
        scheduled++;
      }
      if (scheduled < total) setTimeout(tick, 1);
      else allAnswered();
    };
    tick();
  });
  return recorder.result(nanosecondsToMs(process.hrtime.bigint() - start));
}
