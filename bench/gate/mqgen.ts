/**
 * mqgen side of bench:gate: the runtime's Gate module on a TCP listener, with a `helloworld` backend whose
 * `HD_say` answers the gate client — in the gate's own app, or in another process reached over NATS
 * (discovered through the NATS KV registry).
 */
import { connect, type NatsConnection } from "nats";
import { createApp, type App } from "../../runtime/internal.js";
import type { Module } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";
import type { GateOptions } from "../../runtime/internal.js";
import { NatsKvRegistry } from "../../runtime/internal.js";
import { sleep } from "../support/measure.js";
import { Worker } from "../support/worker.js";
import type { RunningServer } from "./servers.js";

const REGISTRY_BUCKET = "bench_gate";
const REGISTRY_TTL_MS = 60_000;

/**
 * Limits raised for the benchmark: 64 requests in flight on one connection (mqant's default allows 20) and
 * 10k connections opened in a burst (the default admits 10k per second).
 */
const gateOptions: GateOptions = {
  tcpAddr: "127.0.0.1:0",
  concurrentTasks: 256,
  maxConnections: 200_000,
  connectionsPerSecond: 1_000_000,
};

export const helloworldBackend: Module = {
  type: "helloworld",
  version: "1.0.0",
  onInit(ctx) {
    ctx.server.registerGo("HD_say", (args) => {
      const message = args[1] as Record<string, unknown>;
      return `hi ${String(message["name"])}`;
    });
  },
};

function running(app: App, gate: Gate, cleanup: () => Promise<void> = async () => {}): RunningServer {
  const port = gate.server.tcpPort;
  if (port === undefined) throw new Error("the gate has no TCP listener");
  return {
    port,
    stop: async () => {
      await app.stop();
      await cleanup();
    },
  };
}

export async function startGateInProcess(): Promise<RunningServer> {
  const gate = new Gate(gateOptions);
  const app = createApp({ parseFlags: false, debug: false });
  await app.start([gate, helloworldBackend]);
  return running(app, gate);
}

export async function natsApp(natsUrl: string): Promise<{ app: App; close(): Promise<void> }> {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const registry = new NatsKvRegistry({ connection: nc, bucket: REGISTRY_BUCKET, ttlMs: REGISTRY_TTL_MS });
  const app = createApp({ nats: nc, registry, registerTtlMs: REGISTRY_TTL_MS, parseFlags: false, debug: false });
  return {
    app,
    close: async () => {
      await registry.close();
      await nc.close();
    },
  };
}

export async function startGateOverNats(natsUrl: string): Promise<RunningServer> {
  const backend = Worker.start({ script: "bench/gate/backend.ts", args: [natsUrl] });
  await backend.next("ready", 30_000);
  const gate = new Gate(gateOptions);
  const { app, close } = await natsApp(natsUrl);
  await app.start([gate]);
  // Wait until the gate's registry view has the backend, so the first client request does not race it.
  const deadline = Date.now() + 20_000;
  while ((await app.getServersByType("helloworld")).length === 0) {
    if (Date.now() > deadline) throw new Error("the gate never saw the helloworld backend");
    await sleep(50);
  }
  return running(app, gate, async () => {
    await close();
    await backend.stop();
  });
}
