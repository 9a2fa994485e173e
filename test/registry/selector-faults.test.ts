/**
 * The selector under faults: a dead mark is a suspicion, not a 20 s sentence (a node that answers a probe
 * or re-registers, even unchanged, is routable again within a second); a registry that stops answering
 * keeps the last known nodes and new lookups fail clearly and recover on their own; and no lookup
 * outlives the call's deadline.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import {
  AbortedError,
  DeadlineExceededError,
  MemoryRegistry,
  NoneAvailableError,
  RegistryError,
  Selector,
  createApp,
  type Registry,
  type Service,
  type ServiceNode,
  NatsSubjectCheck,
  natsProbe,
} from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { eventually } from "./contract.js";

function service(name: string, id: string, address = `_INBOX.${name}${id}`): Service {
  return { name, version: "1.0.0", metadata: null, nodes: [{ id: `${name}@${id}`, address, port: 0, metadata: { version: "1.0.0" } }] };
}

async function routable(selector: Selector, type: string): Promise<string[]> {
  return (await selector.nodes(type)).map((n) => n.id).sort();
}

/** A registry whose reads can be made to fail or to hang, in front of a real memory registry. */
class UnreliableRegistry extends MemoryRegistry {
  failing = false;
  delayMs = 0;
  reads = 0;
  override async getService(name: string): Promise<Service[]> {
    this.reads++;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing) throw new RegistryError("registry memory: unreachable (test outage)");
    return super.getService(name);
  }
}

describe("selector: a blip is a blip", () => {
  it("a node reported dead is routable again within 1 s once it answers a probe", async () => {
    const registry = new MemoryRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await registry.register(service("s", "b"), { ttlMs: 60_000 });
    let aAnswers = false;
    const probed: string[] = [];
    const selector = new Selector({
      registry,
      deadMs: 20_000,
      probe: async (node: ServiceNode) => {
        probed.push(node.id);
        return node.id === "s@a" && aAnswers;
      },
    });
    assert.deepEqual(await routable(selector, "s"), ["s@a", "s@b"]);
    selector.markDead("s@a");
    assert.deepEqual(await routable(selector, "s"), ["s@b"], "out of routing at once");
    await new Promise((r) => setTimeout(r, 450));
    assert.deepEqual(await routable(selector, "s"), ["s@b"], "still out while it does not answer");
    assert.ok(probed.includes("s@a"), "the suspect is probed");
    aAnswers = true;
    const back = Date.now();
    await eventually("s@a back in routing", async () => ((await routable(selector, "s")).includes("s@a") ? true : undefined), 1000, 10);
    assert.ok(Date.now() - back < 1000);
    selector.close();
    await registry.close();
  });

  it("an unchanged re-registration brings a node reported dead back at once, without any probe", async () => {
    const registry = new MemoryRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await registry.register(service("s", "b"), { ttlMs: 60_000 });
    const selector = new Selector({ registry, deadMs: 20_000 });
    assert.deepEqual(await routable(selector, "s"), ["s@a", "s@b"]);
    selector.markDead("s@a");
    assert.deepEqual(await routable(selector, "s"), ["s@b"]);
    // Its registrar renews the same record (what every node does each register interval).
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await eventually("s@a back after its renewal", async () => ((await routable(selector, "s")).includes("s@a") ? true : undefined), 1000, 10);
    selector.close();
    await registry.close();
  });

  it("a suspect that never answers stays out, and a registry re-read does not bring it back early", async () => {
    const registry = new MemoryRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await registry.register(service("s", "b"), { ttlMs: 60_000 });
    const selector = new Selector({ registry, deadMs: 5_000, cacheTtlMs: 50, probe: async () => false });
    await routable(selector, "s");
    selector.markDead("s@a");
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await routable(selector, "s"), ["s@b"]);
    }
    selector.close();
    await registry.close();
  });
});

