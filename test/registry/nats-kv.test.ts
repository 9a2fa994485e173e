import { connect, type NatsConnection } from "nats";
import { NatsKvRegistry } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { registryContract } from "./contract.js";

registryContract("NATS KV on a real nats-server with JetStream", async () => {
  const server = await NatsServer.start({ jetstream: true });
  const connections: NatsConnection[] = [];
  const ttlMs = 2000;
  return {
    ttlMs,
    // JetStream checks max age on a timer; the watcher's sweep runs every ttl/4.
    expirySlackMs: 2000,
    open: async () => {
      const connection = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
      connections.push(connection);
      return new NatsKvRegistry({ connection, bucket: "contract", ttlMs, requestTimeoutMs: 1000 });
    },
    restart: () => server.restart(),
    dispose: async () => {
      for (const connection of connections) await connection.close().catch(() => undefined);
      await server.dispose();
    },
  };
});
