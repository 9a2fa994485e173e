/**
 * Apps for the fault tests, each with its own NATS connection (so killing a server or cutting a link hits
 * only the apps connected through it): `echo` backends answering with their node id, and callers that
 * keep a fixed number of calls in flight and record how each one settled.
 */
import { connect, type NatsConnection } from "nats";
import { createApp, type App, type CallOptions, type Module, type Registry } from "../../runtime/internal.js";
import { echoModule } from "../discovery/echo-module.js";

export interface FaultAppOptions {
  /** Servers of this app's RPC connection (the first is tried first). */
  readonly servers: string | string[];
  /** The registry, given this app's connection (or one of its own). */
  readonly registry: (nc: NatsConnection) => Registry;
  readonly ttlMs: number;
  readonly intervalMs: number;
  readonly processId: string;
  /** Delay between reconnect attempts, ms. */
  readonly reconnectTimeWaitMs?: number;
}

export interface FaultApp {
  readonly app: App;
  readonly nc: NatsConnection;
  readonly registry: Registry;
  /** The echo node's id (backends only). */
  readonly nodeId: string;
  close(): Promise<void>;
}

async function startFaultApp(options: FaultAppOptions, modules: Module[]): Promise<FaultApp> {
  // The servers in the order given (the first is this app's server), reconnecting forever and fast.
  const nc = await connect({
    servers: options.servers,
    name: options.processId,
    noRandomize: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 50,
    reconnectJitter: 20,
    waitOnFirstConnect: true,
  });
  const registry = options.registry(nc);
  const Module: Record<string, object[]> = {};
  for (const m of modules) Module[m.type] = [{ Id: m.type, ProcessID: options.processId }];
  const app = createApp({
    nats: nc,
    registry,
    registerTtlMs: options.ttlMs,
    registerIntervalMs: options.intervalMs,
    parseFlags: false,
    // MQGEN_FAULT_LOG=1 shows the apps' logs when a fault test needs explaining.
    debug: process.env.MQGEN_FAULT_LOG === "1",
    processId: options.processId,
    config: { Module, Rpc: {} },
    killWaitMs: 2000,
  });
  await app.start(modules);
  return {
    app,
    nc,
    registry,
    nodeId: "",
    close: async () => {
      await app.stop().catch(() => undefined);
      await registry.close().catch(() => undefined);
      await nc.close().catch(() => undefined);
    },
  };
}

/** An app serving `echo`: `who(delayMs)` (retry-safe) and `whoOnce(delayMs)` (not) answer with the node id. */
export async function startEchoBackend(options: FaultAppOptions): Promise<FaultApp> {
  let self = "";
  const module: Module = {
    type: echoModule.type,
    version: "1.0.0",
    onInit(ctx) {
      self = ctx.nodeId;
      const serve = async (args: unknown[]) => {
        const delayMs = Number(args[0] ?? 0);
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        return self;
      };
      ctx.server.registerHandler(echoModule, echoModule.handlers.who!, serve);
      ctx.server.registerHandler(echoModule, echoModule.handlers.whoOnce!, serve);
    },
  };
  const started = await startFaultApp(options, [module]);
  return { ...started, nodeId: self };
}

/** An app with no modules of its own, to call the backends. */
export function startCallerApp(options: FaultAppOptions): Promise<FaultApp> {
  return startFaultApp(options, []);
}

export interface Settled {
  readonly startedAt: number;
  readonly settledAt: number;
  readonly deadline: number;
  readonly node?: string;
  readonly error?: Error;
}

/** Keeps `lanes` echo calls in flight until stopped (bounded by `maxCalls`); records every outcome. */
export function keepCalling(
  caller: App,
  options: { lanes: number; timeoutMs: number; retrySafe?: boolean; delayMs?: number; maxCalls?: number; select?: CallOptions["select"] },
) {
  const handler = options.retrySafe === false ? echoModule.handlers.whoOnce! : echoModule.handlers.who!;
  const outcomes: Settled[] = [];
  let running = true;
  let started = 0;
  const maxCalls = options.maxCalls ?? 5_000_000;
  const done = Promise.all(
    Array.from({ length: options.lanes }, async () => {
      while (running && started < maxCalls) {
        started++;
        const startedAt = Date.now();
        const deadline = startedAt + options.timeoutMs;
        try {
          const node = await caller.callHandler(echoModule, handler, [options.delayMs ?? 1], {
            timeout: options.timeoutMs,
            ...(options.select !== undefined ? { select: options.select } : {}),
          });
          outcomes.push({ startedAt, settledAt: Date.now(), deadline, node });
        } catch (error) {
          outcomes.push({ startedAt, settledAt: Date.now(), deadline, error: error as Error });
          // A failure can come back without I/O: yield so the lanes cannot starve the event loop.
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }),
  );
  return {
    outcomes,
    errors: () => outcomes.filter((o) => o.error !== undefined),
    /** Outcomes settled in [from, to). */
    between: (from: number, to: number) => outcomes.filter((o) => o.settledAt >= from && o.settledAt < to),
    /** The latest settle time past its deadline, ms (negative when every call settled in time). */
    worstLateness: () => outcomes.reduce((worst, o) => Math.max(worst, o.settledAt - o.deadline), Number.NEGATIVE_INFINITY),
    async stop(): Promise<void> {
      running = false;
      await done;
    },
  };
}

/** Resolves with the time `check` first held, polling every `pollMs`; throws after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 10): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** waitUntil for a check that may throw while a server or store recovers: a throw counts as "not yet". */
export function waitUntilNoError(what: string, check: () => Promise<boolean>, timeoutMs: number, pollMs = 10): Promise<number> {
  return waitUntil(what, async () => {
    try {
      return await check();
    } catch {
      return false;
    }
  }, timeoutMs, pollMs);
}
