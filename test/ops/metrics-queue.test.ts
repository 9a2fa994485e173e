/**
 * The metrics of a node under pressure: calls running (in flight), waiting (queue depth) and refused
 * (busy) per handler, and retries when the first node picked is gone — read from the app's /metrics
 * exposition while it happens.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryRegistry, MetricsModule, createApp, type App } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { testModule } from "../support/apps.js";

let nats: NatsServer;
let server: App;
let client: App;
let registry: MemoryRegistry;
const metrics = new MetricsModule({ processMetrics: false, address: "127.0.0.1:0" });
const clientMetrics = new MetricsModule({ processMetrics: false, address: "127.0.0.1:0" });
const releases: (() => void)[] = [];

async function sample(module: MetricsModule, series: string): Promise<number> {
  const text = await (await fetch(`${module.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

before(async () => {
  nats = await NatsServer.start();
  registry = new MemoryRegistry();
  const slow = testModule("slow", (ctx) => {
    ctx.server.registerGo("/hold", () => new Promise<string>((resolve) => releases.push(() => resolve("done"))));
    ctx.server.registerGo("/echo", (args) => args[0]);
  });
  const config = {
    Module: { slow: [{ Id: "slow", ProcessID: "development" }], Metrics: [{ Id: "m", ProcessID: "development" }, { Id: "mc", ProcessID: "caller" }] },
    Rpc: { MaxCoroutine: 1, MaxQueue: 2 },
  };
  server = createApp({ parseFlags: false, debug: false, registry, nats: { servers: nats.url }, config });
  await server.start([slow, metrics]);
  client = createApp({ parseFlags: false, debug: false, registry, processId: "caller", nats: { servers: nats.url }, config, selector: { strategy: "roundRobin" } });
  await client.start([clientMetrics]);
});

after(async () => {
  for (const r of releases.splice(0)) r();
  await client?.stop();
  await server?.stop();
  await nats?.dispose();
});

test("in flight, queue depth and busy refusals per handler", async () => {
  const calls = Array.from({ length: 5 }, () => client.call("slow", "/hold", []).then(() => "ok", (err: Error) => err.message));
  // One runs, two wait (MaxCoroutine 1, MaxQueue 2), two are refused as busy.
  const deadline = Date.now() + 10_000;
  while ((await sample(metrics, 'mqgen_rpc_server_calls_total{module="slow",handler="/hold",outcome="busy"}')) < 2) {
    if (Date.now() > deadline) throw new Error("no busy refusals counted");
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await sample(metrics, 'mqgen_rpc_server_in_flight{module="slow",handler="/hold"}'), 1);
  assert.equal(await sample(metrics, 'mqgen_rpc_server_queue_depth{module="slow",handler="/hold"}'), 2);
  // Let every held call finish: each release lets the next queued one start and park.
  const pump = setInterval(() => {
    for (const release of releases.splice(0)) release();
  }, 5);
  const outcomes = await Promise.all(calls).finally(() => clearInterval(pump));
  assert.equal(outcomes.filter((o) => o === "ok").length, 3);
  assert.equal(outcomes.filter((o) => /busy/.test(o)).length, 2);
  assert.equal(await sample(metrics, 'mqgen_rpc_server_calls_total{module="slow",handler="/hold",outcome="ok"}'), 3);
  assert.equal(await sample(metrics, 'mqgen_rpc_server_in_flight{module="slow",handler="/hold"}'), 0);
  assert.equal(await sample(metrics, 'mqgen_rpc_server_queue_depth{module="slow",handler="/hold"}'), 0);
});

test("a call whose first node is gone is retried on another, and counted", async () => {
  // A registered node nobody serves: NATS answers "no responders", so the call moves on.
  await registry.register(
    { name: "slow", version: "1.0.0", metadata: null, nodes: [{ id: "slow@00000000000000aa", address: "_INBOX.nobody.serves.this", port: 0, metadata: { version: "1.0.0" } }] },
    { ttlMs: 60_000 },
  );
  for (let i = 0; i < 20 && (await sample(clientMetrics, 'mqgen_rpc_client_retries_total{module="slow",handler="/echo"}')) === 0; i++) {
    assert.equal(await client.call("slow", "/echo", [`r${i}`]), `r${i}`);
  }
  assert.ok((await sample(clientMetrics, 'mqgen_rpc_client_retries_total{module="slow",handler="/echo"}')) >= 1);
});