describe("selector: every node suspected at once", () => {
  it("a call waits (within its deadline) for a suspect to come back instead of failing with none available", async () => {
    const registry = new MemoryRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await registry.register(service("s", "b"), { ttlMs: 60_000 });
    let backAt = Number.POSITIVE_INFINITY;
    const selector = new Selector({ registry, probe: async () => Date.now() >= backAt });
    await routable(selector, "s");
    selector.markDead("s@a");
    selector.markDead("s@b");
    await assert.rejects(selector.select("s"), NoneAvailableError, "without a deadline nothing waits");
    backAt = Date.now() + 300;
    const started = Date.now();
    const node = await selector.select("s", undefined, { deadline: Date.now() + 2000 });
    assert.ok(["s@a", "s@b"].includes(node.id));
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 1000, `picked after ${took} ms`);
    backAt = Number.POSITIVE_INFINITY;
    selector.markDead("s@a");
    selector.markDead("s@b");
    const waitStarted = Date.now();
    await assert.rejects(selector.select("s", undefined, { deadline: Date.now() + 300 }), DeadlineExceededError);
    assert.ok(Date.now() - waitStarted < 500);
    // Only a reconnect's worth: a node gone for longer (it left, or stays away) is not waited for.
    const longStarted = Date.now();
    await assert.rejects(selector.select("s", undefined, { deadline: Date.now() + 3000 }), NoneAvailableError);
    assert.ok(Date.now() - longStarted < 1200, `gave up after ${Date.now() - longStarted} ms`);
    selector.close();
    await registry.close();
  });
});

describe("selector probe over real NATS", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let backend: NatsConnection;
  before(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
    backend = await connect({ servers: server.url });
  });
  after(async () => {
    await nc.close();
    await backend.close();
    await server.dispose();
  });

  it("says gone while nothing is subscribed to the node's subject, back once the node subscribes again — never fooled by a `>` subscriber, never sending the node anything", async () => {
    const monitor = await connect({ servers: server.url });
    let monitored = 0;
    monitor.subscribe(">", { callback: (_err, msg) => (msg.subject === "_INBOX.probe-target" ? monitored++ : undefined) });
    await monitor.flush();
    const probe = natsProbe(nc, { timeoutMs: 200 });
    const node: ServiceNode = { id: "s@x", address: "_INBOX.probe-target", port: 0, metadata: {} };
    const started = Date.now();
    assert.equal(await probe(node), false, "a wildcard subscriber is not the node");
    assert.ok(Date.now() - started < 150, "answered at once");
    let delivered = 0;
    const sub = backend.subscribe(node.address, { callback: () => delivered++ });
    await backend.flush();
    const check = new NatsSubjectCheck(nc, { timeoutMs: 200 });
    const presence = await check.check(node.address);
    assert.equal(presence.state, "present");
    assert.ok(presence.connectedAt !== undefined && Math.abs(presence.connectedAt - Date.now()) < 60_000, "with its connection's start");
    assert.equal(await probe(node), true);
    sub.unsubscribe();
    await backend.flush();
    assert.equal(await probe(node), false);
    assert.equal((await check.check(node.address)).state, "absent");
    assert.equal(await probe({ ...node, address: "local:s@x" }), false, "an in-process-only node of another process is never back");
    await monitor.flush();
    assert.equal(delivered, 0, "the node received nothing");
    assert.equal(monitored, 0, "nothing was published on the node's subject at all");
    await monitor.close();
  });
});

