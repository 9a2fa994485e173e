/**
 * The soak's peer, bare nats.js in two processes: ROLE=responder answers `soak.echo` with the request's
 * bytes; ROLE=requester keeps LANES `request()` calls in flight for SECONDS (nats.js's shared reply
 * subscription). Same output protocol as caller.ts.
 */
import { connect } from "nats";
import { runSoakLoad } from "./load.js";

const env = process.env;
const nc = await connect({ servers: env.NATS_URL ?? "nats://127.0.0.1:4222", maxReconnectAttempts: -1 });
const payload = new TextEncoder().encode("soak");
if (env.ROLE === "responder") {
  nc.subscribe("soak.echo", { callback: (_err, msg) => msg.respond(msg.data) });
  await nc.flush();
  process.stdout.write("READY peer-responder\n");
  await nc.closed();
} else {
  const seconds = Number(env.SECONDS ?? "300");
  const lanes = Number(env.LANES ?? "64");
  await runSoakLoad((timeout) => nc.request("soak.echo", payload, { timeout }), lanes, seconds);
  await nc.close();
}
