/**
 * Starts `echo` worker processes (worker.ts under `node --import tsx`) and a caller app in the test
 * process, for the multi-process discovery tests and the benchmark.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "nats";
import { createApp, type App } from "../../runtime/internal.js";
import type { SelectOptions } from "../../runtime/internal.js";
import type { Registry } from "../../runtime/internal.js";

const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url));

export interface WorkerOptions {
  readonly natsUrl: string;
  readonly registry?: "nats-kv" | "etcd" | "consul";
  readonly etcdEndpoint?: string;
  readonly consulAddress?: string;
  readonly kvBucket?: string;
  readonly version?: string;
  readonly state?: string;
  readonly weight?: string;
  readonly ttlMs: number;
  readonly intervalMs: number;
  /** Registry request timeout of the worker, ms (default 1000). */
  readonly requestTimeoutMs?: number;
}

export class Worker {
  nodeId = "";
  readonly exited: Promise<number | null>;
  private stdout = "";

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      this.stdout += chunk;
    });
  }

  static spawn(options: WorkerOptions): Worker {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NATS_URL: options.natsUrl,
      REGISTRY: options.registry ?? "nats-kv",
      TTL_MS: String(options.ttlMs),
      INTERVAL_MS: String(options.intervalMs),
    };
    if (options.requestTimeoutMs !== undefined) env.REQUEST_TIMEOUT_MS = String(options.requestTimeoutMs);
    if (options.etcdEndpoint !== undefined) env.ETCD_ENDPOINT = options.etcdEndpoint;
    if (options.consulAddress !== undefined) env.CONSUL_ADDR = options.consulAddress;
    if (options.kvBucket !== undefined) env.KV_BUCKET = options.kvBucket;
    if (options.version !== undefined) env.MODULE_VERSION = options.version;
    if (options.state !== undefined) env.NODE_STATE = options.state;
    if (options.weight !== undefined) env.NODE_WEIGHT = options.weight;
    const child = spawn(process.execPath, ["--import", "tsx", workerPath], { env, stdio: ["ignore", "pipe", "inherit"] });
    return new Worker(child);
  }

  /** Resolves with the node id once the worker printed READY. */
  async ready(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /READY (\S+)/.exec(this.stdout);
      if (match !== null) {
        this.nodeId = match[1]!;
        return this.nodeId;
      }
      if (this.child.exitCode !== null) throw new Error(`worker exited (${this.child.exitCode}) before READY`);
      if (Date.now() > deadline) throw new Error("worker not READY in time");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  get stoppedGracefully(): boolean {
    return this.stdout.includes(`STOPPED ${this.nodeId}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }
}

export async function startWorkers(list: readonly WorkerOptions[]): Promise<Worker[]> {
  const workers = list.map((options) => Worker.spawn(options));
  try {
    await Promise.all(workers.map((w) => w.ready()));
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    throw error;
  }
  return workers;
}

export interface Caller {
  readonly app: App;
  readonly nc: NatsConnection;
  close(): Promise<void>;
}

/** A caller app (no modules of its own) in the test process. */
export async function startCaller(options: {
  natsUrl: string;
  registry: (nc: NatsConnection) => Registry;
  ttlMs: number;
  selector?: SelectOptions;
}): Promise<Caller> {
  const nc = await connect({ servers: options.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const registry = options.registry(nc);
  const app = createApp({
    nats: nc,
    registry,
    registerTtlMs: options.ttlMs,
    parseFlags: false,
    debug: false,
    ...(options.selector !== undefined ? { selector: options.selector } : {}),
  });
  await app.start([]);
  return {
    app,
    nc,
    close: async () => {
      await app.stop();
      await registry.close();
      await nc.close();
    },
  };
}

export function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
