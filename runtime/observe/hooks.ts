/**
 * The seams operations tooling hangs on. The rooms that do the work (RPC server and client, gate, HTTP
 * gateway, registrar) know only these small observer interfaces — never prom-client, OpenTelemetry or the
 * `$SRV` responder — and call them only when something is attached. `OpsHub` is the app's one fan-out
 * point: metrics, `$SRV` stats and the console all subscribe to it.
 */
import type { NatsConnection } from "../nats-connection.js";
import { natsJs } from "../nats-js.js";
import type { Logger } from "../log/types.js";
import type { Registry, RegistryWatcher, Service } from "../registry/types.js";
import { MicroResponder } from "./micro.js";
import { CallStats } from "./call-stats.js";

/** The app options of observation (AppOptions extends them). */
export interface ObserveOptions {
  /** Answer NATS' service discovery (`$SRV.PING|INFO|STATS`) for every module (default true with NATS). */
  readonly micro?: boolean;
  /**
   * OpenTelemetry spans for calls (default true): they start only once an SDK registers a tracer provider,
   * so without one this costs a check per call (docs/operations.md).
   */
  readonly tracing?: boolean;
}

/** How a server-side call ended; the `outcome` label of the call metrics. */
export type CallOutcome = "ok" | "error" | "busy" | "deadline" | "closed" | "not_found" | "bad_request" | "refused";

/**
 * What one handler of a module instance reports, bound once when the handler is registered: the call path
 * then touches this object only, with no lookup by name or label set per call.
 */
export interface HandlerObserver {
  /** The handler began running (left the queue). */
  started(): void;
  /**
   * The call ended. `ran` is false for calls refused before their handler ran (busy, closed, unknown
   * handler, expired in the queue); only calls that ran had `started` reported. `now` is the clock reading
   * that ended it (epoch ms, sub-millisecond), so observers need not read the clock again.
   */
  finished(durationMs: number, error: string | undefined, outcome: CallOutcome, ran: boolean, now: number): void;
}

/** The name calls to a handler that does not exist are reported under, so callers cannot mint label values. */
export const UNKNOWN_HANDLER = "<unknown>";
/** The name calls served by an `onNotFound` fallback are reported under, for the same reason. */
export const FALLBACK_HANDLER = "<fallback>";

/** Per module instance: sees every call its RpcServer takes. */
export interface ServerObserver {
  /** The observer of one handler (its wire name, or UNKNOWN_HANDLER); asked once per handler. */
  handler(name: string): HandlerObserver;
}

export interface ClientObserver {
  /** A call moved on to another node after its first one failed in a way that allows it. */
  retry(module: string, handler: string): void;
}

export interface GateObserver {
  /** A socket refused before MQTT (connection limit or accept rate). */
  refused(reason: string): void;
  /** A connection closed; `reason` as the gate logs it. */
  closed(reason: string, connected: boolean): void;
  /** A client's PUBLISH routed to a backend (`in`), or a push or reply to a client (`out`). */
  publish(direction: "in" | "out"): void;
  /** MQTT packet bytes read from a client (`in`) or handed to its socket (`out`), every packet type. */
  bytes(direction: "in" | "out", count: number): void;
}

export interface HttpObserver {
  /** `route` is the route template (`/:module/:handler`), not the raw path, to bound label values. */
  request(route: string, method: string, status: number, durationMs: number): void;
}

export interface RegistryObserver {
  error(registry: string, operation: string): void;
}

export interface NatsObserver {
  status(type: string): void;
}

/** What the app tells the hub about each module instance it runs. */
export interface LocalNode {
  readonly type: string;
  readonly nodeId: string;
  readonly version: string;
  /** NATS subject of the node, or `local:<id>`. */
  readonly address: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Wire names of the registered handlers. */
  handlerNames(): readonly string[];
  /** Wire name → contract hash, for typed handlers. */
  readonly handlerHashes: ReadonlyMap<string, string>;
  /** Calls waiting in the node's queues, by handler. */
  queued(): ReadonlyMap<string, number>;
  readonly registered: () => boolean;
  readonly startedAt: number;
}

/** Something with a gate's live numbers (the gate registers itself). */
export interface GateGauges {
  readonly nodeId: string;
  readonly connectionCount: number;
  readonly socketCount: number;
}

