/**
 * Prometheus metrics of one app, on a prom-client Registry of its own (never the global one, so two apps
 * in a process, or a test's apps, never mix). Names follow Prometheus' conventions: an `mqgen_` namespace,
 * base units (`_seconds`, `_bytes`), `_total` on counters, and label values from bounded sets (module
 * type, node id, wire name, outcome, route template, status code, reason class) — never a raw path or an
 * error text.
 *
 * Everything is fed through the app's OpsHub observers; gauges that are a state of the app (in flight,
 * queue depth, registry nodes, gate connections) are read when Prometheus scrapes, so they cost nothing
 * between scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { LocalNode, OpsHub, OpsListener, ServerObserver } from "../observe/hooks.js";
import { CallStats, LATENCY_BUCKETS, callMetrics } from "./call-metrics.js";
import type { Registry as ServiceRegistry } from "../registry/types.js";

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop lag) too; default true. */
  readonly processMetrics?: boolean;
  /** Static labels on every series, e.g. `{ service: "shop" }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A gate close reason → a bounded label value. */
export function closeReasonClass(reason: string): string {
  if (reason === "closed by client" || reason === "closed") return "client";
  if (reason.startsWith("DISCONNECT")) return "client";
  if (reason.includes("keepalive")) return "keepalive";
  if (reason.includes("CONNECT within") || reason.includes("handshake")) return "connect_timeout";
  if (reason.includes("unsent bytes")) return "slow_consumer";
  if (reason.includes("MaxPackSize")) return "too_large";
  if (reason.includes("malformed") || reason.includes("not CONNECT") || reason.includes("unexpected") || reason.includes("too many packets")) return "protocol";
  if (reason.includes("auth") || reason.includes("refused")) return "auth";
  if (reason.includes("gate stopping")) return "shutdown";
  return "other";
}

export class AppMetrics implements OpsListener {
  /** The prom-client registry holding this app's series. */
  readonly prom = new Registry();
  readonly retries: Counter<"module" | "handler">;
  readonly gateRefused: Counter<"reason">;
  readonly gateClosed: Counter<"reason">;
  readonly gatePublishes: Counter<"direction">;
  readonly gateBytes: Counter<"direction">;
  readonly httpRequests: Counter<"route" | "method" | "status">;
  readonly httpDuration: Histogram<"route" | "method">;
  readonly registryErrors: Counter<"registry" | "operation">;
  readonly natsReconnects: Counter;
  readonly natsDisconnects: Counter;
  /** Node id → handler → counters, for the nodes of this process. */
  private readonly handlers = new Map<string, Map<string, CallStats>>();
  /** Module types whose registered nodes are counted (those seen running here or looked up). */
  private registryNodes: ReadonlyMap<string, number> = new Map();

