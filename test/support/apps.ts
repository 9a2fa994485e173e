/**
 * Small helpers for runtime tests: modules from closures, and a pair of apps (server side and caller
 * side) that talk either in process or over a real NATS server.
 */
import type { App, AppOptions, Module, ModuleContext, Registry } from "../../runtime/index.js";
import { MemoryRegistry, createApp } from "../../runtime/index.js";

export function testModule(type: string, onInit: (ctx: ModuleContext) => void | Promise<void>, extra: Partial<Module> = {}): Module {
  return { type, version: "1.0.0", onInit, ...extra };
}

export interface AppPair {
  /** Runs the modules. */
  readonly server: App;
  /** Calls them: the same app in process, another app over NATS. */
  readonly client: App;
  stop(): Promise<void>;
}

export type Mode = "in-process" | "nats";

export async function startPair(
  mode: Mode,
  modules: Module[],
  options: { natsUrl?: string; config?: object; rpc?: object; registry?: Registry; app?: Partial<AppOptions> } = {},
): Promise<AppPair> {
  const registry = options.registry ?? new MemoryRegistry();
  const config = options.config ?? configFor(modules, options.rpc);
  const base: AppOptions = { parseFlags: false, debug: false, registry, config, ...options.app };
  if (mode === "in-process") {
    const app = createApp(base);
    await app.start(modules);
    return { server: app, client: app, stop: () => app.stop() };
  }
  if (options.natsUrl === undefined) throw new Error("nats mode needs natsUrl");
  const server = createApp({ ...base, nats: { servers: options.natsUrl } });
  await server.start(modules);
  const client = createApp({ ...base, processId: "caller", nats: { servers: options.natsUrl } });
  await client.start([]);
  return {
    server,
    client,
    stop: async () => {
      await client.stop();
      await server.stop();
    },
  };
}

/** server.json running each module once in process group "development". */
export function configFor(modules: readonly Module[], rpc: object = {}, processId = "development"): object {
  const Module: Record<string, object[]> = {};
  for (const m of modules) Module[m.type] = [{ Id: m.type, ProcessID: processId }];
  return { Module, Rpc: rpc };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
