/**
 * The backend of bench:gate's gate-over-NATS floor (floor-gate.ts): `floor-gate-backend.ts <natsUrl>` answers
 * every request with its topic (the first 2 + length bytes) and a fixed mqant reply envelope; runs until
 * stdin closes.
 */
import { connect } from "nats";
import { emit, parentMessages, reportFailures } from "../support/worker.js";
import { FLOOR_BACKEND_SUBJECT } from "./floor-gate.js";

reportFailures();
const nc = await connect({ servers: process.argv[2] ?? "" });
const envelope = Buffer.from('{"Trace":"","Error":"","Result":"hi x"}');
nc.subscribe(FLOOR_BACKEND_SUBJECT, {
  callback: (_err, msg) => {
    const topicEnd = 2 + ((msg.data[0]! << 8) | msg.data[1]!);
    msg.respond(Buffer.concat([msg.data.subarray(0, topicEnd), envelope]));
  },
});
await nc.flush();
emit({ type: "ready" });
process.once("SIGTERM", () => process.stdin.destroy());
for await (const _ of parentMessages()) {
  // Nothing to do: the parent only closes stdin.
}
await nc.close();
process.exit(0);
