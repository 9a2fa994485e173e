/** NATS KV specifics beyond the shared contract, on a real nats-server with JetStream. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect, type NatsConnection } from "nats";
import { NatsKvRegistry } from "../../runtime/internal.js";
import type { Service } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { EventCollector, eventually, makeService, nodeIds } from "./contract.js";

describe("NATS KV registry details (real nats-server with JetStream)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  before(async () => {
    server = await NatsServer.start({ jetstream: true });
    nc = await connect({ servers: server.url });
  });
  after(async () => {
    await nc.close();
    await server.dispose();
  });

  it("service names and node ids outside the KV key alphabet round-trip", async () => {
    const registry = new NatsKvRegistry({ connection: nc, bucket: "odd-names", ttlMs: 5000 });
    try {
      const service: Service = { ...makeService("game.room/v2"), name: "game.room/v2" };
      await registry.register(service, { ttlMs: 5000 });
      const found = await registry.getService("game.room/v2");
      assert.deepEqual(nodeIds(found), nodeIds([service]));
      assert.equal(found[0]!.nodes[0]!.address, service.nodes[0]!.address);
      assert.deepEqual(await registry.getService("game"), [], "a prefix of the name is another service");
      await registry.deregister(service);
      assert.deepEqual(await registry.getService("game.room/v2"), []);
    } finally {
      await registry.close();
    }
  });

  it("a client opening an existing bucket uses that bucket's TTL, not its own, to expire watched nodes", async () => {
    const creator = new NatsKvRegistry({ connection: nc, bucket: "short-ttl", ttlMs: 1500 });
    const late = new NatsKvRegistry({ connection: nc, bucket: "short-ttl", ttlMs: 60_000 });
    const service = makeService("expiring");
    await creator.register(service, { ttlMs: 1500 });
    const events = new EventCollector(late.watch({ service: "expiring" }));
    try {
      await events.waitFor("create", (e) => e.action === "create", 3000);
      const since = Date.now();
      await events.waitFor("delete after the bucket TTL", (e) => e.action === "delete", 5000);
      assert.ok(Date.now() - since < 4000, "expired by the bucket's 1.5 s TTL, not the client's 60 s");
      await eventually("gone from reads too", async () => ((await late.getService("expiring")).length === 0 ? true : undefined), 3000);
    } finally {
      await events.stop();
      await creator.close();
      await late.close();
    }
  });
});
