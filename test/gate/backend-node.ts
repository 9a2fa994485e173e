/**
 * A backend process for the gate-over-NATS test: the helloworld module alone, registered in a NATS KV
 * registry. Prints "ready" once started; stops on SIGTERM.
 */
import { connect } from "nats";
import { createApp } from "../../runtime/internal.js";
import { ensureGateSerializer } from "../../runtime/internal.js";
import { NatsKvRegistry } from "../../runtime/internal.js";
import { helloworldModule } from "./support.js";

const natsUrl = process.argv[2];
const registryConnection = await connect({ servers: natsUrl });
const registry = new NatsKvRegistry({ connection: registryConnection, bucket: process.argv[3] });
const app = createApp({
  parseFlags: false,
  debug: false,
  processId: "backend",
  nats: { servers: natsUrl },
  registry,
  config: { Module: { helloworld: [{ Id: "helloworld001", ProcessID: "backend", Settings: {} }] } },
});
// Gate-facing untyped handlers receive their session through the gate serializer.
ensureGateSerializer(app);
await app.start([helloworldModule({ parked: [], calls: [] })]);
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void app.stop().then(async () => {
    await registry.close();
    await registryConnection.close();
    process.exit(0);
  });
});
