/**
 * bench:rpc's operations scenarios: mqgen over NATS with tracing and metrics off (the baseline), tracing on
 * with no OpenTelemetry SDK registered, metrics on (prom-client, both apps), and tracing with a real SDK
 * (BatchSpanProcessor into an exporter that only counts), each measured in the same run as the others.
 */
import { connect, type NatsConnection } from "nats";
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import { MemoryRegistry, NatsKvRegistry, appMetrics, createApp, type App, type Module } from "../../runtime/internal.js";
import { sleep } from "../support/measure.js";
import type { Client, StopServer } from "./peers.js";

export type OpsMode = "off" | "tracing" | "metrics" | "sdk";

const REGISTRY_TTL_MS = 30_000;

const helloworldModule: Module = {
  type: "helloworld",
  version: "1.0.0",
  onInit(ctx) {
    registerHelloworld(ctx.server, { sayHi: (name) => name });
  },
};

/** Exports nothing, so the measured cost is the SDK's own (span objects, batching), not a network exporter's. */
class CountingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setUp(mode: OpsMode): void {
  if (mode === "sdk") new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new CountingExporter(), { maxQueueSize: 65_536, maxExportBatchSize: 4096 })] }).register();
}

async function natsApp(natsUrl: string, mode: OpsMode, bucket: string): Promise<{ app: App; close(): Promise<void> }> {
  setUp(mode);
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const registry = new NatsKvRegistry({ connection: nc, bucket, ttlMs: REGISTRY_TTL_MS });
  const app = createApp({ nats: nc, registry, registerTtlMs: REGISTRY_TTL_MS, parseFlags: false, debug: false, tracing: mode === "tracing" || mode === "sdk" });
  if (mode === "metrics") appMetrics(app.ops, registry, { processMetrics: false });
  return {
    app,
    close: async () => {
      await app.stop();
      await registry.close();
      await nc.close();
    },
  };
}

export function opsServer(mode: OpsMode): (natsUrl: string) => Promise<StopServer> {
  return async (natsUrl) => {
    const { app, close } = await natsApp(natsUrl, mode, `bench_rpc_${mode}`);
    await app.start([helloworldModule]);
    return close;
  };
}

/** The same four modes in one process (no NATS): the per-call CPU cost shows most clearly here. */
export function opsLocal(mode: OpsMode): () => Promise<Client> {
  return async () => {
    setUp(mode);
    const registry = new MemoryRegistry();
    const app = createApp({ parseFlags: false, debug: false, registry, tracing: mode === "tracing" || mode === "sdk" });
    if (mode === "metrics") appMetrics(app.ops, registry, { processMetrics: false });
    await app.start([helloworldModule]);
    const helloworld = new HelloworldClient(app);
    return {
      call: async () => {
        if ((await helloworld.sayHi("x")) !== "x") throw new Error("mqgen echo mismatch");
      },
      close: () => app.stop(),
    };
  };
}

export function opsClient(mode: OpsMode): (natsUrl: string) => Promise<Client> {
  return async (natsUrl) => {
    const { app, close } = await natsApp(natsUrl, mode, `bench_rpc_${mode}`);
    await app.start([]);
    const helloworld = new HelloworldClient(app);
    const check = (reply: string): void => {
      if (reply !== "x") throw new Error(`mqgen echo mismatch: ${reply}`);
    };
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        check(await helloworld.sayHi("x", { timeout: 2000 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
    return { call: async () => check(await helloworld.sayHi("x")), close };
  };
}
