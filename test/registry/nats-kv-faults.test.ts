/**
 * The NATS KV registry under faults, on real nats-server processes: JetStream state lost (the server back
 * with an empty store), the server holding the bucket down while the RPC servers are fine, and the
 * replicas option on a 3-node cluster.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import { NatsKvRegistry, Registrar, RegistryError, type Service, type WatchEvent } from "../../runtime/internal.js";
import { echoModule } from "../discovery/echo-module.js";
import { keepCalling, startCallerApp, startEchoBackend, waitUntil, waitUntilNoError, type FaultApp } from "../support/fault-apps.js";
import { NatsCluster } from "../support/nats-cluster.js";
import { NatsServer } from "../support/nats-server.js";
import { makeService } from "./contract.js";

async function registeredIds(registry: NatsKvRegistry, name: string): Promise<string[]> {
  return (await registry.getService(name)).flatMap((s) => s.nodes.map((n) => n.id)).sort();
}

describe("NATS KV: JetStream state lost", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  before(async () => {
    server = await NatsServer.start({ jetstream: true });
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
  });
  after(async () => {
    await nc.close();
    await server.dispose();
  });

  it("a running node re-creates the bucket and registers again within one register interval", async (t) => {
    const intervalMs = 1000;
    const requestTimeoutMs = 300;
    const registry = new NatsKvRegistry({ connection: nc, bucket: "state-lost", ttlMs: 5000, requestTimeoutMs });
    const service: Service = makeService("lost");
    const registrar = new Registrar({ registry, ttlMs: 5000, intervalMs, retryMs: 250, service: () => service });
    const observer = new NatsKvRegistry({ connection: nc, bucket: "state-lost", ttlMs: 5000, requestTimeoutMs });
    try {
      await registrar.start();
      assert.deepEqual(await registeredIds(observer, "lost"), [service.nodes[0]!.id]);
      await server.restart(0, { emptyStore: true });
      const back = await waitUntilNoError("JetStream answers again", async () => {
        await (await nc.jetstreamManager({ timeout: 200 })).getAccountInfo();
        return true;
      }, 10_000);
      const registered = await waitUntilNoError("registered again", async () => {
        return (await registeredIds(observer, "lost")).length === 1;
      }, 3 * intervalMs);
      t.diagnostic(`registered again ${registered - back} ms after JetStream answered (interval ${intervalMs} ms)`);
      assert.ok(registered - back <= intervalMs + requestTimeoutMs, `took ${registered - back} ms`);
      assert.equal(registrar.isRegistered, true);
    } finally {
      await registrar.stop();
      await registry.close();
      await observer.close();
    }
  });

  it("the bucket deleted under a running node and a watcher: the node creates it again and registers, and the watcher keeps the node", async () => {
    const ttlMs = 3000;
    const registry = new NatsKvRegistry({ connection: nc, bucket: "deleted", ttlMs, requestTimeoutMs: 500 });
    const service: Service = makeService("kept");
    const registrar = new Registrar({ registry, ttlMs, intervalMs: 300, retryMs: 100, service: () => service });
    const watcherRegistry = new NatsKvRegistry({ connection: nc, bucket: "deleted", ttlMs, requestTimeoutMs: 500 });
    const events: Array<WatchEvent & { at: number }> = [];
    const watcher = watcherRegistry.watch({ service: "kept" });
    const watching = (async () => {
      for await (const event of watcher) events.push({ ...event, at: Date.now() });
    })();
    try {
      await registrar.start();
      await waitUntil("the watcher lists the node", () => events.some((e) => e.action === "create"), 10_000);
      const jsm = await nc.jetstreamManager();
      // Another node's many renewals first, so that the new stream's sequences stay below the old one's for longer than the TTL.
      const other = makeService("other");
      for (let i = 0; i < 200; i++) await registry.register(other, { ttlMs });
      const before = (await jsm.streams.info("KV_deleted")).state.last_seq;
      await jsm.streams.delete("KV_deleted");
      const deletedAt = Date.now();
      await waitUntilNoError("the bucket exists again", async () => {
        return (await jsm.streams.info("KV_deleted")).state.messages > 0;
      }, 10_000, 50);
      // Sequences start over in the new stream: the watcher must take them as newer all the same.
      assert.ok((await jsm.streams.info("KV_deleted")).state.last_seq < before, "the new stream numbers its messages from 1 again");
      await waitUntil("the watcher hears the node again", () => events.some((e) => e.action !== "create" && e.at > deletedAt), 10_000);
      assert.deepEqual(events.filter((e) => e.action === "delete"), [], "the watcher never reported the node gone");
      assert.deepEqual(await registeredIds(watcherRegistry, "kept"), [service.nodes[0]!.id]);
    } finally {
      watcher.stop();
      await watching;
      await registrar.stop();
      await registry.close();
      await watcherRegistry.close();
    }
  });
});

describe("NATS KV on a 3-node JetStream cluster", () => {
  let cluster: NatsCluster;
  const apps: FaultApp[] = [];
  before(async () => {
    cluster = await NatsCluster.start(3, "mqgen-kv-faults");
  });
  after(async () => {
    for (const app of apps.splice(0)) await app.close();
    await cluster.dispose();
  });

  it("with replicas 3, registrations survive losing any one server, including the bucket's stream leader", async (t) => {
    const nc = await connect({ servers: cluster.urls, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const registry = new NatsKvRegistry({ connection: nc, bucket: "replicated", ttlMs: 60_000, replicas: 3, requestTimeoutMs: 2000 });
    const service = makeService("kept");
    try {
      await registry.register(service, { ttlMs: 60_000 });
      const jsm = await nc.jetstreamManager();
      assert.equal((await jsm.streams.info("KV_replicated")).config.num_replicas, 3);
      for (const victim of cluster.nodes) {
        await cluster.waitForJetStream(30_000, "KV_replicated");
        const leader = await cluster.streamLeader("KV_replicated");
        const killedAt = Date.now();
        await victim.stop("SIGKILL");
        // JetStream's own failover (a new meta and stream leader) takes 4-10 s on an idle machine and more
        // under a full suite's load; the bound is generous because the point is that the record survives.
        let readable: number;
        try {
          readable = await waitUntilNoError(`read with ${victim.name}${victim.name === leader ? " (the stream leader)" : ""} down`, async () => {
            return (await registeredIds(registry, "kept")).join() === service.nodes[0]!.id;
          }, 45_000, 100);
        } finally {
          // Back before the next victim (or the next test), whatever this wait found.
          await victim.start();
        }
        t.diagnostic(`${victim.name}${victim.name === leader ? " (stream leader)" : ""} killed: registry readable ${readable - killedAt} ms later`);
      }
    } finally {
      await registry.close();
      await nc.close();
    }
  });

  it("a stream leader lost for longer than the TTL: a watcher that heard nothing keeps the node, which registers again by itself", async (t) => {
    // Far below JetStream's failover time (an election takes seconds), so the entry surely lapses meanwhile.
    const ttlMs = 1500;
    const intervalMs = 300;
    await cluster.waitForJetStream(30_000);
    const setup = await connect({ servers: cluster.urls });
    const creator = new NatsKvRegistry({ connection: setup, bucket: "failover", ttlMs, replicas: 3, requestTimeoutMs: 1000 });
    await waitUntilNoError("bucket created", async () => {
      await creator.listServices();
      return true;
    }, 45_000, 200);
    await creator.close();
    await setup.close();
    await cluster.waitForJetStream(30_000, "KV_failover");
    const leaderName = await cluster.streamLeader("KV_failover");
    assert.ok(leaderName !== undefined);
    const leader = cluster.node(leaderName);
    // Node and watcher talk to the other servers: only the stream loses its leader. Those servers keep
    // answering direct reads meanwhile, and no watch delivers anything, since no node can renew.
    const others = cluster.nodes.filter((n) => n !== leader).map((n) => n.url);
    const nodeNc = await connect({ servers: others, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const watcherNc = await connect({ servers: others, maxReconnectAttempts: -1, reconnectTimeWait: 50 });
    const options = { bucket: "failover", ttlMs, replicas: 3, requestTimeoutMs: 500 };
    const nodeRegistry = new NatsKvRegistry({ connection: nodeNc, ...options });
    const watcherRegistry = new NatsKvRegistry({ connection: watcherNc, ...options });
    const service = makeService("lapsed");
    const attempts: Array<{ at: number; ok: boolean }> = [];
    let renewing = true;
    const renewals = (async () => {
      while (renewing) {
        const at = Date.now();
        attempts.push({ at, ok: await nodeRegistry.register(service, { ttlMs }).then(() => true, () => false) });
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
    const events: Array<WatchEvent & { at: number }> = [];
    const watcher = watcherRegistry.watch({ service: "lapsed" });
    const watching = (async () => {
      for await (const event of watcher) events.push({ ...event, at: Date.now() });
    })();
    try {
      await waitUntil("the watcher lists the node", () => events.some((e) => e.action === "create"), 10_000);
      await leader.stop("SIGKILL");
      const failedAt = await waitUntil("a renewal fails", () => attempts.some((a) => !a.ok), 10_000);
      const renewedAt = await waitUntil("a renewal goes through again", () => attempts.some((a) => a.ok && a.at > failedAt), 60_000, 20);
      const lapsed = attempts.filter((a) => a.ok && a.at < failedAt).at(-1)!;
      t.diagnostic(`no renewal went through for ${renewedAt - lapsed.at} ms (TTL ${ttlMs} ms)`);
      assert.ok(renewedAt - lapsed.at > ttlMs, "the entry lapsed during the failover (else this test shows nothing)");
      await waitUntil("the watcher hears the node again", () => events.some((e) => e.action !== "create" && e.at >= renewedAt), 10_000);
      assert.deepEqual(events.filter((e) => e.action === "delete"), [], "the watcher never reported the node gone");
      // A fresh read may still time out while the stream settles after its election; it must list the node
      // once it answers.
      await waitUntilNoError("a fresh read lists the node", async () => {
        return (await watcherRegistry.getService("lapsed")).flatMap((s) => s.nodes.map((n) => n.id)).join() === service.nodes[0]!.id;
      }, 15_000, 100);
    } finally {
      renewing = false;
      await renewals;
      watcher.stop();
      await watching;
      await leader.start();
      await nodeRegistry.close();
      await watcherRegistry.close();
      await nodeNc.close();
      await watcherNc.close();
    }
  });

  it("an existing single-copy bucket is raised to the replicas asked for", async () => {
    await cluster.waitForJetStream(30_000);
    const nc = await connect({ servers: cluster.urls });
    try {
      const single = new NatsKvRegistry({ connection: nc, bucket: "grown", ttlMs: 60_000 });
      await waitUntilNoError("single-copy bucket created", async () => {
        await single.register(makeService("g"), { ttlMs: 60_000 });
        return true;
      }, 45_000, 200);
      await single.close();
      const jsm = await nc.jetstreamManager();
      assert.equal((await jsm.streams.info("KV_grown")).config.num_replicas, 1);
      const triple = new NatsKvRegistry({ connection: nc, bucket: "grown", ttlMs: 60_000, replicas: 3 });
      // While the new copies join, a put may be refused once; a registrar simply tries again.
      await waitUntilNoError("registered through the raised bucket", async () => {
        await triple.register(makeService("g"), { ttlMs: 60_000 });
        return true;
      }, 45_000, 200);
      await triple.close();
      assert.equal((await jsm.streams.info("KV_grown")).config.num_replicas, 3);
    } finally {
      await nc.close();
    }
  });

  it("with the server holding a single-copy bucket down, calls keep succeeding far past the TTL; a client started meanwhile fails clearly and recovers by itself", async (t) => {
    const ttlMs = 1500;
    const intervalMs = 500;
    await cluster.waitForJetStream(30_000);
    const setup = await connect({ servers: cluster.urls });
    const creator = new NatsKvRegistry({ connection: setup, bucket: "outage", ttlMs });
    await waitUntilNoError("bucket created", async () => {
      await creator.register(makeService("setup"), { ttlMs });
      return true;
    }, 45_000, 200);
    await creator.close();
    await setup.close();
    const holderName = await cluster.streamLeader("KV_outage");
    assert.ok(holderName !== undefined);
    const holder = cluster.node(holderName);
    // Everyone talks to the other servers, so only the registry loses its server.
    const others = cluster.nodes.filter((n) => n !== holder).map((n) => n.url);
    const registry = (nc: NatsConnection) => new NatsKvRegistry({ connection: nc, bucket: "outage", ttlMs, requestTimeoutMs: 300 });
    const common = { servers: others, ttlMs, intervalMs, registry };
    const a = await startEchoBackend({ ...common, processId: "a" });
    const b = await startEchoBackend({ ...common, servers: [...others].reverse(), processId: "b" });
    const caller = await startCallerApp({ ...common, processId: "caller" });
    apps.push(a, b, caller);
    await waitUntil("caller routes to both", async () => (await caller.app.getServersByType("echo")).length === 2, 5000);
    const traffic = keepCalling(caller.app, { lanes: 8, timeoutMs: 1000 });
    try {
      await new Promise((r) => setTimeout(r, 300));
      await holder.stop("SIGKILL");
      const downAt = Date.now();
      // Four TTLs: every entry would have expired in the caller's view if expiry ignored the outage.
      await new Promise((r) => setTimeout(r, 4 * ttlMs));
      const late = traffic.between(downAt + 3 * ttlMs, Date.now());
      assert.ok(late.length > 50, `calls kept flowing (${late.length} in the last TTL)`);
      assert.deepEqual(new Set(late.map((o) => o.node)), new Set([a.nodeId, b.nodeId]), "both backends still in routing");

      const fresh = await startCallerApp({ ...common, processId: "fresh" });
      apps.push(fresh);
      const started = Date.now();
      await assert.rejects(
        fresh.app.callHandler(echoModule, echoModule.handlers.who!, [0], { timeout: 2000 }),
        (e: unknown) => e instanceof RegistryError || (e instanceof Error && /deadline exceeded/.test(e.message)),
      );
      assert.ok(Date.now() - started <= 2100, "the lookup honoured the call's deadline");

      await holder.start();
      const backAt = Date.now();
      const recovered = await waitUntilNoError("the fresh client recovers on its own", async () => {
        await fresh.app.callHandler(echoModule, echoModule.handlers.who!, [0], { timeout: 300 });
        return true;
      }, 15_000, 50);
      t.diagnostic(`fresh client served ${recovered - backAt} ms after the bucket's server restarted`);
    } finally {
      await traffic.stop();
    }
    assert.deepEqual(traffic.errors().map((o) => o.error!.message), [], "no call failed during the registry outage");
  });
});