describe("selector: registry outage", () => {
  it("a failing registry read keeps the last known nodes; new selectors fail clearly and recover by themselves", async () => {
    const registry = new UnreliableRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await registry.register(service("s", "b"), { ttlMs: 60_000 });
    const running = new Selector({ registry, cacheTtlMs: 20, probe: async () => false });
    assert.deepEqual(await routable(running, "s"), ["s@a", "s@b"]);

    registry.failing = true;
    const readsBefore = registry.reads;
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(await routable(running, "s"), ["s@a", "s@b"], "kept through failed re-reads");
      assert.ok((await running.select("s")).id.startsWith("s@"));
    }
    assert.ok(registry.reads > readsBefore, "the registry was asked again (and failed)");
    // A node found dead during the outage still leaves routing.
    running.markDead("s@b");
    assert.deepEqual(await routable(running, "s"), ["s@a"]);

    const fresh = new Selector({ registry });
    await assert.rejects(fresh.select("s"), (e: unknown) => e instanceof RegistryError && /unreachable/.test(e.message));
    await assert.rejects(fresh.select("s"), RegistryError, "each lookup asks again, none is cached as empty");
    registry.failing = false;
    assert.ok((await fresh.select("s")).id.startsWith("s@"), "recovered without a restart");
    running.close();
    fresh.close();
    await registry.close();
  });
});

/** A registry whose reads leave one node out (as a read from a replica still catching up may) or wait. */
class LossyRegistry extends MemoryRegistry {
  hidden: string | undefined;
  stall: Promise<void> | undefined;
  override async getService(name: string): Promise<Service[]> {
    if (this.stall !== undefined) await this.stall;
    const services = await super.getService(name);
    return services.map((s) => ({ ...s, nodes: s.nodes.filter((n) => n.id !== this.hidden) })).filter((s) => s.nodes.length > 0);
  }
}

describe("selector: a read that misses a node", () => {
  it("a node a registry read left out is routable again at its next renewal, unchanged as it is", async () => {
    const registry = new LossyRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await registry.register(service("s", "b"), { ttlMs: 60_000 });
    const selector = new Selector({ registry, cacheTtlMs: 20 });
    assert.deepEqual(await routable(selector, "s"), ["s@a", "s@b"]);
    registry.hidden = "s@a";
    await eventually("a re-read left s@a out", async () => ((await routable(selector, "s")).join() === "s@b" ? true : undefined), 2000, 10);
    // No read brings it back from here on: only the registry's watch can.
    let release = (): void => undefined;
    registry.stall = new Promise<void>((resolve) => {
      release = resolve;
    });
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    await eventually("s@a back after its renewal", async () => ((await routable(selector, "s")).includes("s@a") ? true : undefined), 1000, 10);
    release();
    selector.close();
    await registry.close();
  });
});

describe("selector: lookups honour the call's deadline", () => {
  it("select, getNode and nodes give up at the deadline or on abort while the registry is slow", async () => {
    const registry = new UnreliableRegistry();
    await registry.register(service("s", "a"), { ttlMs: 60_000 });
    registry.delayMs = 3000;
    const selector = new Selector({ registry });
    let started = Date.now();
    await assert.rejects(selector.select("s", undefined, { deadline: Date.now() + 200 }), DeadlineExceededError);
    let took = Date.now() - started;
    assert.ok(took >= 190 && took < 400, `select gave up after ${took} ms`);
    started = Date.now();
    await assert.rejects(selector.getNode("s@a", { deadline: Date.now() + 100 }), DeadlineExceededError);
    took = Date.now() - started;
    assert.ok(took < 300, `getNode gave up after ${took} ms`);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(selector.nodes("s", { signal: abort.signal }), AbortedError);
    selector.close();
    await registry.close();
  });

  it("a call with a 300 ms timeout fails by its deadline although the registry takes 3 s", async () => {
    const registry = new UnreliableRegistry();
    await registry.register(service("remote", "x"), { ttlMs: 60_000 });
    registry.delayMs = 3000;
    const app = createApp({ parseFlags: false, debug: false, registry: registry as Registry });
    await app.start([]);
    const started = Date.now();
    await assert.rejects(app.call("remote", "/fn", [], { timeout: 300 }), DeadlineExceededError);
    const took = Date.now() - started;
    assert.ok(took < 300 + 100, `settled ${took} ms after the call, deadline 300 ms`);
    await app.stop();
    await registry.close();
  });
});
