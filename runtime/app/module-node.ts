/**
 * One module instance becoming a node: its RPC server, its registry entry, its onInit, then serving on the
 * transport and being advertised — in that order, so no caller finds the node before it can answer.
 */
import { hostname as osHostname } from "node:os";
import type { Logger } from "../log/types.js";
import type { EventHub } from "../events/bus.js";
import { newId16 } from "../codec/ids.js";
import type { MiddlewareStack } from "../middleware/chain.js";
import { localNode, type OpsHub } from "../observe/hooks.js";
import { Registrar } from "../registry/registrar.js";
import type { Registry, Service } from "../registry/types.js";
import { schemaMetadata } from "../rpc/schema-check.js";
import { RpcServer, type ServerHooks, type UntypedCodec } from "../rpc/server.js";
import { NatsTransport } from "../transport/nats.js";
import type { AppConfig } from "./config.js";
import type { App, AppOptions, Hook } from "./options.js";
import { registrationTimes, within, withEntry } from "./support.js";
import type { Module, ModuleContext, ModuleSettings } from "./types.js";

export interface RunningModule {
  readonly module: Module;
  readonly settings: ModuleSettings;
  readonly nodeId: string;
  readonly address: string;
  readonly server: RpcServer;
  readonly registrar: Registrar;
  readonly metadata: Record<string, string>;
  readonly log: Logger;
  /** Aborted when this module should leave run(). */
  readonly abort: AbortController;
  run: Promise<void> | undefined;
}

/** What a module node is built from: the app's shared pieces, fixed once the app has connected. */
export interface ModuleNodeParts {
  readonly app: App;
  readonly options: AppOptions;
  readonly hooks: ServerHooks;
  readonly middleware: MiddlewareStack;
  readonly untyped: UntypedCodec;
  readonly ops: OpsHub;
  readonly registry: Registry;
  readonly transport: NatsTransport | undefined;
  readonly log: Logger;
  readonly moduleInited: readonly Hook<[App, Module]>[];
  /** Gives each module its `ctx.events`, scoped to its type. */
  readonly eventHub: EventHub;
  /**
   * Takes the node into the app's running set once onInit has succeeded, before it is served or
   * registered, so a failure from there on is cleaned up by stop().
   */
  readonly adopt: (running: RunningModule) => void;
}

function nodeIdFor(m: Module, options: AppOptions): string {
  const fixed = options.nodeIds?.[m.type] ?? (m as { nodeId?: unknown }).nodeId;
  if (typeof fixed === "string" && fixed !== "") return fixed.includes("@") ? fixed : `${m.type}@${fixed}`;
  return `${m.type}@${newId16()}`;
}

export async function startModuleNode(parts: ModuleNodeParts, m: Module, entry: ModuleSettings, config: AppConfig): Promise<void> {
  const { app, options, ops, transport } = parts;
  const nodeId = nodeIdFor(m, options);
  const log = parts.log.child({ module: m.type });
  const server = new RpcServer({
    type: m.type,
    nodeId,
    maxConcurrent: config.rpc.maxCoroutine,
    maxQueue: config.rpc.maxQueue,
    untyped: parts.untyped,
    caller: app,
    hooks: parts.hooks,
    log,
    logCalls: config.rpc.log,
    logSuccess: config.rpc.logSuccess,
    middleware: parts.middleware,
    ...ops.serverOptions(m.type, nodeId, options.tracing),
  });
  const address = transport !== undefined ? NatsTransport.newAddress() : `local:${nodeId}`;
  const metadata: Record<string, string> = {
    ...options.metadata,
    hostname: osHostname(),
    pid: String(process.pid),
    version: m.version,
  };
  const appTimes = { ttlMs: options.registerTtlMs ?? 20_000, intervalMs: options.registerIntervalMs ?? 10_000 };
  const times = registrationTimes(m, appTimes, parts.registry.name === "nats-kv" ? appTimes.ttlMs : undefined);
  const registrar = new Registrar({
    registry: ops.observeRegistry(parts.registry),
    ...times,
    log,
    service: (): Service => ({
      name: m.type,
      version: m.version,
      metadata: null,
      nodes: [{ id: nodeId, address, port: 0, metadata: { ...metadata } }],
    }),
  });
  const running: RunningModule = { module: m, settings: entry, nodeId, address, server, registrar, metadata, log, abort: new AbortController(), run: undefined };
  const ctx: ModuleContext = {
    app,
    settings: entry,
    server,
    nodeId,
    log,
    metadata,
    serviceRegister: () => registrar.update(),
    events: parts.eventHub.scope(m.type),
  };
  try {
    await m.onInit(ctx);
  } catch (err) {
    throw withEntry(err, m.type, config.modules[m.type]?.indexOf(entry) ?? 0);
  }
  // Contract check: the module and per-handler schema hashes callers compare with (schema-check.ts).
  Object.assign(metadata, schemaMetadata(server.schemaHash, server.handlerHashes));
  parts.adopt(running);
  if (transport !== undefined) {
    transport.serve(address, server);
    // The subscription must reach nats-server before the node is advertised: a caller that finds the node
    // first would get "no responders" and drop it from routing. Bounded, so a slow server never blocks start.
    await within(transport.nc.flush(), 2000);
  }
  await registrar.start();
  for (const hook of parts.moduleInited) await hook(app, m);
  if (m.run !== undefined) {
    running.run = Promise.resolve()
      .then(() => m.run?.(running.abort.signal))
      .catch((err: unknown) => log.error({ err }, `module ${m.type} run() failed`));
  }
  ops.nodeStarted(localNode(m, nodeId, address, metadata, server, registrar));
  log.info(`module ${m.type} started as ${nodeId} at ${address}`);
}
