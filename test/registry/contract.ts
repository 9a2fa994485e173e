/**
 * One behaviour contract for every registry (memory, NATS KV, etcd, Consul double, real Consul when
 * CONSUL_HTTP_ADDR is set). Each registry's test file supplies a harness; the same tests run on each.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Registrar } from "../../runtime/internal.js";
import type { Registry, RegistryWatcher, Service, WatchEvent } from "../../runtime/internal.js";

export interface RegistryHarness {
  /** A new client of the same registry server; the suite closes it. */
  open(): Promise<Registry>;
  /** TTL the registry honours in tests, ms (bucket TTL for NATS KV). */
  readonly ttlMs: number;
  /** How long after the TTL the registry may take to drop an entry, ms. */
  readonly expirySlackMs: number;
  /** Restarts the registry server; undefined when there is no server to restart. */
  restart?(): Promise<void>;
  dispose(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

export function makeService(name: string, options: { version?: string; metadata?: Record<string, string>; nodeHex?: string } = {}): Service {
  const nodeId = `${name}@${options.nodeHex ?? randomBytes(8).toString("hex")}`;
  return {
    name,
    version: options.version ?? "1.0.0",
    metadata: null,
    nodes: [
      {
        id: nodeId,
        address: `_INBOX.${randomBytes(11).toString("hex")}`,
        port: 0,
        metadata: { hostname: "test-host", pid: String(process.pid), version: options.version ?? "1.0.0", ...options.metadata },
      },
    ],
  };
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not reached within ${timeoutMs} ms${lastError !== undefined ? ` (last error: ${String(lastError)})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export function nodeIds(services: readonly Service[]): string[] {
  return services.flatMap((s) => s.nodes.map((n) => n.id)).sort();
}

/** Collects watch events in the background so a test can wait for one matching a predicate. */
export class EventCollector {
  readonly events: WatchEvent[] = [];
  private readonly done: Promise<void>;

  constructor(private readonly watcher: RegistryWatcher) {
    this.done = (async () => {
      for await (const event of watcher) this.events.push(event);
    })();
  }

  async waitFor(what: string, match: (event: WatchEvent) => boolean, timeoutMs: number): Promise<WatchEvent> {
    return eventually(what, async () => this.events.find(match), timeoutMs);
  }

  async stop(): Promise<void> {
    this.watcher.stop();
    await this.done;
  }
}

export interface ContractOptions {
  /** Report every test as skipped with this reason (a server that is optional here, e.g. a real Consul). */
  readonly skip?: string;
  /** False for registries with no server to restart (memory): the restart test is not declared at all. */
  readonly restartable?: boolean;
}

export function registryContract(label: string, makeHarness: () => Promise<RegistryHarness>, contract: ContractOptions = {}): void {
  const { skip, restartable = true } = contract;
  describe(`registry contract: ${label}`, () => {
    // Each test reports the skip and its reason, so a missing server is never counted as a pass.
    const options = skip !== undefined ? { skip } : {};
    let harness: RegistryHarness;
    const opened: Registry[] = [];
    const open = async (): Promise<Registry> => {
      const registry = await harness.open();
      opened.push(registry);
      return registry;
    };

    before(async () => {
      if (skip === undefined) harness = await makeHarness();
    });
    after(async () => {
      if (skip !== undefined) return;
      for (const registry of opened) await registry.close().catch(() => undefined);
      await harness.dispose();
    });

    it("register, getService, listServices and deregister round-trip one node", options, async () => {
      const writer = await open();
      const reader = await open();
      const name = uniqueName("svc");
      const service = makeService(name, { metadata: { state: "alive" } });
      await writer.register(service, { ttlMs: harness.ttlMs });

      const found = await eventually("registered node visible", async () => {
        const services = await reader.getService(name);
        return services.length > 0 ? services : undefined;
      }, 3000);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.name, name);
      assert.equal(found[0]!.version, "1.0.0");
      assert.equal(found[0]!.nodes.length, 1);
      const node = found[0]!.nodes[0]!;
      assert.equal(node.id, service.nodes[0]!.id);
      assert.equal(node.address, service.nodes[0]!.address);
      assert.equal(node.port, 0);
      assert.deepEqual({ ...node.metadata }, { ...service.nodes[0]!.metadata });

      const listed = await reader.listServices();
      assert.ok(listed.some((s) => s.name === name && s.nodes.some((n) => n.id === node.id)), "listServices includes the node");

      await writer.deregister(service);
      await eventually("deregistered node gone", async () => ((await reader.getService(name)).length === 0 ? true : undefined), 3000);
      assert.ok(!(await reader.listServices()).some((s) => s.name === name));
    });

    it("groups nodes by version and keeps several nodes of one type", options, async () => {
      const registry = await open();
      const name = uniqueName("multi");
      const a = makeService(name, { version: "1.0.0" });
      const b = makeService(name, { version: "1.0.0" });
      const c = makeService(name, { version: "2.0.0" });
      for (const s of [a, b, c]) await registry.register(s, { ttlMs: harness.ttlMs });
      const services = await eventually("three nodes", async () => {
        const found = await registry.getService(name);
        return nodeIds(found).length === 3 ? found : undefined;
      }, 3000);
      const byVersion = new Map(services.map((s) => [s.version, nodeIds([s])]));
      assert.deepEqual(byVersion.get("1.0.0"), nodeIds([a, b]));
      assert.deepEqual(byVersion.get("2.0.0"), nodeIds([c]));
      for (const s of [a, b, c]) await registry.deregister(s);
    });

    it("a metadata change is visible to readers after the next register", options, async () => {
      const writer = await open();
      const reader = await open();
      const name = uniqueName("meta");
      const service = makeService(name, { metadata: { state: "alive", weight: "1" } });
      await writer.register(service, { ttlMs: harness.ttlMs });
      const node = service.nodes[0]!;
      const changed: Service = { ...service, nodes: [{ ...node, metadata: { ...node.metadata, state: "forbidden", weight: "5" } }] };
      await writer.register(changed, { ttlMs: harness.ttlMs });
      const seen = await eventually("updated metadata", async () => {
        const found = (await reader.getService(name))[0]?.nodes[0];
        return found?.metadata.state === "forbidden" ? found : undefined;
      }, 3000);
      assert.equal(seen.metadata.weight, "5");
      assert.equal(seen.id, node.id);
      await writer.deregister(changed);
    });

    it("watch reports create, update and delete of a node", options, async () => {
      const writer = await open();
      const watcherRegistry = await open();
      const name = uniqueName("watch");
      const events = new EventCollector(watcherRegistry.watch({ service: name }));
      const other = new EventCollector(watcherRegistry.watch());
      try {
        const service = makeService(name, { metadata: { state: "alive" } });
        const id = service.nodes[0]!.id;
        await writer.register(service, { ttlMs: harness.ttlMs });
        const created = await events.waitFor("create", (e) => e.action === "create" && e.service.nodes.some((n) => n.id === id), 5000);
        assert.equal(created.service.name, name);

        const node = service.nodes[0]!;
        const changed: Service = { ...service, nodes: [{ ...node, metadata: { ...node.metadata, state: "forbidden" } }] };
        await writer.register(changed, { ttlMs: harness.ttlMs });
        const updated = await events.waitFor(
          "update",
          (e) => e.action === "update" && e.service.nodes.some((n) => n.id === id && n.metadata.state === "forbidden"),
          5000,
        );
        assert.equal(updated.service.name, name);

        await writer.deregister(changed);
        await events.waitFor("delete", (e) => e.action === "delete" && e.service.nodes.some((n) => n.id === id), 5000);
        // The unfiltered watch saw the same node too.
        await other.waitFor("unfiltered create", (e) => e.service.nodes.some((n) => n.id === id), 5000);
        assert.ok(events.events.every((e) => e.service.name === name), "filtered watch only reports its service");
      } finally {
        await events.stop();
        await other.stop();
      }
    });

    it("a node that stops renewing disappears after its TTL, and a watcher is told", options, async () => {
      const writer = await open();
      const reader = await open();
      const name = uniqueName("ttl");
      const events = new EventCollector(reader.watch({ service: name }));
      try {
        const service = makeService(name);
        const id = service.nodes[0]!.id;
        const keeper = makeService(name);
        const registeredAt = Date.now();
        await writer.register(service, { ttlMs: harness.ttlMs });
        await eventually("node visible", async () => (nodeIds(await reader.getService(name)).includes(id) ? true : undefined), 3000);
        // A second node keeps renewing, so only the silent one must go.
        await writer.register(keeper, { ttlMs: harness.ttlMs });
        const renew = setInterval(() => void writer.register(keeper, { ttlMs: harness.ttlMs }).catch(() => undefined), harness.ttlMs / 4);
        try {
          await eventually(
            "silent node expired",
            async () => {
              const ids = nodeIds(await reader.getService(name));
              return !ids.includes(id) && ids.includes(keeper.nodes[0]!.id) ? true : undefined;
            },
            harness.ttlMs + harness.expirySlackMs,
          );
          assert.ok(Date.now() - registeredAt >= harness.ttlMs * 0.9, "not dropped before its TTL");
          await events.waitFor("delete on expiry", (e) => e.action === "delete" && e.service.nodes.some((n) => n.id === id), 3000);
          assert.ok(nodeIds(await reader.getService(name)).includes(keeper.nodes[0]!.id), "renewing node stays");
        } finally {
          clearInterval(renew);
          await writer.deregister(keeper).catch(() => undefined);
        }
      } finally {
        await events.stop();
      }
    });

    if (restartable) it("after a registry server restart the registrar has every node registered again within one interval", options, async () => {
      if (harness.restart === undefined) throw new Error(`${label}: a restartable registry's harness must provide restart()`);
      const registry = await open();
      const reader = await open();
      const name = uniqueName("restart");
      const intervalMs = 1000;
      const services = [makeService(name), makeService(name), makeService(name)];
      const registrars = services.map(
        (service) => new Registrar({ registry, ttlMs: harness.ttlMs, intervalMs, retryMs: 200, service: () => service }),
      );
      try {
        for (const registrar of registrars) await registrar.start();
        const all = nodeIds(services);
        await eventually("all registered", async () => (nodeIds(await reader.getService(name)).join() === all.join() ? true : undefined), 3000);
        await harness.restart();
        const back = Date.now();
        await eventually(
          "all registered after restart",
          async () => (nodeIds(await reader.getService(name)).join() === all.join() ? true : undefined),
          intervalMs + 1500,
        );
        assert.ok(Date.now() - back <= intervalMs + 1500);
      } finally {
        for (const registrar of registrars) await registrar.stop();
      }
    });
  });
}
