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
import type { CallOutcome, LocalNode, OpsHub, OpsListener, ServerObserver } from "../observe/hooks.js";
import type { Registry as ServiceRegistry } from "../registry/types.js";

/** Seconds; from 0.1 ms (an in-process call) to 10 s (the default deadline). */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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

const OUTCOMES: readonly CallOutcome[] = ["ok", "error", "busy", "deadline", "closed", "not_found", "bad_request", "refused"];

/**
 * The per-call numbers of one handler on one node, as plain fields: the RPC hot path increments them and
 * the exposition reads them at scrape time. prom-client's own counters hash their label set on every
 * update, which bench:rpc showed costing double-digit percent of calls/s at 64 in flight.
 */
class HandlerCounters {
  readonly outcomes = new Float64Array(OUTCOMES.length);
  /** Non-cumulative: bucket i counts durations in (bound[i-1], bound[i]]; the last is +Inf. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  count = 0;
  inFlight = 0;
  constructor(
    readonly module: string,
    readonly handler: string,
  ) {}

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++;
    this.buckets[i] = (this.buckets[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }
}

interface MetricValue {
  readonly metricName?: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/** A metric whose values are computed at scrape time, in the shape prom-client's Registry prints. */
function scrapedMetric(name: string, help: string, type: "counter" | "gauge" | "histogram", values: () => MetricValue[]): Parameters<Registry["registerMetric"]>[0] {
  const metric = {
    name,
    help,
    type,
    aggregator: "sum",
    get: () => Promise.resolve({ name, help, type, aggregator: "sum", values: values() }),
    reset: () => undefined,
  };
  return metric as unknown as Parameters<Registry["registerMetric"]>[0];
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
  private readonly handlers = new Map<string, Map<string, HandlerCounters>>();
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
    const counters = (): HandlerCounters[] => [...this.handlers.values()].flatMap((m) => [...m.values()]);
    this.prom.registerMetric(
      scrapedMetric("mqgen_rpc_server_calls_total", "RPC calls a module instance took, by outcome (ok, error, busy, deadline, closed, not_found, bad_request).", "counter", () =>
        counters().flatMap((c) =>
          OUTCOMES.flatMap((outcome, i) => ((c.outcomes[i] as number) > 0 || outcome === "ok" ? [{ labels: { module: c.module, handler: c.handler, outcome }, value: c.outcomes[i] as number }] : [])),
        ),
      ),
    );
    this.prom.registerMetric(
      scrapedMetric("mqgen_rpc_server_duration_seconds", "Time from a handler starting to its result, for calls that ran.", "histogram", () =>
        counters().flatMap((c) => {
          const out: MetricValue[] = [];
          let cumulative = 0;
          for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
            cumulative += c.buckets[i] as number;
            out.push({ metricName: "mqgen_rpc_server_duration_seconds_bucket", labels: { module: c.module, handler: c.handler, le: i < LATENCY_BUCKETS.length ? (LATENCY_BUCKETS[i] as number) : "+Inf" }, value: cumulative });
          }
          out.push({ metricName: "mqgen_rpc_server_duration_seconds_sum", labels: { module: c.module, handler: c.handler }, value: c.sum });
          out.push({ metricName: "mqgen_rpc_server_duration_seconds_count", labels: { module: c.module, handler: c.handler }, value: c.count });
          return out;
        }),
      ),
    );
    this.prom.registerMetric(
      scrapedMetric("mqgen_rpc_server_in_flight", "Calls whose handler is running now.", "gauge", () => counters().map((c) => ({ labels: { module: c.module, handler: c.handler }, value: c.inFlight }))),
    );
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
      name: "mqgen_gate_payload_bytes_total",
      help: "Payload bytes of those publishes.",
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
      buckets: LATENCY_BUCKETS,
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
    const byHandler = new Map<string, HandlerCounters>();
    this.handlers.set(nodeId, byHandler);
    const of = (handler: string): HandlerCounters => {
      let c = byHandler.get(handler);
      if (c === undefined) {
        c = new HandlerCounters(type, handler);
        byHandler.set(handler, c);
      }
      return c;
    };
    return {
      started(handler: string): void {
        of(handler).inFlight++;
      },
      finished(handler: string, durationMs: number, _error: string | undefined, outcome: CallOutcome, ran: boolean): void {
        const c = of(handler);
        const i = OUTCOMES.indexOf(outcome);
        c.outcomes[i] = (c.outcomes[i] as number) + 1;
        if (!ran) return;
        c.inFlight--;
        c.observe(durationMs / 1000);
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
    publish: (direction: "in" | "out", bytes: number): void => {
      this.gatePublishes.inc({ direction });
      this.gateBytes.inc({ direction }, bytes);
    },
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
