/**
 * The backends of the gate-over-NATS variant: `backend.ts <natsUrl>`: `helloworld` and the fan-out `room`
 * module with its pusher (push messages from the parent on stdin); runs until stdin closes.
 */
import { sleep } from "../support/measure.js";
import { emit, parentMessages, reportFailures } from "../support/worker.js";
import { gateSerializer } from "../../runtime/internal.js";
import { helloworldBackend, natsApp, roomBackend } from "./mqgen.js";
import { handlePushMessage } from "./push-engine.js";

reportFailures();
const { app, close } = await natsApp(process.argv[2] ?? "");
// As in mqant, a backend without a gate in its process registers the gate's SESSION serializer itself.
app.addSerializer(gateSerializer);
// The room module pushes to the gate the joining clients came from.
const room = roomBackend(app, () => undefined);
await app.start([helloworldBackend, room.module]);
emit({ type: "ready" });
process.once("SIGTERM", () => process.stdin.destroy());
for await (const message of parentMessages()) handlePushMessage(room.engine, message);
// Bounded: the nats-server may already be gone, and a stop that waits for it must not outlive the bench.
await Promise.race([(async () => {
  await app.stop();
  await close();
})(), sleep(5000)]);
process.exit(0);
