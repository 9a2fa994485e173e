/**
 * Dead and leaving nodes across OS processes, on a real nats-server with JetStream and the NATS KV
 * registry: graceful stop loses no call, SIGKILL costs no client-visible error for a retry-safe handler and
 * leaves routing in under a second, JetStream restarts and TTL expiry.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NatsKvRegistry } from "../../runtime/internal.js";
import type { ServiceNode } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { eventually } from "../registry/contract.js";
import { echoModule } from "./echo-module.js";
import { countBy, startCaller, startWorkers, type Caller, type Worker } from "./processes.js";

const ttlMs = 2000;
const intervalMs = 1000;
/** Workers' registry request timeout: a register attempt caught by the restart fails this fast. */
const workerRequestTimeoutMs = 250;
const who = echoModule.handlers.who!;

/** Keeps `lanes` calls in flight until stopped; records every result and error. */
function load(caller: Caller, lanes: number, handler = who, delayMs = 2) {
  const results: Array<{ node: string; at: number }> = [];
  const errors: Error[] = [];
  let running = true;
  const done = Promise.all(
    Array.from({ length: lanes }, async () => {
      while (running) {
        try {
          const node = await caller.app.callHandler(echoModule, handler, [delayMs], { timeout: 1500 });
          results.push({ node, at: Date.now() });
        } catch (error) {
          errors.push(error as Error);
          // An error can come back without any I/O (e.g. a closed app); yield so the loop cannot starve the event loop.
          await new Promise((r) => setImmediate(r));
        }
      }
    }),
  );
  return {
    results,
    errors,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe("dead and leaving nodes (OS processes, NATS KV, real nats-server)", () => {
  let server: NatsServer;
  let workers: Worker[] = [];
  let caller: Caller | undefined;

  // Worker processes take seconds to start, so one pool serves the file: each test takes its victim from the
  // nodes still alive and checks the others against that live set, so no test relies on another's outcome.
  before(async () => {
    server = await NatsServer.start({ jetstream: true });
    workers = await startWorkers([0, 1, 2, 3, 4].map(() => ({ natsUrl: server.url, ttlMs, intervalMs, requestTimeoutMs: workerRequestTimeoutMs })));
    caller = await startCaller({
      natsUrl: server.url,
      ttlMs,
      registry: (nc) => new NatsKvRegistry({ connection: nc, bucket: "discovery", ttlMs, requestTimeoutMs: 1000 }),
    });
  });

  after(async () => {
    await caller?.close();
    caller = undefined;
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    await server.dispose();
  });

  /** Live workers, once the caller routes to every one of them. */
  async function liveWorkers(atLeast: number): Promise<Worker[]> {
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    assert.ok(live.length >= atLeast, `at least ${atLeast} live workers for this test`);
    const ids = live.map((w) => w.nodeId).sort();
    await eventually(
      "caller routes to every live worker",
      async () => ((await caller!.app.getServersByType("echo")).map((n) => n.id).sort().join() === ids.join() ? true : undefined),
      ttlMs + 3000,
    );
    return live;
  }

  it("a node stopped gracefully (SIGTERM) under load loses no call", async () => {
    const live = await liveWorkers(2);
    const traffic = load(caller!, 8);
    await new Promise((r) => setTimeout(r, 300));
    const leaving = live[0]!;
    const before = traffic.results.length;
    await leaving.stop("SIGTERM");
    assert.ok(leaving.stoppedGracefully, "the worker ran its graceful stop");
    await new Promise((r) => setTimeout(r, 500));
    await traffic.stop();
    assert.deepEqual(traffic.errors.map((e) => e.message), []);
    assert.ok(traffic.results.length > before + 50, "calls kept flowing");
    const after = traffic.results.filter((r) => r.at > Date.now() - 300);
    assert.ok(after.every((r) => r.node !== leaving.nodeId), "no call lands on the stopped node");
    assert.ok(!(await caller!.app.getServersByType("echo")).some((n) => n.id === leaving.nodeId));
  });

  it("after SIGKILL, a call routed to the dead node fails fast (no responders), is retried on a live node, and the node leaves routing at once", async () => {
    const live = await liveWorkers(2);
    const victim = live[0]!;
    victim.signal("SIGKILL");
    await victim.exited;
    // Prefer the victim while the caller still lists it, so the first call is sent to the dead node.
    const preferVictim = (nodes: readonly ServiceNode[]) =>
      nodes.find((n) => n.id === victim.nodeId) ?? nodes[0]!;
    assert.ok((await caller!.app.getServersByType("echo")).some((n) => n.id === victim.nodeId), "still listed before any call");
    const started = Date.now();
    const answeredBy = await caller!.app.callHandler(echoModule, who, [0], { timeout: 3000, select: { strategy: preferVictim } });
    const elapsed = Date.now() - started;
    assert.notEqual(answeredBy, victim.nodeId);
    assert.ok(elapsed < 1000, `answered after ${elapsed} ms, not at the 3 s deadline`);
    assert.ok(!(await caller!.app.getServersByType("echo")).some((n) => n.id === victim.nodeId), "dead node out of routing");
    const spread = countBy(await Promise.all(Array.from({ length: 60 }, () => caller!.app.callHandler(echoModule, who, [0]))));
    assert.deepEqual([...spread.keys()].sort(), live.slice(1).map((w) => w.nodeId).sort());
  });

  it(
    "a node killed with SIGKILL mid-load costs no client-visible error for a retry-safe handler and is out of routing in under 1 s",
    async (t) => {
      const traffic = load(caller!, 8);
      let killedAt = 0;
      let outOfRoutingAt = 0;
      const live = await liveWorkers(3);
      const victim = live[0]!;
      try {
        await eventually("every node served calls", async () => (new Set(traffic.results.map((r) => r.node)).size === live.length ? true : undefined), 3000);
        killedAt = Date.now();
        victim.signal("SIGKILL");
        await victim.exited;
        outOfRoutingAt = await eventually(
          "victim out of routing",
          async () => ((await caller!.app.getServersByType("echo")).some((n) => n.id === victim.nodeId) ? undefined : Date.now()),
          5000,
          5,
        );
        // Long enough for calls in flight at the kill to reach their deadline if they are not retried.
        await new Promise((r) => setTimeout(r, 1800));
      } finally {
        await traffic.stop();
      }
      t.diagnostic(`out of routing ${outOfRoutingAt - killedAt} ms after SIGKILL`);
      assert.deepEqual(traffic.errors.map((e) => e.message), []);
      assert.ok(outOfRoutingAt - killedAt < 1000, `left routing after ${outOfRoutingAt - killedAt} ms`);
      const later = traffic.results.filter((r) => r.at > outOfRoutingAt + 50);
      assert.ok(!later.some((r) => r.node === victim.nodeId));
      assert.equal(new Set(later.map((r) => r.node)).size, live.length - 1, "the survivors share the load");
    },
  );

  it("a JetStream server restart (down longer than the TTL) leaves every node registered again within one interval", async (t) => {
    const live = await liveWorkers(1);
    const registry = new NatsKvRegistry({ connection: caller!.nc, bucket: "discovery", ttlMs, requestTimeoutMs: 500 });
    const ids = live.map((w) => w.nodeId).sort();
    const registered = async () => (await registry.getService("echo")).flatMap((s) => s.nodes.map((n) => n.id)).sort();
    // A node killed by an earlier test stays in the bucket until its TTL; start from the live set only.
    await eventually("registry holds exactly the live nodes", async () => ((await registered()).join() === ids.join() ? true : undefined), ttlMs + 2000);
    await server.stop();
    await new Promise((r) => setTimeout(r, ttlMs + 500));
    await server.restart();
    // Measure from the moment JetStream answers again (it needs a moment to recover its streams).
    const back = await eventually("JetStream answers", async () => (await registered(), Date.now()), 10_000, 10);
    const all = await eventually(
      "all nodes registered again",
      async () => ((await registered()).join() === ids.join() ? Date.now() : undefined),
      intervalMs + 2000,
      10,
    );
    // A registrar retries one interval after a failed attempt; an attempt already waiting on JetStream when it
    // came back can first need its own timeout to fail.
    t.diagnostic(`every node registered again ${all - back} ms after JetStream answered`);
    assert.ok(all - back <= intervalMs + workerRequestTimeoutMs + 500, `re-registered ${all - back} ms after JetStream came back`);
    const served = countBy(await Promise.all(Array.from({ length: 60 }, () => caller!.app.callHandler(echoModule, who, [0]))));
    assert.equal(served.size, live.length, "every node answers calls again");
    await registry.close();
  });

  it("a node that stops renewing (SIGSTOP) is removed after its TTL, and comes back when it resumes", async () => {
    const live = await liveWorkers(2);
    const frozen = live[0]!;
    const registry = new NatsKvRegistry({ connection: caller!.nc, bucket: "discovery", ttlMs });
    try {
      frozen.signal("SIGSTOP");
      const stoppedAt = Date.now();
      await eventually(
        "frozen node expired from the registry",
        async () => ((await registry.getService("echo")).some((s) => s.nodes.some((n) => n.id === frozen.nodeId)) ? undefined : true),
        ttlMs + 3000,
      );
      assert.ok(Date.now() - stoppedAt >= ttlMs - intervalMs, "not removed before its TTL");
      // The caller's watcher confirms an expiry with a read of its own, and after a registry outage (the test
      // before this one restarts JetStream) it first gives every entry a full TTL of working registry: so the
      // bound is a TTL beyond the store's own expiry, not a fixed two seconds.
      await eventually(
        "frozen node out of the caller's routing",
        async () => ((await caller!.app.getServersByType("echo")).some((n) => n.id === frozen.nodeId) ? undefined : true),
        ttlMs + 2000,
      );
      frozen.signal("SIGCONT");
      await eventually(
        "resumed node registered again",
        async () => ((await registry.getService("echo")).some((s) => s.nodes.some((n) => n.id === frozen.nodeId)) ? true : undefined),
        intervalMs + 2000,
      );
    } finally {
      frozen.signal("SIGCONT");
      await registry.close();
    }
  });
});
