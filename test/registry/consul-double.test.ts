import { ConsulRegistry } from "../../runtime/registry/consul.js";
import { ConsulDouble } from "../support/consul-double.js";
import { registryContract } from "./contract.js";

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
