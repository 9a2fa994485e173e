/**
 * Dead-node detection that does not lean on "no responders", on a real nats-server: with a monitoring `>`
 * subscriber on the same NATS (which makes nats-server deliver every request somewhere, so it never
 * answers 503), a worker killed with SIGKILL mid-load is still found within a second and costs retry-safe
 * callers nothing; and waiting on a slow Go mqant node sends that node no probe at all (each probe used to
 * be an empty message, which mqant logs as a 6-line `Remote function() not found` warning).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import { DeadlineExceededError, MemoryRegistry, NatsKvRegistry, createApp } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { eventually } from "../registry/contract.js";
import { echoModule } from "./echo-module.js";
import { startCaller, startWorkers, type Caller, type Worker } from "./processes.js";

const ttlMs = 3000;
const intervalMs = 1000;
const who = echoModule.handlers.who!;

describe("dead nodes with a monitoring `>` subscriber on the NATS (OS processes, real nats-server)", () => {
  let server: NatsServer;
  let monitor: NatsConnection;
  let monitored = 0;
  let workers: Worker[] = [];
  let caller: Caller | undefined;

  before(async () => {
    server = await NatsServer.start({ jetstream: true });
    monitor = await connect({ servers: server.url });
    monitor.subscribe(">", { callback: () => monitored++ });
    await monitor.flush();
    workers = await startWorkers([0, 1].map(() => ({ natsUrl: server.url, ttlMs, intervalMs, kvBucket: "monitored" })));
    caller = await startCaller({
      natsUrl: server.url,
      ttlMs,
      registry: (nc) => new NatsKvRegistry({ connection: nc, bucket: "monitored", ttlMs, requestTimeoutMs: 1000 }),
    });
  });

  after(async () => {
    await caller?.close();
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    await monitor.close();
    await server.dispose();
  });

  it("a worker killed with SIGKILL is found within a second; retry-safe calls see no error and none waits for its deadline", async (t) => {
    const ids = workers.map((w) => w.nodeId).sort();
    await eventually("caller routes to both workers", async () => ((await caller!.app.getServersByType("echo")).map((n) => n.id).sort().join() === ids.join() ? true : undefined), 10_000);
    const timeoutMs = 2000;
    const outcomes: Array<{ startedAt: number; settledAt: number; node?: string; error?: Error }> = [];
    let running = true;
    const lanes = Array.from({ length: 8 }, async () => {
      while (running) {
        const startedAt = Date.now();
        try {
          const node = await caller!.app.callHandler(echoModule, who, [2], { timeout: timeoutMs });
          outcomes.push({ startedAt, settledAt: Date.now(), node });
        } catch (error) {
          outcomes.push({ startedAt, settledAt: Date.now(), error: error as Error });
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    });
    const victim = workers[0]!;
    let killedAt = 0;
    let outAt = 0;
    try {
      await eventually("both workers serve", async () => (new Set(outcomes.map((o) => o.node)).size === 2 ? true : undefined), 5000);
      const monitoredBefore = monitored;
      killedAt = Date.now();
      victim.signal("SIGKILL");
      await victim.exited;
      outAt = await eventually(
        "victim out of routing",
        async () => ((await caller!.app.getServersByType("echo")).some((n) => n.id === victim.nodeId) ? undefined : Date.now()),
        5000,
        5,
      );
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(monitored > monitoredBefore + 100, "the monitor saw the traffic (so nats-server never answered no responders)");
    } finally {
      running = false;
      await Promise.all(lanes);
    }
    const spanning = outcomes.filter((o) => o.startedAt <= killedAt && o.settledAt >= killedAt);
    const slowest = Math.max(...outcomes.filter((o) => o.settledAt >= killedAt).map((o) => o.settledAt - o.startedAt));
    t.diagnostic(`out of routing ${outAt - killedAt} ms after SIGKILL; ${spanning.length} calls in flight at the kill; slowest call after it ${slowest} ms`);
    assert.deepEqual(outcomes.filter((o) => o.error !== undefined).map((o) => o.error!.message), []);
    assert.ok(outAt - killedAt < 1000, `left routing ${outAt - killedAt} ms after the kill`);
    assert.ok(slowest < 1200, `a call took ${slowest} ms: calls waited on the dead node instead of moving on`);
  });
});

describe("waiting on a Go mqant node (a plain NATS subscriber in mqant's place)", () => {
  let server: NatsServer;
  let node: NatsConnection;
  before(async () => {
    server = await NatsServer.start();
    node = await connect({ servers: server.url });
  });
  after(async () => {
    await node.close();
    await server.dispose();
  });

  it("a slow call sends the node its request and nothing else: no liveness probe reaches it", async () => {
    const address = "_INBOX.GoMqantNode0000000000";
    const received: Uint8Array[] = [];
    // Like a Go mqant node running a slow handler: it gets the request and does not answer in time.
    node.subscribe(address, { callback: (_err, msg) => received.push(msg.data) });
    await node.flush();
    const registry = new MemoryRegistry();
    await registry.register(
      { name: "mqant", version: "1.0.0", metadata: null, nodes: [{ id: "mqant@00c0ffee00c0ffee", address, port: 0, metadata: { version: "1.0.0" } }] },
      { ttlMs: 60_000 },
    );
    const app = createApp({ parseFlags: false, debug: false, registry, nats: { servers: server.url } });
    await app.start([]);
    try {
      const started = Date.now();
      await assert.rejects(app.call("mqant", "/test/slow", ["x"], { timeout: 2000 }), DeadlineExceededError);
      assert.ok(Date.now() - started >= 1900, "the node, alive and subscribed, keeps the call until its deadline");
      await node.flush();
      assert.equal(received.length, 1, `the node received ${received.length} messages: the request and ${received.length - 1} probes`);
      assert.ok(received[0]!.length > 0, "the one message is the request");
    } finally {
      await app.stop();
      await registry.close();
    }
  });
});