export type AppState = "new" | "starting" | "running" | "stopping" | "stopped";

/** Everything that wants to watch the app subscribes here. */
export interface OpsListener {
  readonly server?: (type: string, nodeId: string) => ServerObserver | undefined;
  readonly client?: ClientObserver;
  readonly gate?: GateObserver;
  readonly http?: HttpObserver;
  readonly registry?: RegistryObserver;
  readonly nats?: NatsObserver;
  nodeStarted?(node: LocalNode): void;
  nodeStopped?(node: LocalNode): void;
}

class HandlerFanout implements HandlerObserver {
  constructor(readonly targets: readonly HandlerObserver[]) {}
  started(): void {
    for (const t of this.targets) t.started();
  }
  finished(durationMs: number, error: string | undefined, outcome: CallOutcome, ran: boolean, now: number): void {
    for (const t of this.targets) t.finished(durationMs, error, outcome, ran, now);
  }
}

class ServerFanout implements ServerObserver {
  constructor(private readonly targets: readonly ServerObserver[]) {}
  handler(name: string): HandlerObserver {
    return new HandlerFanout(this.targets.map((t) => t.handler(name)));
  }
}

/** What the call path of one handler reports to: counts it updates in place, and observers it calls. */
export interface HandlerReport {
  readonly stats: CallStats | undefined;
  readonly observer: HandlerObserver | undefined;
}

/**
 * The report of handler `name`, asked once when it is registered: the first CallStats among the observers
 * becomes the counts the server updates in place (no call per update), every other observer is called.
 */
export function handlerReport(server: ServerObserver | undefined, name: string): HandlerReport {
  const observer = server?.handler(name);
  if (observer === undefined) return { stats: undefined, observer: undefined };
  const targets = observer instanceof HandlerFanout ? observer.targets : [observer];
  const stats = targets.find((t): t is CallStats => t instanceof CallStats);
  if (stats === undefined) return { stats: undefined, observer };
  const rest = targets.filter((t) => t !== stats);
  return { stats, observer: rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : new HandlerFanout(rest) };
}

export class OpsHub {
  private readonly listeners: OpsListener[] = [];
  private readonly nodes = new Map<string, LocalNode>();
  private readonly gates = new Set<GateGauges>();
  /** The app's lifecycle state (the app sets it). */
  state: AppState = "new";
  /** The app's service registry (the app sets it), for node counts and the console's node list. */
  serviceRegistry: Registry | undefined;
  private connection: NatsConnection | undefined;
  private natsConnected = false;

  readonly client: ClientObserver = {
    retry: (module, handler) => {
      for (const l of this.listeners) l.client?.retry(module, handler);
    },
  };
  readonly gate: GateObserver = {
    refused: (reason) => {
      for (const l of this.listeners) l.gate?.refused(reason);
    },
    closed: (reason, connected) => {
      for (const l of this.listeners) l.gate?.closed(reason, connected);
    },
    publish: (direction) => {
      for (const l of this.listeners) l.gate?.publish(direction);
    },
    bytes: (direction, count) => {
      for (const l of this.listeners) l.gate?.bytes(direction, count);
    },
  };
  readonly http: HttpObserver = {
    request: (route, method, status, durationMs) => {
      for (const l of this.listeners) l.http?.request(route, method, status, durationMs);
    },
  };
  readonly registryObserver: RegistryObserver = {
    error: (registry, operation) => {
      for (const l of this.listeners) l.registry?.error(registry, operation);
    },
  };

  /** Subscribes; listeners added after a node started still see it through `localNodes()`. */
  add(listener: OpsListener): void {
    this.listeners.push(listener);
  }

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  /** The observer one RpcServer reports to; undefined when nothing listens, so the server skips the work. */
  serverObserver(type: string, nodeId: string): ServerObserver | undefined {
    const targets: ServerObserver[] = [];
    for (const l of this.listeners) {
      const observer = l.server?.(type, nodeId);
      if (observer !== undefined) targets.push(observer);
    }
    if (targets.length === 0) return undefined;
    return targets.length === 1 ? targets[0] : new ServerFanout(targets);
  }

