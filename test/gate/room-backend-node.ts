/**
 * A backend process for the rooms-over-NATS test: the `room` module alone, registered in a NATS KV registry.
 * Prints "ready" once started; stops on SIGTERM.
 */
import { connect } from "nats";
import { NatsKvRegistry, createApp, ensureGateSerializer } from "../../runtime/internal.js";
import { roomModule } from "./rooms-support.js";

const natsUrl = process.argv[2];
const registryConnection = await connect({ servers: natsUrl });
const registry = new NatsKvRegistry({ connection: registryConnection, bucket: process.argv[3] });
const app = createApp({
  parseFlags: false,
  debug: false,
  processId: "backend",
  nats: { servers: natsUrl },
  registry,
  config: { Module: { room: [{ Id: "room001", ProcessID: "backend", Settings: {} }] } },
});
ensureGateSerializer(app);
await app.start([roomModule()]);
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void app.stop().then(async () => {
    await registry.close();
    await registryConnection.close();
    process.exit(0);
  });
});