  constructor(
    private readonly hub: OpsHub,
    private readonly serviceRegistry: ServiceRegistry | undefined,
    options: MetricsOptions = {},
  ) {
    const registers = [this.prom];
    if (options.labels !== undefined) this.prom.setDefaultLabels({ ...options.labels });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.prom, prefix: "mqgen_" });
    const counters = (): readonly CallStats[] => [...this.handlers.values()].flatMap((m) => [...m.values()]);
    for (const metric of callMetrics(counters)) this.prom.registerMetric(metric);
    const hubRef = hub;
    new Gauge({
      name: "mqgen_rpc_server_queue_depth",
      help: "Calls waiting for a free slot (Rpc.MaxCoroutine) or for the serial handler before them.",
      labelNames: ["module", "handler"],
      registers,
      collect() {
        this.reset();
        for (const node of hubRef.localNodes()) {
          const queued = node.queued();
          for (const handler of node.handlerNames()) this.set({ module: node.type, handler }, queued.get(handler) ?? 0);
        }
      },
    });
    this.retries = new Counter({
      name: "mqgen_rpc_client_retries_total",
      help: "Calls that moved on to another node after the first one vanished or was stopping.",
      labelNames: ["module", "handler"],
      registers,
    });
    new Gauge({
      name: "mqgen_gate_connections",
      help: "MQTT connections that completed CONNECT, per gate of this process.",
      labelNames: ["node"],
      registers,
      collect() {
        this.reset();
        for (const gate of hubRef.gateGauges()) this.set({ node: gate.nodeId }, gate.connectionCount);
      },
    });
    new Gauge({
      name: "mqgen_gate_sockets",
      help: "Sockets open on the gate, including those still before CONNECT.",
      labelNames: ["node"],
      registers,
      collect() {
        this.reset();
        for (const gate of hubRef.gateGauges()) this.set({ node: gate.nodeId }, gate.socketCount);
      },
    });
    this.gateRefused = new Counter({
      name: "mqgen_gate_refused_total",
      help: "Connections refused or closed by the gate, by reason (max_connections, rate, connect_timeout, keepalive, slow_consumer, too_large, protocol, auth).",
      labelNames: ["reason"],
      registers,
    });
    this.gateClosed = new Counter({
      name: "mqgen_gate_disconnects_total",
      help: "Connections that ended, by reason class.",
      labelNames: ["reason"],
      registers,
    });
    this.gatePublishes = new Counter({
      name: "mqgen_gate_publishes_total",
      help: "PUBLISH packets routed from clients (in) and pushes sent to clients (out).",
      labelNames: ["direction"],
      registers,
    });
    this.gateBytes = new Counter({
      name: "mqgen_gate_bytes_total",
      help: "MQTT packet bytes read from clients (in) and written to their sockets (out), every packet type, inside any TLS or WebSocket framing.",
      labelNames: ["direction"],
      registers,
    });
    this.httpRequests = new Counter({
      name: "mqgen_http_requests_total",
      help: "HTTP gateway requests by route template, method and status code.",
      labelNames: ["route", "method", "status"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "mqgen_http_request_duration_seconds",
      help: "HTTP gateway request time until the response was written.",
      labelNames: ["route", "method"],
      buckets: [...LATENCY_BUCKETS],
      registers,
    });
    const self = this;
    new Gauge({
      name: "mqgen_registry_nodes",
      help: "Nodes in the registry by module type, as this app's last look saw them.",
      labelNames: ["module"],
      registers,
      async collect() {
        await self.refreshRegistryNodes();
        this.reset();
        for (const [module, count] of self.registryNodes) this.set({ module }, count);
      },
    });
    this.registryErrors = new Counter({
      name: "mqgen_registry_errors_total",
      help: "Registry operations that failed.",
      labelNames: ["registry", "operation"],
      registers,
    });
    this.natsReconnects = new Counter({ name: "mqgen_nats_reconnects_total", help: "Times the NATS connection came back.", registers });
    this.natsDisconnects = new Counter({ name: "mqgen_nats_disconnects_total", help: "Times the NATS connection was lost.", registers });
    new Gauge({
      name: "mqgen_nats_connected",
      help: "1 while the NATS connection is up (absent without NATS).",
      registers,
      collect() {
        const up = hubRef.natsUp;
        this.reset();
        if (up !== undefined) this.set(up ? 1 : 0);
      },
    });
    new Gauge({
      name: "mqgen_ready",
      help: "1 when /readyz would answer 200.",
      registers,
      collect() {
        this.set(readiness(hubRef).ready ? 1 : 0);
      },
    });
  }

  private async refreshRegistryNodes(): Promise<void> {
    if (this.serviceRegistry === undefined) return;
    try {
      const services = await this.serviceRegistry.listServices();
      const counts = new Map<string, number>();
      for (const service of services) counts.set(service.name, (counts.get(service.name) ?? 0) + service.nodes.length);
      this.registryNodes = counts;
    } catch {
      this.registryErrors.inc({ registry: this.serviceRegistry.name, operation: "list" });
    }
  }

  // --- OpsListener ---

  readonly server = (type: string, nodeId: string): ServerObserver => {
    const byHandler = new Map<string, CallStats>();
    this.handlers.set(nodeId, byHandler);
    return {
      handler(name: string): CallStats {
        let c = byHandler.get(name);
        if (c === undefined) {
          c = new CallStats(type, name);
          byHandler.set(name, c);
        }
        return c;
      },
    };
  };

  readonly client = {
    retry: (module: string, handler: string): void => this.retries.inc({ module, handler }),
  };

  readonly gate = {
    refused: (reason: string): void => this.gateRefused.inc({ reason }),
    closed: (reason: string): void => {
      const cls = closeReasonClass(reason);
      this.gateClosed.inc({ reason: cls });
      if (cls !== "client" && cls !== "shutdown" && cls !== "other") this.gateRefused.inc({ reason: cls });
    },
    publish: (direction: "in" | "out"): void => this.gatePublishes.inc({ direction }),
    bytes: (direction: "in" | "out", count: number): void => this.gateBytes.inc({ direction }, count),
  };

  readonly http = {
    request: (route: string, method: string, status: number, durationMs: number): void => {
      this.httpRequests.inc({ route, method, status: String(status) });
      this.httpDuration.observe({ route, method }, durationMs / 1000);
    },
  };

  readonly registry = { error: (registry: string, operation: string): void => this.registryErrors.inc({ registry, operation }) };

  readonly nats = {
    status: (type: string): void => {
      if (type === "reconnect") this.natsReconnects.inc();
      else if (type === "disconnect") this.natsDisconnects.inc();
    },
  };

  nodeStopped(node: LocalNode): void {
    // The node's counters go with it, as a restarted process's would.
    this.handlers.delete(node.nodeId);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.prom.metrics();
  }

  get contentType(): string {
    return this.prom.contentType;
  }
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

/** `/readyz`: NATS connected (when configured), every module started and registered. */
export function readiness(hub: OpsHub): Readiness {
  const checks: Record<string, boolean> = { started: hub.state === "running" };
  const nats = hub.natsUp;
  if (nats !== undefined) checks["nats"] = nats;
  for (const node of hub.localNodes()) checks[`registered:${node.nodeId}`] = node.registered();
  return { ready: Object.values(checks).every(Boolean), checks };
}

/** The app's one metrics instance, made on first use and attached to its hub. */
const attached = new WeakMap<OpsHub, AppMetrics>();

export function appMetrics(hub: OpsHub, registry: ServiceRegistry | undefined, options?: MetricsOptions): AppMetrics {
  let metrics = attached.get(hub);
  if (metrics === undefined) {
    metrics = new AppMetrics(hub, registry, options);
    attached.set(hub, metrics);
    hub.add(metrics);
  }
  return metrics;
}
