/**
 * Memory registry (TTL, watch), the registrar (keeps retrying, re-registers lost entries, deregisters),
 * and the selector (strategies, filters, type@nodeId, dead nodes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MemoryRegistry,
  NoneAvailableError,
  NotFoundError,
  Registrar,
  RegistryError,
  Selector,
  type RegisterOptions,
  type Service,
  type ServiceNode,
  type WatchEvent,
} from "../../runtime/internal.js";
import { sleep } from "../support/apps.js";

function service(name: string, id: string, metadata: Record<string, string> = {}, version = "1.0.0"): Service {
  return { name, version, metadata: null, nodes: [{ id: `${name}@${id}`, address: `local:${name}@${id}`, port: 0, metadata: { version, ...metadata } }] };
}

test("memory registry: register, group by version, TTL expiry and watch events", async () => {
  const registry = new MemoryRegistry();
  const watcher = registry.watch({ service: "svc" });
  const events: WatchEvent[] = [];
  const collecting = (async () => {
    for await (const event of watcher) events.push(event);
  })();
  await registry.register(service("svc", "a"), { ttlMs: 60_000 });
  await registry.register(service("svc", "b", {}, "2.0.0"), { ttlMs: 80 });
  await registry.register(service("svc", "a"), { ttlMs: 60_000 });
  await registry.register(service("svc", "a", { state: "x" }), { ttlMs: 60_000 });
  await registry.register(service("other", "z"), { ttlMs: 60_000 });
  const versions = (await registry.getService("svc")).map((s) => [s.version, s.nodes.map((n) => n.id)]);
  assert.deepEqual(versions.sort(), [["1.0.0", ["svc@a"]], ["2.0.0", ["svc@b"]]]);
  await sleep(150);
  assert.deepEqual((await registry.getService("svc")).map((s) => s.version), ["1.0.0"], "b expired");
  await registry.deregister(service("svc", "a"));
  assert.deepEqual(await registry.getService("svc"), []);
  watcher.stop();
  await collecting;
  assert.deepEqual(
    events.map((e) => `${e.action} ${e.service.nodes[0]?.id}`),
    ["create svc@a", "create svc@b", "renew svc@a", "update svc@a", "delete svc@b", "delete svc@a"],
  );
  assert.deepEqual((await registry.listServices()).map((s) => s.name), ["other"]);
  await registry.close();
});

class FlakyRegistry extends MemoryRegistry {
  failuresLeft: number;
  attempts = 0;
  constructor(failures: number) {
    super();
    this.failuresLeft = failures;
  }
  override async register(s: Service, options: RegisterOptions): Promise<void> {
    this.attempts++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new RegistryError("registry not up yet");
    }
    return super.register(s, options);
  }
}

test("registrar: keeps retrying until the registry answers (mqant #98), re-registers a lost entry, deregisters on stop", async () => {
  const registry = new FlakyRegistry(3);
  const metadata: Record<string, string> = { state: "a" };
  const registrar = new Registrar({ registry, ttlMs: 5000, intervalMs: 60, retryMs: 20, service: () => ({ ...service("m", "1", metadata) }) });
  await registrar.start();
  assert.equal(registrar.isRegistered, false);
  for (let i = 0; i < 200 && !registrar.isRegistered; i++) await sleep(10);
  assert.equal(registrar.isRegistered, true);
  assert.equal(registry.failuresLeft, 0);
  assert.ok(registry.attempts >= 4, "three failed attempts, then success");
  // The registry loses the entry (restart, expiry): the next renewal puts it back.
  await registry.deregister(service("m", "1"));
  assert.deepEqual(await registry.getService("m"), []);
  for (let i = 0; i < 100 && (await registry.getService("m")).length === 0; i++) await sleep(20);
  assert.equal((await registry.getService("m"))[0]?.nodes[0]?.id, "m@1");
  // update() pushes a metadata change at once.
  metadata.state = "b";
  await registrar.update();
  assert.equal((await registry.getService("m"))[0]?.nodes[0]?.metadata.state, "b");
  await registrar.stop();
  assert.deepEqual(await registry.getService("m"), []);
  await sleep(100);
  assert.deepEqual(await registry.getService("m"), [], "no renewal after stop");
  await registry.close();
});

test("selector: strategies, filters per call and app-wide, type@nodeId, dead nodes leave at once", async () => {
  const registry = new MemoryRegistry();
  await registry.register(service("s", "a", { weight: "3", zone: "x" }), { ttlMs: 60_000 });
  await registry.register(service("s", "b", { weight: "1", zone: "y" }), { ttlMs: 60_000 });
  await registry.register(service("s", "c", { weight: "0", zone: "y" }, "2.0.0"), { ttlMs: 60_000 });
  const selector = new Selector({ registry });
  const pick = async (opts?: Parameters<Selector["select"]>[1]): Promise<string> => (await selector.select("s", opts)).id;

  const rr: string[] = [];
  for (let i = 0; i < 6; i++) rr.push(await pick({ strategy: "roundRobin" }));
  assert.deepEqual(rr.slice(0, 3).sort(), ["s@a", "s@b", "s@c"]);
  assert.deepEqual(rr.slice(3), rr.slice(0, 3), "round robin cycles");

  const counts: Record<string, number> = {};
  for (let i = 0; i < 400; i++) {
    const id = await pick({ strategy: "weighted" });
    counts[id] = (counts[id] ?? 0) + 1;
  }
  assert.equal(counts["s@c"], undefined, "weight 0 is never picked");
  assert.ok((counts["s@a"] ?? 0) > (counts["s@b"] ?? 0) * 1.5, JSON.stringify(counts));

  assert.equal(await pick({ version: "2.0.0" }), "s@c");
  assert.equal(await pick({ metadata: { zone: "x" } }), "s@a");
  assert.equal(await pick({ filter: (n: ServiceNode) => n.id.endsWith("b") }), "s@b");
  assert.equal(await pick({ strategy: (nodes) => nodes[nodes.length - 1] as ServiceNode }), "s@c");
  await assert.rejects(pick({ metadata: { zone: "none" } }), NoneAvailableError);
  await assert.rejects(selector.select("missing"), (e: unknown) => e instanceof NoneAvailableError && e.message === "none available");

  assert.equal((await selector.getNode("s@b")).id, "s@b");
  await assert.rejects(selector.getNode("s@nope"), (e: unknown) => e instanceof NotFoundError && e.message === "nofound s@nope");

  // Watch keeps the cache current.
  await registry.register(service("s", "d", { zone: "z" }), { ttlMs: 60_000 });
  await sleep(10);
  assert.equal(await pick({ metadata: { zone: "z" } }), "s@d");
  await registry.deregister(service("s", "d"));
  await sleep(10);
  await assert.rejects(pick({ metadata: { zone: "z" } }), NoneAvailableError);

  // A node the transport found dead leaves at once, even though the registry still lists it.
  selector.markDead("s@a");
  for (let i = 0; i < 20; i++) assert.notEqual(await pick(), "s@a");
  assert.ok(!(await selector.nodes("s")).some((n) => n.id === "s@a"));

  const appWide = new Selector({ registry, defaults: { version: "1.0.0", metadata: { zone: "y" } } });
  for (let i = 0; i < 10; i++) assert.equal((await appWide.select("s")).id, "s@b");
  selector.close();
  appWide.close();
  await registry.close();
});
