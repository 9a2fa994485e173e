/**
 * The per-call metrics of RPC handlers: the counts the call path keeps by hand (observe/call-stats.ts),
 * handed to prom-client only when Prometheus scrapes. prom-client's own Counter and Histogram hash their
 * label set on every update, which at an in-process call's ~0.3 µs would cost bench:rpc double-digit
 * percent of calls/s.
 *
 * The exposition must stay what prom-client's own Histogram would print for the same observations:
 * test/ops/call-metrics.test.ts feeds both the same values and compares the text, so a prom-client change
 * to buckets, label order or number formatting fails there.
 */
import type { Registry } from "prom-client";
import { UNKNOWN_HANDLER } from "../observe/hooks.js";
import { CALL_OUTCOMES, CallStats, LATENCY_BUCKETS } from "../observe/call-stats.js";

export { CallStats, LATENCY_BUCKETS };

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
export function histogramValues(name: string, c: CallStats, labels: Record<string, string>): MetricValue[] {
  const out: MetricValue[] = [];
  const bounds = c.buckets.length - 1;
  let cumulative = 0;
  for (let i = 0; i <= bounds; i++) {
    cumulative += c.buckets[i] as number;
    out.push({ metricName: `${name}_bucket`, labels: { le: i < bounds ? (LATENCY_BUCKETS[i] as number) : "+Inf", ...labels }, value: cumulative });
  }
  out.push({ metricName: `${name}_sum`, labels, value: c.sum });
  out.push({ metricName: `${name}_count`, labels, value: cumulative });
  return out;
}

/** A scraped histogram over some handlers' counters, named and labelled by the caller (for the test too). */
export function scrapedHistogram(name: string, help: string, counters: () => readonly CallStats[], labels: (c: CallStats) => Record<string, string>): PromMetric {
  return scrapedMetric(name, help, "histogram", () => counters().flatMap((c) => histogramValues(name, c, labels(c))));
}

/** The call metrics of `counters()` (every handler of every node of this process). */
export function callMetrics(counters: () => readonly CallStats[]): PromMetric[] {
  const labels = (c: CallStats): Record<string, string> => ({ module: c.module, handler: c.handler });
  // Calls to handlers that do not exist only ever have refusals to show.
  const ran = (): readonly CallStats[] => counters().filter((c) => c.handler !== UNKNOWN_HANDLER);
  return [
    scrapedMetric("mqgen_rpc_server_calls_total", "RPC calls a module instance took, by outcome (ok, error, busy, deadline, closed, not_found, bad_request).", "counter", () =>
      counters().flatMap((c) =>
        CALL_OUTCOMES.flatMap((outcome) => {
          const value = c.calls(outcome);
          return value > 0 || (outcome === "ok" && c.handler !== UNKNOWN_HANDLER) ? [{ labels: { ...labels(c), outcome }, value }] : [];
        }),
      ),
    ),
    scrapedHistogram("mqgen_rpc_server_duration_seconds", "Time from a handler starting to its result, for calls that ran.", ran, labels),
    scrapedMetric("mqgen_rpc_server_in_flight", "Calls whose handler is running now.", "gauge", () => ran().map((c) => ({ labels: labels(c), value: c.inFlight }))),
  ];
}
