/**
 * A backend process for the gate tests over NATS: one module (`helloworld` or `room`, the third argument),
 * registered in a NATS KV registry. Prints "ready" once started; stops on SIGTERM.
 */
import { connect } from "nats";
import { NatsKvRegistry, createApp, ensureGateSerializer, type Module } from "../../runtime/internal.js";
import { helloworldModule } from "./support.js";
import { roomModule } from "./rooms-support.js";

const [natsUrl, bucket, moduleType = "helloworld"] = process.argv.slice(2);
const modules: Record<string, () => Module> = {
  helloworld: () => helloworldModule({ parked: [], calls: [] }),
  room: () => roomModule(),
};
const makeModule = modules[moduleType];
if (makeModule === undefined) throw new Error(`backend-node: no module ${moduleType}`);
const registryConnection = await connect({ servers: natsUrl });
const registry = new NatsKvRegistry({ connection: registryConnection, bucket });
const app = createApp({
  parseFlags: false,
  debug: false,
  processId: "backend",
  nats: { servers: natsUrl },
  registry,
  config: { Module: { [moduleType]: [{ Id: `${moduleType}001`, ProcessID: "backend", Settings: {} }] } },
});
// Gate-facing untyped handlers receive their session through the gate serializer.
ensureGateSerializer(app);
await app.start([makeModule()]);
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void app.stop().then(async () => {
    await registry.close();
    await registryConnection.close();
    process.exit(0);
  });
});