  nodeStarted(node: LocalNode): void {
    this.nodes.set(node.nodeId, node);
    for (const l of this.listeners) l.nodeStarted?.(node);
  }

  nodeStopped(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    if (node === undefined) return;
    this.nodes.delete(nodeId);
    for (const l of this.listeners) l.nodeStopped?.(node);
  }

  localNodes(): readonly LocalNode[] {
    return [...this.nodes.values()];
  }

  addGate(gate: GateGauges): void {
    this.gates.add(gate);
  }

  removeGate(gate: GateGauges): void {
    this.gates.delete(gate);
  }

  gateGauges(): readonly GateGauges[] {
    return [...this.gates];
  }

  /**
   * The app's NATS connection: its status is followed (logged, for readiness and the reconnect counter),
   * and with `micro` every module answers `$SRV`.
   */
  attachNats(nc: NatsConnection, log: Logger, micro: boolean): void {
    this.connection = nc;
    this.natsConnected = !nc.isClosed();
    if (micro) this.add(new MicroResponder(natsJs(nc, "nats"), log, this));
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === "disconnect") {
          this.natsConnected = false;
          log.warn(`nats: disconnected from ${String(status.data)}, reconnecting`);
        } else if (status.type === "reconnect") {
          this.natsConnected = true;
          log.info(`nats: reconnected to ${String(status.data)}`);
        }
        for (const l of this.listeners) l.nats?.status(status.type);
      }
    })().catch(() => undefined);
  }

  /** What the app's RPC client takes from the hub. */
  clientOptions(tracing: boolean | undefined): { observer: ClientObserver; tracing: boolean } {
    return { observer: this.client, tracing: tracing !== false };
  }

  /** What one RpcServer takes from the hub; `observer` is left out when nothing listens. */
  serverOptions(type: string, nodeId: string, tracing: boolean | undefined): { observer?: ServerObserver; tracing: boolean } {
    const observer = this.serverObserver(type, nodeId);
    return observer === undefined ? { tracing: tracing !== false } : { observer, tracing: tracing !== false };
  }

  get nats(): NatsConnection | undefined {
    return this.connection;
  }

  /** Undefined when the app runs without NATS. */
  get natsUp(): boolean | undefined {
    if (this.connection === undefined) return undefined;
    return this.natsConnected && !this.connection.isClosed();
  }

  /** The registry as the registrar should use it: failures are reported before they propagate. */
  observeRegistry(registry: Registry): Registry {
    const report = this.registryObserver;
    const watched = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        report.error(registry.name, operation);
        throw err;
      }
    };
    return {
      get name() {
        return registry.name;
      },
      register: (service: Service, options) => watched("register", () => registry.register(service, options)),
      deregister: (service: Service) => watched("deregister", () => registry.deregister(service)),
      getService: (name: string) => watched("get", () => registry.getService(name)),
      listServices: () => watched("list", () => registry.listServices()),
      watch: (options): RegistryWatcher => registry.watch(options),
      close: () => registry.close(),
    };
  }
}

/** The hub's view of a module instance the app started. */
export function localNode(
  m: { readonly type: string; readonly version: string },
  nodeId: string,
  address: string,
  metadata: Readonly<Record<string, string>>,
  server: { readonly handlerNames: readonly string[]; readonly handlerHashes: ReadonlyMap<string, string>; queuedByHandler(): ReadonlyMap<string, number> },
  registrar: { readonly isRegistered: boolean },
): LocalNode {
  return {
    type: m.type,
    nodeId,
    version: m.version,
    address,
    metadata,
    handlerNames: () => server.handlerNames,
    handlerHashes: server.handlerHashes,
    queued: () => server.queuedByHandler(),
    registered: () => registrar.isRegistered,
    startedAt: Date.now(),
  };
}

/** Error text → outcome, for the paths where only mqant's error string is left. */
export function outcomeOf(error: string | undefined): CallOutcome {
  if (error === undefined) return "ok";
  if (error.includes(" busy: ")) return "busy";
  if (error === "deadline exceeded" || error.endsWith("deadline exceeded")) return "deadline";
  if (/ rpc server closed$/.test(error)) return "closed";
  if (/^Remote function\(.*\) not found$/.test(error)) return "not_found";
  return "error";
}
