/**
 * The per-call metrics of RPC handlers, counted by hand on the hot path and handed to prom-client only when
 * Prometheus scrapes. prom-client's own Counter and Histogram hash their label set on every update; at an
 * in-process call's ~0.8 µs that cost bench:rpc double-digit percent of calls/s at 64 in flight, where these
 * plain fields, bound once per handler, cost a few increments.
 *
 * The exposition must stay what prom-client's own Histogram would print for the same observations:
 * test/ops/call-metrics.test.ts feeds both the same values and compares the text, so a prom-client change
 * to buckets, label order or number formatting fails there.
 */
import type { Registry } from "prom-client";
import { UNKNOWN_HANDLER, type CallOutcome, type HandlerObserver } from "../observe/hooks.js";

/** Seconds; from 0.1 ms (an in-process call) to 10 s (the default deadline). */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const OUTCOMES: readonly CallOutcome[] = ["ok", "error", "busy", "deadline", "closed", "not_found", "bad_request", "refused"];

/** The numbers of one handler on one node, as plain fields the call path increments. */
export class HandlerCounters implements HandlerObserver {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  /** Non-cumulative: bucket i counts durations in (bound[i-1], bound[i]]; the last is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  count = 0;
  inFlight = 0;
  constructor(
    readonly module: string,
    readonly handler: string,
  ) {}

  started(): void {
    this.inFlight++;
  }

  finished(durationMs: number, _error: string | undefined, outcome: CallOutcome, ran: boolean): void {
    const i = outcome === "ok" ? 0 : OUTCOMES.indexOf(outcome);
    this.outcomes[i] = (this.outcomes[i] as number) + 1;
    if (!ran) return;
    this.inFlight--;
    this.observe(durationMs / 1000);
  }

  /** One duration in seconds, as prom-client's Histogram.observe() would count it (`le` is inclusive). */
  observe(seconds: number): void {
    const bounds = LATENCY_BUCKETS;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    this.buckets[i] = (this.buckets[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }
}

interface MetricValue {
  readonly metricName?: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

type PromMetric = Parameters<Registry["registerMetric"]>[0];

/** A metric whose values are computed at scrape time, in the shape prom-client's Registry prints. */
function scrapedMetric(name: string, help: string, type: "counter" | "gauge" | "histogram", values: () => MetricValue[]): PromMetric {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => Promise.resolve({ name, help, type, aggregator: "sum", values: values() }),
    reset: () => undefined,
  };
  return metric as unknown as PromMetric;
}

/** A histogram's series, cumulative as Prometheus wants them. */
export function histogramValues(name: string, c: HandlerCounters, labels: Record<string, string>): MetricValue[] {
  const out: MetricValue[] = [];
  const bounds = c.buckets.length - 1;
  let cumulative = 0;
  for (let i = 0; i <= bounds; i++) {
    cumulative += c.buckets[i] as number;
    out.push({ metricName: `${name}_bucket`, labels: { le: i < bounds ? (LATENCY_BUCKETS[i] as number) : "+Inf", ...labels }, value: cumulative });
  }
  out.push({ metricName: `${name}_sum`, labels, value: c.sum });
  out.push({ metricName: `${name}_count`, labels, value: c.count });
  return out;
}

/** A scraped histogram over some handlers' counters, named and labelled by the caller (for the test too). */
export function scrapedHistogram(name: string, help: string, counters: () => readonly HandlerCounters[], labels: (c: HandlerCounters) => Record<string, string>): PromMetric {
  return scrapedMetric(name, help, "histogram", () => counters().flatMap((c) => histogramValues(name, c, labels(c))));
}

/** The call metrics of `counters()` (every handler of every node of this process). */
export function callMetrics(counters: () => readonly HandlerCounters[]): PromMetric[] {
  const labels = (c: HandlerCounters): Record<string, string> => ({ module: c.module, handler: c.handler });
  // Calls to handlers that do not exist only ever have refusals to show.
  const ran = (): readonly HandlerCounters[] => counters().filter((c) => c.handler !== UNKNOWN_HANDLER);
  return [
    scrapedMetric("mqgen_rpc_server_calls_total", "RPC calls a module instance took, by outcome (ok, error, busy, deadline, closed, not_found, bad_request).", "counter", () =>
      counters().flatMap((c) =>
        OUTCOMES.flatMap((outcome, i) => ((c.outcomes[i] as number) > 0 || (outcome === "ok" && c.handler !== UNKNOWN_HANDLER) ? [{ labels: { ...labels(c), outcome }, value: c.outcomes[i] as number }] : [])),
      ),
    ),
    scrapedHistogram("mqgen_rpc_server_duration_seconds", "Time from a handler starting to its result, for calls that ran.", ran, labels),
    scrapedMetric("mqgen_rpc_server_in_flight", "Calls whose handler is running now.", "gauge", () => ran().map((c) => ({ labels: labels(c), value: c.inFlight }))),
  ];
}
