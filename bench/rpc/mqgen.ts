/**
 * mqgen side of bench:rpc: the generated `helloworld` module (`registerHelloworld`, `HelloworldClient`) on
 * the runtime's app. Over NATS, server and client apps discover each other through the NATS KV registry
 * (the registry that needs nothing but the nats-server the calls already use).
 */
import { connect, type NatsConnection } from "nats";
import * as currentHelloworld from "../../generated/helloworld.js";
import * as currentRuntime from "../../runtime/internal.js";
import type { App, Middleware, Module } from "../../runtime/internal.js";
import type { RuntimeUnderTest } from "./no-middleware.js";

const current: RuntimeUnderTest = { runtime: currentRuntime, helloworld: currentHelloworld };
import { sleep } from "../support/measure.js";
import type { Client, StopServer } from "./peers.js";

const REGISTRY_BUCKET = "bench_rpc";
const REGISTRY_TTL_MS = 30_000;

/** Echoes the name, as the peers do, so every scenario moves the same bytes. */
function helloworldModule({ helloworld }: RuntimeUnderTest): Module {
  return {
    type: "helloworld",
    version: "1.0.0",
    onInit(ctx) {
      helloworld.registerHelloworld(ctx.server, { sayHi: (name) => name });
    },
  };
}

/** `runtime`: this tree's, or the copy without the middleware layer (no-middleware.ts). */
async function natsApp(natsUrl: string, { runtime }: RuntimeUnderTest): Promise<{ app: App; close(): Promise<void> }> {
  const { createApp, NatsKvRegistry } = runtime;
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const registry = new NatsKvRegistry({ connection: nc, bucket: REGISTRY_BUCKET, ttlMs: REGISTRY_TTL_MS });
  const app = createApp({
    nats: nc,
    registry,
    registerTtlMs: REGISTRY_TTL_MS,
    parseFlags: false,
    debug: false,
  });
  return {
    app,
    close: async () => {
      await app.stop();
      await registry.close();
      await nc.close();
    },
  };
}

/** A middleware that only passes the call on: what installing one costs, against none installed. */
const passThrough: Middleware = { name: "pass-through", server: (_call, next) => next(), client: (_call, next) => next() };

export async function startMqgenServer(natsUrl: string, withMiddleware = false, under: RuntimeUnderTest = current): Promise<StopServer> {
  const { app, close } = await natsApp(natsUrl, under);
  if (withMiddleware) app.use(passThrough);
  await app.start([helloworldModule(under)]);
  return close;
}

function checkReply(reply: string): void {
  if (reply !== "x") throw new Error(`mqgen echo mismatch: ${reply}`);
}

export async function startMqgenClient(natsUrl: string, withMiddleware = false, under: RuntimeUnderTest = current): Promise<Client> {
  const { app, close } = await natsApp(natsUrl, under);
  if (withMiddleware) app.use(passThrough);
  await app.start([]);
  const helloworld = new under.helloworld.HelloworldClient(app);
  // The server registered before we started; wait until this app's registry view has it.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      checkReply(await helloworld.sayHi("x", { timeout: 2000 }));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
  return { call: async () => checkReply(await helloworld.sayHi("x")), close };
}

export async function startMqgenLocal(under: RuntimeUnderTest = current): Promise<Client> {
  const app = under.runtime.createApp({ parseFlags: false, debug: false });
  await app.start([helloworldModule(under)]);
  const helloworld = new under.helloworld.HelloworldClient(app);
  return { call: async () => checkReply(await helloworld.sayHi("x")), close: () => app.stop() };
}
