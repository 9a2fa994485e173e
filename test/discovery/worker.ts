/**
 * One OS process serving the `echo` module, for the discovery tests and the benchmark. Configured by
 * environment: NATS_URL, REGISTRY (nats-kv | etcd | consul), ETCD_ENDPOINT, CONSUL_ADDR, MODULE_VERSION,
 * NODE_STATE, NODE_WEIGHT, TTL_MS, INTERVAL_MS. Prints `READY <nodeId>` once registered, and stops
 * gracefully on SIGTERM.
 */
import { connect } from "nats";
import { createApp } from "../../runtime/internal.js";
import type { Module } from "../../runtime/internal.js";
import { ConsulRegistry } from "../../runtime/internal.js";
import { EtcdRegistry } from "../../runtime/internal.js";
import { NatsKvRegistry } from "../../runtime/internal.js";
import type { Registry } from "../../runtime/internal.js";
import { echoModule } from "./echo-module.js";

const env = process.env;
const natsUrl = env.NATS_URL ?? "nats://127.0.0.1:4222";
const ttlMs = Number(env.TTL_MS ?? "20000");
const intervalMs = Number(env.INTERVAL_MS ?? "10000");
const requestTimeoutMs = Number(env.REQUEST_TIMEOUT_MS ?? "1000");

const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
let registry: Registry;
switch (env.REGISTRY ?? "nats-kv") {
  case "etcd":
    registry = new EtcdRegistry({ hosts: env.ETCD_ENDPOINT ?? "127.0.0.1:2379", requestTimeoutMs });
    break;
  case "consul":
    registry = new ConsulRegistry({ address: env.CONSUL_ADDR, requestTimeoutMs });
    break;
  default:
    registry = new NatsKvRegistry({ connection: nc, bucket: env.KV_BUCKET ?? "discovery", ttlMs, requestTimeoutMs });
}

const metadata: Record<string, string> = {};
if (env.NODE_STATE !== undefined) metadata.state = env.NODE_STATE;
if (env.NODE_WEIGHT !== undefined) metadata.weight = env.NODE_WEIGHT;

const app = createApp({
  nats: nc,
  registry,
  registerTtlMs: ttlMs,
  registerIntervalMs: intervalMs,
  parseFlags: false,
  debug: false,
  metadata,
  killWaitMs: 5000,
});

let nodeId = "";
const module: Module = {
  type: echoModule.type,
  version: env.MODULE_VERSION ?? "1.0.0",
  onInit(ctx) {
    nodeId = ctx.nodeId;
    const serve = async (args: unknown[]) => {
      const delayMs = Number(args[0] ?? 0);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return nodeId;
    };
    ctx.server.registerHandler(echoModule, echoModule.handlers.who!, serve);
    ctx.server.registerHandler(echoModule, echoModule.handlers.whoOnce!, serve);
  },
};

app.onStartup(() => {
  process.stdout.write(`READY ${nodeId}\n`);
});
await app.run([module]);
await registry.close();
await nc.close();
process.stdout.write(`STOPPED ${nodeId}\n`);
