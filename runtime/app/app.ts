/**
 * The app: mqant's App and ModuleManager in one. It loads server.json (or the embedded default that runs
 * every given module here), starts logging, connects NATS when asked, runs the modules of this process's
 * ProcessID group, registers each module instance as a node, and routes calls to them in process or over
 * NATS. Stopping is graceful and bounded: stop taking calls, deregister, drain in-flight calls, destroy
 * modules in reverse order, close NATS — and if killWait runs out, a clear log line instead of a panic.
 * A module's node is built in module-node.ts, the stop sequence is shutdown.ts, signals are run.ts.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { NatsConnection } from "nats";
import type { Logger } from "../log/types.js";
import { ClosedError, ConfigError, NotStartedError } from "../errors.js";
import { createBiWriter, createLogger, type AppLogger, type BiWriter } from "../log/logger.js";
import type { Registry, ServiceNode } from "../registry/types.js";
import { decodeArg, encodeArg } from "../rpc/args.js";
import { RpcClient } from "../rpc/client.js";
import type {
  ArgSerializer,
  CallOptions,
  HandlerDescriptor,
  ModuleDescriptor,
  PushDescriptor,
  RawHandler,
  RawResult,
} from "../descriptor.js";
import { SchemaGuard } from "../rpc/schema-check.js";
import { RpcServer, type ServerHooks, type UntypedCodec } from "../rpc/server.js";
import { cloneValue } from "../codec/values.js";
import { Selector } from "../selector/selector.js";
import { natsProbe } from "../transport/presence.js";
import { LocalTransport } from "../transport/local.js";
import { NatsTransport } from "../transport/nats.js";
import { OpsHub } from "../observe/hooks.js";
import { defaultConfig, loadConfigFile, parseConfig, type AppConfig } from "./config.js";
import { connectionSettings, createRegistry, describeRegistry, openNats, type ConnectionSettings } from "./connection.js";
import { parseFlags, type AppFlags } from "./flags.js";
import type { Module } from "./types.js";
import { type App, type AppOptions, type BeforeHandleInfo, type CompleteInfo, type Hook } from "./options.js";
import { DEFAULT_DEPENDENCY_TIMEOUT_MS, dependenciesOf, startOrder, waitForModules } from "./dependencies.js";
import { MiddlewareStack } from "../middleware/chain.js";
import { startModuleNode, type ModuleNodeParts, type RunningModule } from "./module-node.js";
import { shutDown } from "./shutdown.js";
import { runUntilStopped } from "./run.js";
import type { Middleware, UseOptions } from "../middleware/types.js";
import { sendPush, type PushTarget } from "../push/send.js";
import { EventHub } from "../events/bus.js";

export type { App, AppOptions, BeforeHandleInfo, CompleteInfo };

class DefaultApp implements App {
  readonly processId: string;
  readonly workDir: string;
  readonly schemaMismatch: "reject" | "warn";
  private readonly flags: AppFlags;
  private readonly serializers: ArgSerializer[] = [];
  private readonly hooks: ServerHooks = {};
  private readonly middleware = new MiddlewareStack();
  private readonly configurationLoaded: Hook<[App]>[] = [];
  private readonly moduleInited: Hook<[App, Module]>[] = [];
  private readonly startup: Hook<[App]>[] = [];
  private readonly destroy: Hook<[App]>[] = [];
  private readonly running: RunningModule[] = [];
  private readonly local = new LocalTransport<RpcServer>();
  private readonly untyped: UntypedCodec;
  private readonly ownsRegistry: boolean;
  private registryInstance: Registry | undefined;
  private readonly connectionSettings: ConnectionSettings;
  private loadedConfig: AppConfig | undefined;
  private appLogger: AppLogger | undefined;
  private bi: BiWriter | undefined;
  private bootLog: Logger;
  private selectorInstance: Selector | undefined;
  private client: RpcClient | undefined;
  private transport: NatsTransport | undefined;
  private connection: NatsConnection | undefined;
  private ownsConnection = false;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  private stopping: Promise<void> | undefined;
  private readonly stopWaiters: (() => void)[] = [];
  private timeoutMs = 10_000;
  readonly ops = new OpsHub();
  private readonly eventHub = new EventHub();
  readonly events = this.eventHub.scope(undefined);

  constructor(private readonly options: AppOptions) {
    this.flags = options.parseFlags === false ? {} : parseFlags(options.argv ?? process.argv.slice(2));
    this.workDir = resolve(options.workDir ?? this.flags.workDir ?? process.cwd());
    this.processId = options.processId ?? this.flags.processId ?? "development";
    this.schemaMismatch = options.schemaMismatch ?? "reject";
    this.connectionSettings = connectionSettings(
      {
        natsFlag: this.flags.natsUrl,
        registryFlag: options.registry === undefined ? this.flags.registry : undefined,
        env: options.registry === undefined || options.nats === undefined ? (options.env ?? process.env) : {},
      },
      options.nats !== undefined,
    );
    this.registryInstance = options.registry;
    this.ownsRegistry = options.registry === undefined;
    this.ops.serviceRegistry = options.registry;
    this.bootLog = createLogger({
      debug: options.debug ?? true,
      processId: this.processId,
      logDir: undefined,
      config: { json: false, file: undefined, console: false },
      console: options.console,
    }).logger;
    const serializers = this.serializers;
    this.untyped = {
      encode: (value) => encodeArg(value, serializers),
      decode: (tag, bytes) => decodeArg(tag, bytes, serializers),
      clone: (value) => cloneValue(value),
    };
  }

  // --- accessors ---

  get config(): AppConfig {
    if (this.loadedConfig === undefined) throw new NotStartedError("config not loaded yet (app not started)");
    return this.loadedConfig;
  }

  get settings(): Readonly<Record<string, unknown>> {
    return this.loadedConfig?.settings ?? {};
  }

  get log(): Logger {
    return this.appLogger?.logger ?? this.bootLog;
  }

  get nats(): NatsConnection | undefined {
    return this.connection;
  }

  get registry(): Registry {
    if (this.registryInstance === undefined) throw new NotStartedError("the app creates its registry when it starts: call start() or run() first");
    return this.registryInstance;
  }

  get rpcTimeoutMs(): number {
    return this.timeoutMs;
  }

  get nodeIds(): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const m of this.running) out[m.module.type] = m.nodeId;
    return out;
  }

  private get selector(): Selector {
    if (this.selectorInstance === undefined) throw new NotStartedError();
    return this.selectorInstance;
  }

  private get rpc(): RpcClient {
    if (this.client === undefined) throw new NotStartedError("app not started: call start() or run() first");
    return this.client;
  }

  // --- hooks ---

  onConfigurationLoaded(hook: Hook<[App]>): void {
    this.configurationLoaded.push(hook);
  }
  onModuleInited(hook: Hook<[App, Module]>): void {
    this.moduleInited.push(hook);
  }
  onStartup(hook: Hook<[App]>): void {
    this.startup.push(hook);
  }
  onDestroy(hook: Hook<[App]>): void {
    this.destroy.push(hook);
  }
  onBeforeHandle(hook: (info: BeforeHandleInfo) => unknown): void {
    this.hooks.onBeforeHandle = hook;
  }
  onComplete(hook: (info: CompleteInfo) => void): void {
    this.hooks.onComplete = hook;
  }
  onNotFound(hook: (info: { module: string; nodeId: string; fn: string }) => RawHandler | undefined): void {
    this.hooks.onNotFound = hook;
  }

  use(middleware: Middleware, options?: UseOptions): void {
    this.middleware.use(middleware, options);
  }
  waitFor(types: readonly string[], options?: { readonly timeoutMs?: number }): Promise<void> {
    return waitForModules(this.selector, types, options?.timeoutMs ?? DEFAULT_DEPENDENCY_TIMEOUT_MS, `waitFor(${types.join(", ")})`);
  }

  addSerializer(serializer: ArgSerializer): void {
    // Adding the very same serializer again is a no-op (a backend may add the gate's by hand, as in mqant,
    // and a Session adds it on first use); another serializer under a taken name is an error.
    if (this.serializers.includes(serializer)) return;
    if (this.serializers.some((s) => s.name === serializer.name)) {
      throw new ConfigError(`The name(${serializer.name}) has been occupied`);
    }
    this.serializers.push(serializer);
  }

  // --- RPC (delegates to the client) ---

  call(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<unknown> {
    return this.rpc.call(target, fn, args, options);
  }
  callNR(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<void> {
    return this.rpc.callNR(target, fn, args, options);
  }
  callHandler<A extends readonly unknown[], R>(module: ModuleDescriptor, handler: HandlerDescriptor<A, R>, args: NoInfer<A>, options?: CallOptions): Promise<R> {
    return this.rpc.callHandler(module, handler, args, options);
  }
  callHandlerNR<A extends readonly unknown[]>(module: ModuleDescriptor, handler: HandlerDescriptor<A, unknown>, args: NoInfer<A>, options?: CallOptions): Promise<void> {
    return this.rpc.callHandlerNR(module, handler, args, options);
  }
  callArgs(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<RawResult> {
    return this.rpc.callArgs(target, fn, argsType, args, options);
  }
  callArgsNR(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<void> {
    return this.rpc.callArgsNR(target, fn, argsType, args, options);
  }
  biReport(line: string): void {
    this.bi?.report(line);
  }

  getServerById(nodeId: string): Promise<ServiceNode> {
    return this.selector.getNode(nodeId);
  }
  getServersByType(type: string): Promise<readonly ServiceNode[]> {
    return this.selector.nodes(type);
  }
  sendPush(push: PushDescriptor, target: PushTarget, value: unknown): Promise<number> {
    return sendPush(this, push, target, value);
  }

  // --- lifecycle ---

  private loadConfig(modules: readonly Module[]): AppConfig {
    if (this.options.config !== undefined) return parseConfig(this.options.config);
    const explicit = this.options.configPath ?? this.flags.configPath;
    if (explicit !== undefined) {
      return loadConfigFile(isAbsolute(explicit) ? explicit : join(this.workDir, explicit));
    }
    const conventional = join(this.workDir, "bin", "conf", "server.json");
    if (existsSync(conventional)) return loadConfigFile(conventional);
    return defaultConfig(
      modules.map((m) => m.type),
      this.processId,
    );
  }

  async start(modules: readonly Module[]): Promise<void> {
    if (this.state !== "new") throw new ClosedError(`app already ${this.state}`);
    this.state = this.ops.state = "starting";
    try {
      await this.startInner(modules);
      // An onStartup hook may have stopped the app already (a one-shot tool): it stays stopped.
      if (this.stopping === undefined) this.state = this.ops.state = "running";
    } catch (err) {
      // A config error is the user's to fix and its message names the entry and key: one line, no stack.
      if (err instanceof ConfigError) this.log.error(`start failed: ${err.message}`);
      else this.log.error({ err }, `start failed: ${(err as Error).message}`);
      await this.stop("start failed").catch(() => undefined);
      throw err;
    }
  }

  private async startInner(modules: readonly Module[]): Promise<void> {
    const seen = new Set<string>();
    for (const m of modules) {
      if (seen.has(m.type)) throw new ConfigError(`module type ${JSON.stringify(m.type)} given twice to the app`);
      seen.add(m.type);
    }
    const config = this.loadConfig(modules);
    this.loadedConfig = config;
    this.timeoutMs = this.options.rpcTimeoutMs ?? config.rpc.rpcExpired * 1000;
    for (const hook of this.configurationLoaded) await hook(this);

    const logDir = this.options.logDir ?? this.flags.logDir ?? join(this.workDir, "bin", "logs");
    this.appLogger = createLogger({
      debug: this.options.debug ?? true,
      processId: this.processId,
      logDir: isAbsolute(logDir) ? logDir : join(this.workDir, logDir),
      config: config.log,
      console: this.options.console,
    });

    const biDir = this.options.biDir ?? this.flags.biDir ?? join(this.workDir, "bin", "bi");
    this.bi = createBiWriter({ processId: this.processId, dir: isAbsolute(biDir) ? biDir : join(this.workDir, biDir), config: config.bi });

    const settings = this.connectionSettings;
    const nats = await openNats(this.options.nats, settings, this.processId, this.log);
    if (nats !== undefined) {
      this.connection = nats.connection;
      this.ownsConnection = nats.owned;
      this.ops.attachNats(nats.connection, this.log, this.options.micro !== false);
    }
    if (this.registryInstance === undefined) {
      this.registryInstance = await createRegistry(settings.registry, {
        connection: this.connection,
        ttlMs: this.options.registerTtlMs ?? 20_000,
        source: settings.registrySource,
      });
      this.ops.serviceRegistry = this.registryInstance;
      const line = `registry: ${describeRegistry(settings.registry)} (${settings.registrySource})${settings.natsSource === undefined ? "" : `, NATS from ${settings.natsSource}`}`;
      // Only worth a line when the app talks to other processes.
      if (settings.registry.kind === "memory" && this.connection === undefined) this.log.debug(line);
      else this.log.info(line);
    }

    this.selectorInstance = new Selector({
      registry: this.registry,
      defaults: this.options.selector,
      deadMs: this.options.registerTtlMs ?? 20_000,
      probe: this.connection === undefined ? undefined : natsProbe(this.connection),
      log: this.log,
    });
    if (this.connection !== undefined) {
      this.transport = new NatsTransport(this.connection, this.log, (nodeId) => this.selectorInstance?.markDead(nodeId));
    }
    this.eventHub.attach(this.connection, this.log);
    this.client = new RpcClient({
      selector: this.selectorInstance,
      local: this.local,
      nats: this.transport,
      serializers: this.serializers,
      timeoutMs: () => this.timeoutMs,
      log: this.log,
      schemaGuard: new SchemaGuard({ policy: this.schemaMismatch, log: this.log }),
      middleware: this.middleware,
      ...this.ops.clientOptions(this.options.tracing),
    });

    for (const m of modules) await m.onAppConfigurationLoaded?.(this);

    const parts: ModuleNodeParts = {
      app: this,
      options: this.options,
      hooks: this.hooks,
      middleware: this.middleware,
      untyped: this.untyped,
      ops: this.ops,
      registry: this.registry,
      transport: this.transport,
      log: this.log,
      moduleInited: this.moduleInited,
      eventHub: this.eventHub,
      adopt: (running) => {
        this.running.push(running);
        this.local.add(running.server);
      },
    };
    for (const m of startOrder(modules)) {
      const entries = config.modules[m.type];
      const entry = entries?.find((e) => e.processId === this.processId);
      if (entry === undefined) {
        this.log.debug(`module ${m.type}: not in process group ${this.processId}, not run here`);
        continue;
      }
      const needs = dependenciesOf(m).filter((d) => d !== m.type);
      if (needs.length > 0) await waitForModules(this.selector, needs, m.dependencyTimeoutMs ?? DEFAULT_DEPENDENCY_TIMEOUT_MS, `module ${m.type}: dependencies`);
      await startModuleNode(parts, m, entry, config);
    }
    for (const hook of this.startup) await hook(this);
    if (this.stopping !== undefined) return;
    this.log.info(
      `app started: process ${this.processId}, modules ${this.running.map((r) => r.nodeId).join(", ") || "(none)"}${this.connection ? "" : " (in process, no NATS)"}`,
    );
  }

  stop(reason = "stop requested"): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.stopping = this.stopInner(reason);
    return this.stopping;
  }

  private async stopInner(reason: string): Promise<void> {
    const wasStarted = this.state !== "new";
    this.state = this.ops.state = "stopping";
    const killWaitMs = this.options.killWaitMs ?? 60_000;
    const log = this.log;
    if (wasStarted) log.info(`app stopping (${reason})`);
    const { timedOut, pending } = await shutDown({
      app: this,
      log,
      ops: this.ops,
      killWaitMs,
      running: this.running,
      destroyHooks: this.destroy,
      eventHub: this.eventHub,
      client: this.client,
      transport: this.transport,
      local: this.local,
      selector: this.selectorInstance,
      ownedConnection: this.ownsConnection ? this.connection : undefined,
      ownedRegistry: this.ownsRegistry ? this.registryInstance : undefined,
    });
    if (timedOut) {
      log.error(`app stop: kill-wait of ${killWaitMs} ms reached with ${pending} call(s) still running; stopped anyway`);
    } else if (wasStarted) {
      log.info("app stopped");
    }
    this.state = this.ops.state = "stopped";
    this.appLogger?.close();
    this.bi?.close();
    for (const waiter of this.stopWaiters.splice(0)) waiter();
  }

  run(modules: readonly Module[]): Promise<void> {
    return runUntilStopped(
      {
        start: (m) => this.start(m),
        stop: (reason) => this.stop(reason),
        // stop() called directly (or from an onStartup hook) also ends run().
        stopped: async () => {
          if (this.stopping === undefined) await new Promise<void>((resolveRun) => this.stopWaiters.push(resolveRun));
          await this.stopping;
        },
      },
      modules,
    );
  }
}

/** mqant CreateApp. Configuration is read when the app starts. */
export function createApp(options: AppOptions = {}): App {
  return new DefaultApp(options);
}
