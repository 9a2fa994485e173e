/**
 * Three OS processes serve the `echo` module (registered in NATS KV on a real nats-server with JetStream);
 * a caller app in the test process spreads calls by each strategy and filters by version and metadata.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NatsKvRegistry } from "../../runtime/internal.js";
import type { ServiceNode } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { eventually } from "../registry/contract.js";
import { echoModule } from "./echo-module.js";
import { countBy, startCaller, startWorkers, type Caller, type Worker } from "./processes.js";

const ttlMs = 4000;
const intervalMs = 1000;
const who = echoModule.handlers.who!;

describe("routing across three OS processes (NATS KV registry, real nats-server)", () => {
  let server: NatsServer;
  let workers: Worker[];
  let caller: Caller;
  // light: v1.0.0 weight 1; medium: v1.0.0 weight 3; heavy: v2.0.0 weight 6, state=forbidden.
  let light: string;
  let medium: string;
  let heavy: string;

  before(async () => {
    server = await NatsServer.start({ jetstream: true });
    const base = { natsUrl: server.url, ttlMs, intervalMs };
    workers = await startWorkers([
      { ...base, version: "1.0.0", weight: "1" },
      { ...base, version: "1.0.0", weight: "3" },
      { ...base, version: "2.0.0", weight: "6", state: "forbidden" },
    ]);
    [light, medium, heavy] = workers.map((w) => w.nodeId) as [string, string, string];
    caller = await startCaller({
      natsUrl: server.url,
      ttlMs,
      registry: (nc) => new NatsKvRegistry({ connection: nc, bucket: "discovery", ttlMs }),
    });
    await eventually("caller sees three nodes", async () => ((await caller.app.getServersByType("echo")).length === 3 ? true : undefined), 5000);
  });

  after(async () => {
    await caller?.close();
    await Promise.all((workers ?? []).map((w) => w.stop("SIGKILL")));
    await server.dispose();
  });

  const calls = async (n: number, select?: Parameters<Caller["app"]["callHandler"]>[3]): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await caller.app.callHandler(echoModule, who, [0], select));
    return out;
  };

  it("random (default) reaches every node", async () => {
    const counts = countBy(await calls(300));
    assert.deepEqual([...counts.keys()].sort(), [light, medium, heavy].sort());
    for (const [node, count] of counts) assert.ok(count > 30, `${node} got ${count} of 300`);
  });

  it("roundRobin takes turns: equal counts", async () => {
    const counts = countBy(await calls(300, { select: { strategy: "roundRobin" } }));
    assert.deepEqual([...counts.values()], [100, 100, 100]);
  });

  it("weighted follows the `weight` metadata (1 : 3 : 6)", async () => {
    const counts = countBy(await calls(1000, { select: { strategy: "weighted" } }));
    const l = counts.get(light) ?? 0;
    const m = counts.get(medium) ?? 0;
    const h = counts.get(heavy) ?? 0;
    assert.equal(l + m + h, 1000);
    assert.ok(h > m && m > l, `heavy ${h} > medium ${m} > light ${l}`);
    assert.ok(h > 450 && h < 750, `heavy near 60%: ${h}`);
    assert.ok(l > 30 && l < 200, `light near 10%: ${l}`);
  });

  it("a custom strategy function decides alone", async () => {
    const first = (nodes: readonly ServiceNode[]) => [...nodes].sort((a, b) => a.id.localeCompare(b.id))[0]!;
    const counts = countBy(await calls(50, { select: { strategy: first } }));
    assert.deepEqual([...counts.keys()], [[light, medium, heavy].sort()[0]]);
  });

  it("version filter routes to that version only", async () => {
    assert.deepEqual([...countBy(await calls(60, { select: { version: "2.0.0" } })).keys()], [heavy]);
    assert.deepEqual([...countBy(await calls(60, { select: { version: "1.0.0" } })).keys()].sort(), [light, medium].sort());
  });

  it("metadata filters skip state=forbidden (rolling restart) and match exact metadata", async () => {
    const allowed = countBy(await calls(90, { select: { filter: (node) => node.metadata.state !== "forbidden" } }));
    assert.deepEqual([...allowed.keys()].sort(), [light, medium].sort());
    assert.deepEqual([...countBy(await calls(30, { select: { metadata: { weight: "3" } } })).keys()], [medium]);
  });

  it("type@nodeId goes to that node; an unknown node id fails with a clear error", async () => {
    assert.deepEqual([...countBy(await calls(20, { node: medium })).keys()], [medium]);
    await assert.rejects(caller.app.callHandler(echoModule, who, [0], { node: "echo@0000000000000000" }), (error: Error) => {
      assert.match(error.message, /0000000000000000/);
      return true;
    });
  });

  it("app-wide selector options apply to every call", async () => {
    const filtered = await startCaller({
      natsUrl: server.url,
      ttlMs,
      registry: (nc) => new NatsKvRegistry({ connection: nc, bucket: "discovery", ttlMs }),
      selector: { filter: (node) => node.metadata.state !== "forbidden", strategy: "roundRobin" },
    });
    try {
      await eventually("caller sees three nodes", async () => ((await filtered.app.getServersByType("echo")).length === 3 ? true : undefined), 5000);
      const seen: string[] = [];
      for (let i = 0; i < 40; i++) seen.push(await filtered.app.callHandler(echoModule, who, [0]));
      assert.deepEqual([...countBy(seen).values()], [20, 20]);
      assert.ok(!seen.includes(heavy));
    } finally {
      await filtered.close();
    }
  });
});
