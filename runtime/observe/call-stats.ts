/**
 * The counts of one handler on one node (calls by outcome, a latency histogram, calls started) as plain
 * numbers that the RPC server updates in place; the metrics (ops/call-metrics.ts) turn them into
 * Prometheus series only when scraped. An in-process call takes about 0.3 µs here, so every update on its
 * path shows: through an observer's methods (a call, an outcome lookup, in-flight up and down, a count and
 * an ok counter beside the buckets) metrics cost bench:rpc 5–8% of calls/s, where a successful call now
 * costs an increment when it starts and a bucket increment plus a sum when it ends. What a scrape needs
 * beyond that is derived: the count is the buckets' sum, "ok" is the count less the failures that ran,
 * in flight is the calls started less those counted.
 *
 * test/ops/call-metrics.test.ts holds this to prom-client's own Histogram for the same values.
 */
import type { CallOutcome, HandlerObserver } from "./hooks.js";

/**
 * Seconds; from 0.1 ms (an in-process call) to 10 s (the default deadline). Not frozen: a frozen array of
 * doubles holds boxed numbers, which the bucket search of every call then unboxes (measured: a third of
 * what metrics cost an in-process call).
 */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every outcome, in the order the calls counter lists them. */
export const CALL_OUTCOMES: readonly CallOutcome[] = ["ok", "error", "busy", "deadline", "closed", "not_found", "bad_request", "refused"];

export class CallStats implements HandlerObserver {
  /** Calls whose handler started running. */
  starts = 0;
  /** Non-cumulative: bucket i counts durations in (bound[i-1], bound[i]] seconds; the last is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  /** Seconds, over the calls that ran. */
  sum = 0;
  /** Calls by outcome (CALL_OUTCOMES' order), "ok" left at 0: it is derived (`calls()`). */
  private readonly failures = new Float64Array(CALL_OUTCOMES.length);
  /** Calls that ran and did not end "ok". */
  private failedRunning = 0;

  constructor(
    readonly module: string,
    readonly handler: string,
  ) {}

  /** A call that ran and succeeded in `durationMs`: the whole update of the common end of a call. */
  succeeded(durationMs: number): void {
    this.observe(durationMs / 1000);
  }

  /** One duration in seconds, as prom-client's Histogram.observe() would count it (`le` is inclusive). */
  observe(seconds: number): void {
    const bounds = LATENCY_BUCKETS;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    this.buckets[i] = (this.buckets[i] as number) + 1;
    this.sum += seconds;
  }

  // HandlerObserver: the paths other than a start and a success, and fan-outs that hold these counts.

  started(): void {
    this.starts++;
  }

  finished(durationMs: number, _error: string | undefined, outcome: CallOutcome, ran: boolean): void {
    if (ran) this.observe(durationMs / 1000);
    if (outcome === "ok") return;
    const i = CALL_OUTCOMES.indexOf(outcome);
    this.failures[i] = (this.failures[i] as number) + 1;
    if (ran) this.failedRunning++;
  }

  // Read at scrape time.

  /** Calls that ran (the histogram's count). */
  get count(): number {
    let n = 0;
    for (const b of this.buckets) n += b;
    return n;
  }

  /** Calls that ended with `outcome`. */
  calls(outcome: CallOutcome): number {
    return outcome === "ok" ? this.count - this.failedRunning : (this.failures[CALL_OUTCOMES.indexOf(outcome)] as number);
  }

  /** Calls whose handler is running now. */
  get inFlight(): number {
    return this.starts - this.count;
  }
}
