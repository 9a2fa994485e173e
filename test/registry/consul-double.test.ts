import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConsulRegistry } from "../../runtime/internal.js";
import { Registrar } from "../../runtime/internal.js";
import { ConsulDouble } from "../support/consul-double.js";
import { freePort } from "../support/nats-server.js";
import { eventually, makeService, nodeIds, registryContract } from "./contract.js";

// NOT verification against Consul: a test double of Consul's documented HTTP API (test/support/consul-double.ts).
registryContract("Consul registry against a test double of Consul's HTTP API (not a real Consul)", async () => {
  const double = await ConsulDouble.start({ maxBlockMs: 2000 });
  return {
    ttlMs: 1000,
    expirySlackMs: 1000,
    open: async () => new ConsulRegistry({ address: double.address, requestTimeoutMs: 1000, watchRetryMs: 100 }),
    restart: () => double.restart(),
    dispose: () => double.stop(),
  };
});

// mqant #98: a node that starts while Consul is down must register as soon as Consul answers.

describe("Consul registry with the registrar (against the Consul HTTP test double, not a real Consul)", () => {
  it("a node started while Consul is down registers as soon as Consul answers", async () => {
    const port = await freePort();
    const registry = new ConsulRegistry({ address: `127.0.0.1:${port}`, requestTimeoutMs: 500, watchRetryMs: 100 });
    const service = makeService("early");
    const registrar = new Registrar({ registry, ttlMs: 2000, intervalMs: 1000, retryMs: 200, service: () => service });
    let double: ConsulDouble | undefined;
    try {
      await registrar.start();
      assert.equal(registrar.isRegistered, false, "Consul is down: the first attempt fails without hanging");
      await new Promise((r) => setTimeout(r, 500));
      double = await ConsulDouble.start({ port, maxBlockMs: 1000 });
      const upAt = Date.now();
      await eventually("registered once Consul answers", async () => (nodeIds(await registry.getService("early")).length === 1 ? true : undefined), 2000, 20);
      assert.ok(Date.now() - upAt < 1000, "within one retry interval");
      assert.deepEqual(nodeIds(await registry.getService("early")), nodeIds([service]));
      assert.equal(double.serviceStatus().get(service.nodes[0]!.id), "passing");
    } finally {
      await registrar.stop();
      await registry.close();
      await double?.stop();
    }
  });
});
