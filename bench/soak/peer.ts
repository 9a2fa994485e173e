/**
 * The soak's peer, bare nats.js in two processes: ROLE=responder answers `soak.echo` with the request's
 * bytes; ROLE=requester keeps LANES `request()` calls in flight for SECONDS (nats.js's shared reply
 * subscription). Same output protocol as caller.ts.
 */
import { connect } from "nats";

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
  for (;;) {
    try {
      await nc.request("soak.echo", payload, { timeout: 1000 });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  process.stdout.write("READY\n");
  const endAt = Date.now() + seconds * 1000;
  let calls = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (Date.now() < endAt) {
        try {
          await nc.request("soak.echo", payload, { timeout: 2000 });
          calls++;
        } catch (error) {
          errors++;
          if (firstErrors.length < 5) firstErrors.push((error as Error).message);
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }),
  );
  process.stdout.write(`DONE ${JSON.stringify({ calls, errors, firstErrors })}\n`);
  await nc.close();
}
