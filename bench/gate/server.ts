/**
 * Server child of bench:gate: `server.ts <kind> <natsUrl>`. Reports its port, then answers
 * `{"type":"rss"}` with its resident set size after forced garbage collection (needs --expose-gc).
 */
import { emit, parentMessages, reportFailures } from "../support/worker.js";
import { sleep } from "../support/measure.js";
import { serverKindNamed } from "./servers.js";
import { handlePushMessage } from "./push-engine.js";

reportFailures();
const [name = "", natsUrl = ""] = process.argv.slice(2);
const server = await serverKindNamed(name).start(natsUrl);
emit({ type: "ready", port: server.port });

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the gate server with --expose-gc");
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(100);
  }
  return process.memoryUsage().rss;
}

let stopping: Promise<void> | undefined;
/** Bounded, so a server whose broker is already gone still exits (and takes its backend process along). */
const shutdown = (): Promise<void> =>
  (stopping ??= (async () => {
    await Promise.race([server.stop(), sleep(5000)]);
    process.exit(0);
  })());
process.once("SIGTERM", () => void shutdown());
const relayed: Record<string, string> = { "push-one": "pushed", sustain: "sustained" };
for await (const message of parentMessages()) {
  if (message.type === "rss") emit({ type: "rss", rss: await settledRss() });
  else if (server.pushEngine !== undefined) handlePushMessage(server.pushEngine, message);
  else if (server.pushForward !== undefined) {
    const forward = server.pushForward;
    forward.send(message);
    const reply = relayed[message.type];
    if (reply !== undefined) {
      void forward.next(reply, 120_000).then(emit, (error: unknown) => emit({ type: "error", message: String(error) }));
    }
  }
}
await shutdown();
