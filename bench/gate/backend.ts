/** The `helloworld` backend of the gate-over-NATS variant: `backend.ts <natsUrl>`, runs until stdin closes. */
import { sleep } from "../support/measure.js";
import { emit, reportFailures, untilParentCloses } from "../support/worker.js";
import { gateSerializer } from "../../runtime/internal.js";
import { helloworldBackend, natsApp } from "./mqgen.js";

reportFailures();
const { app, close } = await natsApp(process.argv[2] ?? "");
// As in mqant, a backend without a gate in its process registers the gate's SESSION serializer itself.
app.addSerializer(gateSerializer);
await app.start([helloworldBackend]);
emit({ type: "ready" });
await untilParentCloses();
// Bounded: the nats-server may already be gone, and a stop that waits for it must not outlive the bench.
await Promise.race([(async () => {
  await app.stop();
  await close();
})(), sleep(5000)]);
process.exit(0);
