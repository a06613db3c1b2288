/** The first wait and the longest one, in ms. */
export interface RestartWaitLimits {
  readonly first: number;
  readonly cap: number;
}

/**
 * How long the notifications consumer's supervisor waits before a new consumer replaces one whose
 * stream failed. Doubled per failure in a row (Kafka away: replacing at once only adds load to
 * a broker that is coming back), never above the cap, so every wait is bounded. Back to the first
 * value once a consumer made progress (recorded a batch) since the last failure: that failure is a
 * new one, not the same outage going on, and otherwise a few failures spread over days would leave
 * every later one waiting the cap, customers' notifications stopped that long each time (the
 * syncer's supervisor resets the same way). Kept apart from Kafka so the decision is tested on its
 * own (primary/test/notifications-restart-wait.test.ts).
 */
export class RestartWait {
  private nextMs: number;
  private progressed = false;

  constructor(private readonly limits: RestartWaitLimits) {
    if (!(limits.first > 0 && Number.isFinite(limits.cap) && limits.cap >= limits.first)) {
      throw new RangeError(`restart wait limits need 0 < first <= cap, finite: ${JSON.stringify(limits)}`);
    }
    this.nextMs = limits.first;
  }

  /** The consumer in place recorded a batch: the next failure waits the first value again. */
  progress(): void {
    this.progressed = true;
  }

  /** The wait before the next replacement, asked once per failure. */
  afterFailure(): number {
    if (this.progressed) this.nextMs = this.limits.first;
    this.progressed = false;
    const waitMs = this.nextMs;
    this.nextMs = Math.min(this.limits.cap, this.nextMs * 2);
    return waitMs;
  }
}
