/**
 * The soak's caller process: an mqgen app keeping LANES calls in flight to the `echo` workers for SECONDS,
 * over NATS with the NATS KV registry. Prints `READY` once calls flow and `DONE <json>` at the end.
 */
import { connect } from "nats";
import { NatsKvRegistry, createApp } from "../../runtime/internal.js";
import { echoModule } from "../../test/discovery/echo-module.js";
import { runSoakLoad } from "./load.js";

const env = process.env;
const seconds = Number(env.SECONDS ?? "300");
const lanes = Number(env.LANES ?? "64");
const ttlMs = Number(env.TTL_MS ?? "20000");
const nc = await connect({ servers: env.NATS_URL ?? "nats://127.0.0.1:4222", maxReconnectAttempts: -1 });
const registry = new NatsKvRegistry({ connection: nc, bucket: env.KV_BUCKET ?? "soak", ttlMs });
const app = createApp({ nats: nc, registry, registerTtlMs: ttlMs, parseFlags: false, debug: false });
await app.start([]);
const who = echoModule.handlers.who!;
await runSoakLoad((timeout) => app.callHandler(echoModule, who, [0], { timeout }), lanes, seconds);
await app.stop();
await registry.close();
await nc.close();
