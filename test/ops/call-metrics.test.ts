/**
 * The call path counts handler latencies by hand (runtime/observe/call-stats.ts) and hands prom-client the
 * finished series only at scrape time (runtime/ops/call-metrics.ts). This pins that to prom-client: both are fed the same durations and
 * must print the same exposition, so a prom-client release that changes bucket bounds, `le` formatting,
 * label order or the _sum/_count lines fails here rather than in a dashboard. Calls to handlers that do
 * not exist are reported under one label value, however many names callers send, and so are calls an
 * `onNotFound` fallback serves.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Histogram, Registry } from "prom-client";
import { CallStats, FALLBACK_HANDLER, LATENCY_BUCKETS, MemoryRegistry, MetricsModule, UNKNOWN_HANDLER, createApp, scrapedHistogram } from "../../runtime/internal.js";
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
  const counters = [new CallStats("shop", "/buy"), new CallStats("shop", "HD_Pay")];
  const reference = new Registry();
  const histogram = new Histogram({ name: NAME, help: HELP, labelNames: ["module", "handler"], buckets: [...LATENCY_BUCKETS], registers: [reference] });
  const values = durations();
  values.forEach((seconds, i) => {
    const c = counters[i % 2] as CallStats;
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

test("counts derived at scrape time follow the calls: ok is what ran less what failed, in flight what started and has not ended", async () => {
  const registry = new MemoryRegistry();
  const metrics = new MetricsModule({ processMetrics: false, address: "127.0.0.1:0" });
  const app = createApp({ parseFlags: false, debug: false, registry, config: { Module: { svc: [{ Id: "svc", ProcessID: "development" }], Metrics: [{ Id: "m", ProcessID: "development" }] } } });
  // A second listener beside the metrics: its observer is called while the metrics' counts are kept in place.
  const seen = { started: 0, ok: 0, error: 0 };
  app.ops.add({ server: () => ({ handler: () => ({ started: () => void seen.started++, finished: (_ms, _error, outcome) => void (outcome === "ok" ? seen.ok++ : outcome === "error" ? seen.error++ : 0) }) }) });
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await app.start([
    testModule("svc", (ctx) => {
      ctx.server.registerGo("/echo", (args) => args[0]);
      ctx.server.registerGo("/fail", () => {
        throw new Error("no");
      });
      ctx.server.registerGo("/hold", async () => {
        await held;
        return "done";
      });
    }),
    metrics,
  ]);
  const sample = async (series: string): Promise<number> => {
    const text = await (await fetch(`${metrics.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
  };
  try {
    for (let i = 0; i < 3; i++) await app.call("svc", "/echo", [i]);
    for (let i = 0; i < 2; i++) await assert.rejects(app.call("svc", "/fail", []));
    const holding = app.call("svc", "/hold", []);
    while (seen.started < 6) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await sample('mqgen_rpc_server_calls_total{module="svc",handler="/echo",outcome="ok"}'), 3);
    assert.equal(await sample('mqgen_rpc_server_duration_seconds_count{module="svc",handler="/echo"}'), 3);
    assert.equal(await sample('mqgen_rpc_server_calls_total{module="svc",handler="/fail",outcome="ok"}'), 0);
    assert.equal(await sample('mqgen_rpc_server_calls_total{module="svc",handler="/fail",outcome="error"}'), 2);
    assert.equal(await sample('mqgen_rpc_server_duration_seconds_count{module="svc",handler="/fail"}'), 2);
    assert.equal(await sample('mqgen_rpc_server_in_flight{module="svc",handler="/hold"}'), 1);
    assert.equal(await sample('mqgen_rpc_server_duration_seconds_count{module="svc",handler="/hold"}'), 0);
    release();
    assert.equal(await holding, "done");
    assert.equal(await sample('mqgen_rpc_server_calls_total{module="svc",handler="/hold",outcome="ok"}'), 1);
    assert.equal(await sample('mqgen_rpc_server_in_flight{module="svc",handler="/hold"}'), 0);
    for (const handler of ["/echo", "/fail"]) assert.equal(await sample(`mqgen_rpc_server_in_flight{module="svc",handler="${handler}"}`), 0);
    assert.deepEqual(seen, { started: 6, ok: 4, error: 2 });
  } finally {
    release();
    await app.stop();
  }
});

test("calls an onNotFound fallback serves count under one label value, not one per name the callers send", async () => {
  const registry = new MemoryRegistry();
  const metrics = new MetricsModule({ processMetrics: false, address: "127.0.0.1:0" });
  const app = createApp({ parseFlags: false, debug: false, registry, config: { Module: { dyn: [{ Id: "dyn", ProcessID: "development" }], Metrics: [{ Id: "m", ProcessID: "development" }] } } });
  const served: string[] = [];
  app.onNotFound((info) => (info.fn.startsWith("/dyn/") ? (_args, call) => (served.push(call.handler), `served ${info.fn}`) : undefined));
  await app.start([testModule("dyn", () => undefined), metrics]);
  try {
    for (let i = 0; i < 40; i++) assert.equal(await app.call("dyn", `/dyn/${i}`, []), `served /dyn/${i}`);
    await assert.rejects(app.call("dyn", "/other", []));
    assert.equal(served.length, 40);
    assert.equal(served[7], "/dyn/7", "the handler still sees the name it was called by");
    const text = await (await fetch(`${metrics.url}/metrics`)).text();
    assert.match(text, new RegExp(`mqgen_rpc_server_calls_total\\{module="dyn",handler="${FALLBACK_HANDLER}",outcome="ok"\\} 40\\n`));
    assert.match(text, new RegExp(`mqgen_rpc_server_duration_seconds_count\\{module="dyn",handler="${FALLBACK_HANDLER}"\\} 40\\n`));
    assert.doesNotMatch(text, /handler="\/dyn\//);
  } finally {
    await app.stop();
  }
});
