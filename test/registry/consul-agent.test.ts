import { ConsulRegistry } from "../../runtime/internal.js";
import { registryContract } from "./contract.js";

// The same contract against a real Consul agent, only when one is given: no agent can be installed here.
const address = process.env.CONSUL_HTTP_ADDR;
registryContract(
  `Consul registry against the real agent at CONSUL_HTTP_ADDR`,
  async () => ({
    // Consul accepts short TTLs; its reaper runs about every second.
    ttlMs: 2000,
    expirySlackMs: 3000,
    open: async () => new ConsulRegistry({ address: address!, requestTimeoutMs: 2000, watchWait: "2s", watchRetryMs: 200 }),
    dispose: async () => undefined,
  }),
  {
    skip: address === undefined || address === "" ? "CONSUL_HTTP_ADDR is not set: no real Consul agent to test against" : undefined,
    // The test cannot restart somebody else's agent.
    restartable: false,
  },
);
