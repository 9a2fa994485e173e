import { EtcdRegistry } from "../../runtime/internal.js";
import { EtcdServer } from "../support/etcd-server.js";
import { registryContract } from "./contract.js";

registryContract(
  "etcd v3 on a real etcd",
  async () => {
    const server = await EtcdServer.start();
    return {
      // etcd's minimum lease TTL is about 2 s with default election settings.
      ttlMs: 2000,
      expirySlackMs: 2500,
      open: async () => new EtcdRegistry({ hosts: server.endpoint, requestTimeoutMs: 1000 }),
      // Restart from an empty data dir: leases are gone, so the registry must notice and register again.
      restart: () => server.restart({ wipe: true }),
      dispose: () => server.dispose(),
    };
  },
);
