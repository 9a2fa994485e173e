import { MemoryRegistry } from "../../runtime/internal.js";
import { registryContract } from "./contract.js";

// One in-process registry shared by every "client", as one process would use it.
registryContract("memory", async () => {
  const registry = new MemoryRegistry();
  const shared = {
    name: registry.name,
    register: registry.register.bind(registry),
    deregister: registry.deregister.bind(registry),
    getService: registry.getService.bind(registry),
    listServices: registry.listServices.bind(registry),
    watch: registry.watch.bind(registry),
    // Clients close independently; the shared registry closes with the harness.
    close: async () => undefined,
  };
  return {
    ttlMs: 1000,
    expirySlackMs: 500,
    open: async () => shared,
    dispose: () => registry.close(),
  };
}, { restartable: false });
