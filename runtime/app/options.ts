/** What createApp takes and what it returns: the app's options and its public interface. */
import type { NatsConnection } from "../nats-connection.js";
import type { RawHandler, SelectOptions } from "../descriptor.js";
import type { ObserveOptions, OpsHub } from "../observe/hooks.js";
import type { Registry, ServiceNode } from "../registry/types.js";
import type { CompleteInfo, HandleInfo } from "../rpc/server-types.js";
import type { AppConfig } from "./config.js";
import type { AppHandle, Module } from "./types.js";
import type { Middleware, UseOptions } from "../middleware/types.js";
import type { PushSender } from "../push/send.js";
import type { EventBus } from "../events/types.js";

export interface AppOptions extends ObserveOptions {
  /** Console logging (mqant Debug; default true as mqant). */
  readonly debug?: boolean;
  /** Module group of this process (default "development", or -pid). */
  readonly processId?: string;
  readonly workDir?: string;
  /** server.json path; a given path that does not exist is a ConfigError. */
  readonly configPath?: string;
  /** server.json content inline (wins over any path). */
  readonly config?: object;
  readonly logDir?: string;
  /** Where BI report files go (mqant BILogDir; default `-bi` or `<wd>/bin/bi`), when the BI section asks. */
  readonly biDir?: string;
  /**
   * A NATS connection, servers to connect to, or nothing: then `--nats` on the command line, else the
   * `NATS_URL` environment variable, else in process only. A connection made from servers reconnects
   * forever and is drained at stop; a connection you pass stays open after stop.
   */
  readonly nats?: NatsConnection | { readonly servers: string | string[]; readonly reconnectTimeWaitMs?: number };
  /**
   * Default: `--registry` on the command line, else `MQGEN_REGISTRY` (`memory`, `nats-kv`,
   * `etcd[://host:port,…]`, `consul[://host:port]`), else the NATS KV registry on the app's NATS when it has
   * one (the nats-server needs JetStream), else a MemoryRegistry private to this app. A registry the app
   * created is closed at stop; one you pass is not.
   */
  readonly registry?: Registry;
  /** Where NATS_URL and MQGEN_REGISTRY are read from (default process.env; `{}` reads none). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** App-wide node selection (strategy and filters). */
  readonly selector?: SelectOptions;
  readonly registerTtlMs?: number;
  readonly registerIntervalMs?: number;
  /** Default call timeout; overrides Rpc.RpcExpired. */
  readonly rpcTimeoutMs?: number;
  readonly killWaitMs?: number;
  /** Read -wd -conf -pid -log -bi -nats -registry from the command line (default true). */
  readonly parseFlags?: boolean;
  /** Arguments to parse instead of process.argv.slice(2). */
  readonly argv?: readonly string[];
  /** Fixed node ids per module type (16 hex or `type@id`); default random 16 hex. */
  readonly nodeIds?: Readonly<Record<string, string>>;
  /** What a contract check does on a schema hash mismatch (used by schema-aware callers). */
  readonly schemaMismatch?: "reject" | "warn";
  /** Extra registry metadata for every node of this app. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Console destination (tests); default stdout. */
  readonly console?: { write(line: string): unknown };
}

export interface BeforeHandleInfo extends HandleInfo {}
export type { CompleteInfo };

export type Hook<A extends unknown[]> = (...args: A) => void | Promise<void>;

/** The app; as a `PushSender` it is what generated `<Module>Pushes` classes send through. */
export interface App extends AppHandle, PushSender {
  start(modules: readonly Module[]): Promise<void>;
  stop(reason?: string): Promise<void>;
  run(modules: readonly Module[]): Promise<void>;
  onConfigurationLoaded(hook: Hook<[App]>): void;
  onModuleInited(hook: Hook<[App, Module]>): void;
  onStartup(hook: Hook<[App]>): void;
  onDestroy(hook: Hook<[App]>): void;
  onBeforeHandle(hook: (info: BeforeHandleInfo) => unknown): void;
  onComplete(hook: (info: CompleteInfo) => void): void;
  onNotFound(hook: (info: { module: string; nodeId: string; fn: string }) => RawHandler | undefined): void;
  /** mqant BiReport: a raw line into the BI file (nothing without a BI file section). */
  biReport(line: string): void;
  getServerById(nodeId: string): Promise<ServiceNode>;
  getServersByType(type: string): Promise<readonly ServiceNode[]>;
  /** Module type → node id, for the modules running in this process. */
  readonly nodeIds: Readonly<Record<string, string>>;
  readonly config: AppConfig;
  readonly workDir: string;
  readonly registry: Registry;
  /** The NATS connection (mqant Transport()), when configured. */
  readonly nats: NatsConnection | undefined;
  readonly schemaMismatch: "reject" | "warn";
  /** Default call timeout in ms in effect. */
  readonly rpcTimeoutMs: number;
  /** Installs middleware around calls (client side) and handlers (server side); first installed is outermost. */
  use(middleware: Middleware, options?: UseOptions): void;
  /** Resolves once a node of every type is routable; NoneAvailableError naming the missing after `timeoutMs` (30 s). */
  waitFor(types: readonly string[], options?: { readonly timeoutMs?: number }): Promise<void>;
  readonly ops: OpsHub;
  /** Typed events between modules (generated `<Module>Events`); a balanced event subscribed here needs `{ group }`. */
  readonly events: EventBus;
}
