/**
 * The call path counts handler latencies by hand (runtime/ops/call-metrics.ts) and hands prom-client the
 * finished series only at scrape time. This pins that to prom-client: both are fed the same durations and
 * must print the same exposition, so a prom-client release that changes bucket bounds, `le` formatting,
 * label order or the _sum/_count lines fails here rather than in a dashboard. Calls to handlers that do
 * not exist are reported under one label value, however many names callers send.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { HandlerCounters, LATENCY_BUCKETS, MemoryRegistry, MetricsModule, UNKNOWN_HANDLER, createApp, scrapedHistogram } from "../../runtime/internal.js";
import { testModule } from "../support/apps.js";

const NAME = "mqgen_test_duration_seconds";
const HELP = "Durations fed to both.";

/** Durations (seconds) on every bound, just either side of each, below the first and past the last. */
function durations(): number[] {
  const out = [0, 1e-7, 20];
  for (const bound of LATENCY_BUCKETS) out.push(bound, bound * 0.999, bound * 1.001);
  for (let i = 0; i < 500; i++) out.push(Math.pow(10, -5 + (6 * ((i * 7919) % 500)) / 500));
  return out;
}

test("hand-counted handler histograms print exactly what prom-client's Histogram prints for the same values", async () => {
  const counters = [new HandlerCounters("shop", "/buy"), new HandlerCounters("shop", "HD_Pay")];
  const reference = new Registry();
  const histogram = new Histogram({ name: NAME, help: HELP, labelNames: ["module", "handler"], buckets: [...LATENCY_BUCKETS], registers: [reference] });
  const values = durations();
  values.forEach((seconds, i) => {
    const c = counters[i % 2] as HandlerCounters;
    c.observe(seconds);
    histogram.observe({ module: c.module, handler: c.handler }, seconds);
  });
  const ours = new Registry();
  ours.registerMetric(scrapedHistogram(NAME, HELP, () => counters, (c) => ({ module: c.module, handler: c.handler })));
  const expected = await reference.metrics();
  assert.ok(expected.includes(`${NAME}_bucket{le="0.0001",module="shop",handler="/buy"}`), expected.slice(0, 400));
  assert.equal(await ours.metrics(), expected);
});

test("calls to unknown handlers count under one label value, and a served call's latency reaches the histogram", async () => {
  const registry = new MemoryRegistry();
  const metrics = new MetricsModule({ processMetrics: false, address: "127.0.0.1:0" });
  const app = createApp({ parseFlags: false, debug: false, registry, config: { Module: { echo: [{ Id: "echo", ProcessID: "development" }], Metrics: [{ Id: "m", ProcessID: "development" }] } } });
  await app.start([testModule("echo", (ctx) => ctx.server.registerGo("/echo", (args) => args[0])), metrics]);
  try {
    for (let i = 0; i < 5; i++) assert.equal(await app.call("echo", "/echo", [`v${i}`]), `v${i}`);
    for (let i = 0; i < 30; i++) await assert.rejects(app.call("echo", `/nope-${i}`, []));
    const text = await (await fetch(`${metrics.url}/metrics`)).text();
    assert.match(text, /mqgen_rpc_server_calls_total\{module="echo",handler="\/echo",outcome="ok"\} 5\n/);
    assert.match(text, /mqgen_rpc_server_duration_seconds_count\{module="echo",handler="\/echo"\} 5\n/);
    assert.match(text, new RegExp(`mqgen_rpc_server_calls_total\\{module="echo",handler="${UNKNOWN_HANDLER}",outcome="not_found"\\} 30\\n`));
    assert.doesNotMatch(text, /nope-/);
    assert.doesNotMatch(text, new RegExp(`_duration_seconds_count\\{module="echo",handler="${UNKNOWN_HANDLER}"`));
  } finally {
    await app.stop();
  }
});
