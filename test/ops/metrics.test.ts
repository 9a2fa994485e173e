/**
 * Metrics and health, proven the way an operator would see them: a real Prometheus scrapes the app's
 * /metrics endpoint, and PromQL through Prometheus' HTTP API returns exactly the number of calls made over
 * a real nats-server; /readyz flips to 503 when NATS goes down and back to 200 when it returns.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryRegistry, MetricsModule, createApp, type App } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { testModule } from "../support/apps.js";
import { Prometheus } from "./support/prometheus.js";

let nats: NatsServer;
let server: App;
let client: App;
let metrics: MetricsModule;
let prometheus: Prometheus;

const CALLS = 37;
const FAILS = 5;

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function status(path: string): Promise<number> {
  const res = await fetch(`${metrics.url}${path}`);
  await res.arrayBuffer();
  return res.status;
}

before(async () => {
  nats = await NatsServer.start();
  const registry = new MemoryRegistry();
  metrics = new MetricsModule({ processMetrics: false });
  const echo = testModule("echo", (ctx) => {
    ctx.server.registerGo("echo", (args) => args[0]);
    ctx.server.registerGo("fail", () => {
      throw new Error("refused on purpose");
    });
  });
  server = createApp({
    parseFlags: false,
    debug: false,
    registry,
    nats: { servers: nats.url, reconnectTimeWaitMs: 100 },
    config: {
      Module: {
        echo: [{ Id: "echo", ProcessID: "development" }],
        Metrics: [{ Id: "Metrics", ProcessID: "development", Settings: { Addr: "127.0.0.1:0" } }],
      },
    },
  });
  await server.start([echo, metrics]);
  client = createApp({ parseFlags: false, debug: false, registry, processId: "caller", nats: { servers: nats.url }, config: { Module: {} } });
  await client.start([]);
  const address = metrics.address();
  assert.ok(address !== undefined);
  prometheus = await Prometheus.start([`127.0.0.1:${address.port}`]);
});

after(async () => {
  await prometheus?.stop();
  await client?.stop();
  await server?.stop();
  await nats?.dispose();
});

test("after N calls over NATS, PromQL through a real Prometheus returns N", async () => {
  for (let i = 0; i < CALLS; i++) assert.equal(await client.call("echo", "echo", [`m${i}`]), `m${i}`);
  for (let i = 0; i < FAILS; i++) await assert.rejects(client.call("echo", "fail", []), /refused on purpose/);

  const ok = await prometheus.waitFor('sum(mqgen_rpc_server_calls_total{module="echo",handler="echo",outcome="ok"})', (s) => s[0]?.value === CALLS);
  assert.equal(ok[0]?.value, CALLS);
  const errors = await prometheus.waitFor('sum(mqgen_rpc_server_calls_total{module="echo",handler="fail",outcome="error"})', (s) => s[0]?.value === FAILS);
  assert.equal(errors[0]?.value, FAILS);
  // The latency histogram counted the same calls, and nothing is left in flight or queued.
  const observed = await prometheus.waitFor('sum(mqgen_rpc_server_duration_seconds_count{module="echo"})', (s) => s[0]?.value === CALLS + FAILS);
  assert.equal(observed[0]?.value, CALLS + FAILS);
  const inFlight = await prometheus.query('sum(mqgen_rpc_server_in_flight{module="echo"})');
  assert.equal(inFlight[0]?.value, 0);
  const nodes = await prometheus.waitFor('mqgen_registry_nodes{module="echo"}', (s) => s[0]?.value === 1);
  assert.equal(nodes[0]?.value, 1);
});

test("the exposition follows Prometheus' naming conventions", async () => {
  const text = await (await fetch(`${metrics.url}/metrics`)).text();
  const names = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`));
  for (const name of names) {
    const [metric, type] = name.split(" ") as [string, string];
    assert.match(metric, /^mqgen_[a-z0-9_]+$/, metric);
    if (type === "counter") assert.match(metric, /_total$/, `${metric} is a counter`);
    if (type === "histogram") assert.match(metric, /_seconds$/, `${metric} is a histogram of durations`);
  }
  for (const expected of [
    "mqgen_rpc_server_calls_total counter",
    "mqgen_rpc_server_duration_seconds histogram",
    "mqgen_rpc_server_in_flight gauge",
    "mqgen_rpc_server_queue_depth gauge",
    "mqgen_rpc_client_retries_total counter",
    "mqgen_gate_connections gauge",
    "mqgen_gate_refused_total counter",
    "mqgen_gate_publishes_total counter",
    "mqgen_http_requests_total counter",
    "mqgen_registry_nodes gauge",
    "mqgen_registry_errors_total counter",
    "mqgen_nats_reconnects_total counter",
  ]) {
    assert.ok(names.has(expected), `missing ${expected}`);
  }
});

test("/healthz answers while the process runs; /readyz flips to 503 when NATS goes down and back when it returns", async () => {
  assert.equal(await status("/healthz"), 200);
  assert.equal(await status("/readyz"), 200);
  await nats.stop();
  await waitUntil("/readyz to answer 503", async () => (await status("/readyz")) === 503);
  const body = (await (await fetch(`${metrics.url}/readyz`)).json()) as { ready: boolean; checks: Record<string, boolean> };
  assert.equal(body.ready, false);
  assert.equal(body.checks["nats"], false);
  assert.equal(await status("/healthz"), 200);
  await nats.restart();
  await waitUntil("/readyz to answer 200 again", async () => (await status("/readyz")) === 200);
  const reconnects = await prometheus.waitFor("mqgen_nats_reconnects_total", (s) => (s[0]?.value ?? 0) >= 1);
  assert.ok((reconnects[0]?.value ?? 0) >= 1);
});
