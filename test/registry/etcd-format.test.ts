/**
 * etcd records in mqant's exact format, on a real etcd: what mqgen writes equals what Go mqant wrote
 * (captured vectors, etcd-registry.json), and what Go mqant wrote is read correctly.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import { EtcdRegistry } from "../../runtime/internal.js";
import type { Service } from "../../runtime/internal.js";
import { EtcdServer } from "../support/etcd-server.js";
import { EventCollector, eventually, makeService } from "./contract.js";

interface CapturedKey {
  readonly key: string;
  readonly value_raw: string;
  readonly value: {
    readonly name: string;
    readonly version: string;
    readonly nodes: ReadonlyArray<{ id: string; address: string; port: number; metadata: Record<string, string> }>;
  };
}

const capture = JSON.parse(readFileSync(new URL("../fixtures/mqant-vectors/etcd-registry.json", import.meta.url), "utf8")) as {
  keys_while_running: CapturedKey[];
  leases: Array<{ grantedTTL: string }>;
};

function serviceOf(captured: CapturedKey): Service {
  return { name: captured.value.name, version: captured.value.version, metadata: null, nodes: captured.value.nodes.map((n) => ({ ...n })) };
}

describe("etcd registry writes and reads mqant's records (real etcd)", () => {
  let server: EtcdServer;
  let raw: Etcd3;
  let registry: EtcdRegistry;

  before(async () => {
    server = await EtcdServer.start();
    raw = new Etcd3({ hosts: server.endpoint });
    registry = new EtcdRegistry({ hosts: server.endpoint, requestTimeoutMs: 2000 });
  });
  after(async () => {
    await registry.close();
    raw.close();
    await server.dispose();
  });

  it("a registered node is stored under mqant's key with byte-identical JSON and a lease of the register TTL", async () => {
    const expected = capture.keys_while_running.find((k) => k.value.name === "helloworld")!;
    await registry.register(serviceOf(expected), { ttlMs: 20_000 });
    const stored = await raw.get(expected.key).string();
    assert.equal(stored, expected.value_raw);
    const response = await raw.getAll().prefix(expected.key).exec();
    const lease = response.kvs[0]!.lease;
    assert.notEqual(lease, "0", "the key is attached to a lease");
    const ttl = await raw.leaseClient.leaseTimeToLive({ ID: lease, keys: true });
    assert.equal(ttl.grantedTTL, capture.leases[0]!.grantedTTL);
    assert.deepEqual(ttl.keys.map((k) => k.toString()), [expected.key]);
    await registry.deregister(serviceOf(expected));
    assert.equal(await raw.get(expected.key).string(), null);
  });

  it("an unchanged re-register only keeps the lease alive; a changed record is put under a new lease", async () => {
    const captured = capture.keys_while_running.find((k) => k.value.name === "caller")!;
    const service = serviceOf(captured);
    await registry.register(service, { ttlMs: 20_000 });
    const first = (await raw.getAll().prefix(captured.key).exec()).kvs[0]!;
    await registry.register(service, { ttlMs: 20_000 });
    const renewed = (await raw.getAll().prefix(captured.key).exec()).kvs[0]!;
    assert.equal(renewed.mod_revision, first.mod_revision, "no new revision for a renewal");
    assert.equal(renewed.lease, first.lease);
    const changed: Service = { ...service, nodes: [{ ...service.nodes[0]!, metadata: { ...service.nodes[0]!.metadata, state: "forbidden" } }] };
    await registry.register(changed, { ttlMs: 20_000 });
    const rewritten = (await raw.getAll().prefix(captured.key).exec()).kvs[0]!;
    assert.notEqual(rewritten.mod_revision, first.mod_revision);
    assert.notEqual(rewritten.lease, first.lease, "a full re-register grants a new lease");
    assert.match(rewritten.value.toString(), /"state":"forbidden"/);
    await registry.deregister(changed);
  });

  it("records written by Go mqant are found by getService, listServices and watch", async () => {
    const watcher = new EventCollector(registry.watch());
    try {
      for (const captured of capture.keys_while_running) await raw.put(captured.key).value(captured.value_raw);
      for (const captured of capture.keys_while_running) {
        const services = await registry.getService(captured.value.name);
        assert.equal(services.length, 1);
        assert.equal(services[0]!.version, "1.0.0");
        assert.equal(services[0]!.metadata, null);
        assert.deepEqual(services[0]!.nodes, captured.value.nodes);
        await watcher.waitFor(
          `watch create for ${captured.value.name}`,
          (e) => e.action === "create" && e.service.nodes[0]?.id === captured.value.nodes[0]!.id,
          3000,
        );
      }
      const names = (await registry.listServices()).map((s) => s.name).sort();
      assert.deepEqual(names, ["Gate", "caller", "helloworld"]);
      await raw.delete().key(capture.keys_while_running[0]!.key);
      await watcher.waitFor("watch delete", (e) => e.action === "delete" && e.service.name === capture.keys_while_running[0]!.value.name, 3000);
    } finally {
      await watcher.stop();
      await raw.delete().prefix("/mqant-registry/");
    }
  });

  it("a register while etcd is down fails fast with RegistryError, then succeeds once etcd is back", async () => {
    const service = serviceOf(capture.keys_while_running[0]!);
    const fresh = new EtcdRegistry({ hosts: server.endpoint, requestTimeoutMs: 500 });
    try {
      await server.stop();
      const started = Date.now();
      await assert.rejects(fresh.register(service, { ttlMs: 5000 }), { code: "REGISTRY" });
      assert.ok(Date.now() - started < 5000, "did not hang");
      await server.restart();
      await eventually("register after etcd is back", async () => {
        await fresh.register(service, { ttlMs: 5000 });
        return true;
      }, 5000, 200);
      assert.equal((await registry.getService(service.name))[0]?.nodes[0]?.id, service.nodes[0]!.id);
      await fresh.deregister(service);
    } finally {
      await fresh.close();
    }
  });

  it("a watcher keeps reporting after etcd restarts, also when etcd comes back empty", async () => {
    const watcher = new EventCollector(registry.watch());
    const fresh = new EtcdRegistry({ hosts: server.endpoint, requestTimeoutMs: 500 });
    try {
      const before = makeService("survivor");
      await fresh.register(before, { ttlMs: 10_000 });
      await watcher.waitFor("create before restart", (e) => e.action === "create" && e.service.nodes[0]?.id === before.nodes[0]!.id, 3000);

      await server.restart();
      const afterRestart = makeService("after-restart");
      await eventually("register after restart", async () => (await fresh.register(afterRestart, { ttlMs: 10_000 }), true), 5000, 100);
      await watcher.waitFor("create after restart", (e) => e.action === "create" && e.service.nodes[0]?.id === afterRestart.nodes[0]!.id, 5000);

      await server.restart({ wipe: true });
      await watcher.waitFor("lost node reported deleted", (e) => e.action === "delete" && e.service.nodes[0]?.id === before.nodes[0]!.id, 5000);
      const afterWipe = makeService("after-wipe");
      await eventually("register after wipe", async () => (await fresh.register(afterWipe, { ttlMs: 10_000 }), true), 5000, 100);
      await watcher.waitFor("create after wipe", (e) => e.action === "create" && e.service.nodes[0]?.id === afterWipe.nodes[0]!.id, 5000);
    } finally {
      await watcher.stop();
      await fresh.close();
    }
  });
});
