import { summariseLatencies } from './latency-stats';
import type { LoadPhase, PhaseResult, TimelineEntry } from './load-protocol';
import type { PostOutcome } from './scheme-http-client';

/** Tallies one phase's outcomes and keeps every latency sample for exact percentiles. */
export class PhaseRecorder {
  private readonly latenciesMs: number[] = [];
  private readonly errorKinds: Record<string, number> = {};
  private readonly responseCodes: Record<string, number> = {};
  private readonly decidedBy: Record<string, number> = {};
  private readonly timeline: TimelineEntry[] | undefined;
  private sent = 0;
  private errors = 0;
  private inFlight = 0;
  private maxInFlight = 0;
  private late = 0;

  constructor(private readonly phase: LoadPhase) {
    this.timeline = phase.recordTimeline ? [] : undefined;
  }

  get pending(): number {
    return this.inFlight;
  }

  started(): void {
    this.sent++;
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  /** `sentAtMs`: epoch ms the latency is measured from; only the timeline uses it. */
  finished(outcome: PostOutcome, latencyMs: number, sentAtMs: number): void {
    this.inFlight--;
    if (outcome.ok) {
      this.latenciesMs.push(latencyMs);
      if (this.phase.lateAfterMs !== undefined && latencyMs > this.phase.lateAfterMs) this.late++;
      this.responseCodes[outcome.responseCode] = (this.responseCodes[outcome.responseCode] ?? 0) + 1;
      const decider = outcome.decidedBy ?? 'unnamed';
      this.decidedBy[decider] = (this.decidedBy[decider] ?? 0) + 1;
    } else {
      this.errors++;
      this.errorKinds[outcome.kind] = (this.errorKinds[outcome.kind] ?? 0) + 1;
    }
    this.timeline?.push({
      sentAtMs,
      answeredAtMs: sentAtMs + latencyMs,
      outcome: outcome.ok ? 'answered' : outcome.kind,
      ...(outcome.responseCode !== undefined ? { responseCode: outcome.responseCode } : {}),
      ...(outcome.ok && outcome.decidedBy !== undefined ? { decidedBy: outcome.decidedBy } : {}),
    });
  }

  result(elapsedMs: number): PhaseResult {
    const answered = this.latenciesMs.length;
    return {
      name: this.phase.name,
      kind: this.phase.kind,
      elapsedMs: Math.round(elapsedMs),
      sent: this.sent,
      answered,
      approved: this.responseCodes['00'] ?? 0,
      errors: this.errors,
      errorKinds: this.errorKinds,
      responseCodes: this.responseCodes,
      decidedBy: this.decidedBy,
      throughputPerSecond: Math.round((answered / (elapsedMs / 1000)) * 10) / 10,
      latencyMs: summariseLatencies(this.latenciesMs),
      maxInFlight: this.maxInFlight,
      ...(this.phase.kind === 'open-loop' ? { offeredRatePerSecond: this.phase.ratePerSecond } : {}),
      ...(this.phase.lateAfterMs !== undefined ? { lateAnswers: { afterMs: this.phase.lateAfterMs, count: this.late } } : {}),
      ...(this.timeline ? { timeline: this.timeline } : {}),
    };
  }
}
