/**
 * NATS' service discovery protocol (`micro` v1, as nats.js' `services` and nats.go's `micro` define it):
 * every module instance answers `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS`, addressed to all services, to
 * one name, or to one name and id, with `io.nats.micro.v1.*_response` JSON. `nats micro ls` and
 * `nc.services.client()` then see mqgen modules like any NATS service.
 *
 * Mapping (mqgen modules are not nats.js services, so some fields need translating):
 * - name: the module type, with characters outside micro's `[-\w]` replaced by `_` (`my.mod` → `my_mod`);
 *   the exact type is in metadata `mqgen.module`.
 * - id: the node id's part after `@` (16 hex), mapped the same way; the full id is metadata `mqgen.node`.
 * - version: the module's version when it is semver, else `0.0.0` with the original in `mqgen.version`.
 * - endpoints: one per handler, named after the wire name mapped to `[-\w]` (`/say/hi` → `say_hi`,
 *   `HD_say` stays); all share the node's NATS subject, since mqant routes by the function name inside the
 *   request, and there is no queue group (each node has its own subject). Endpoint metadata holds the exact
 *   wire name (`mqant.handler`) and, for typed handlers, its contract hash (`schema`).
 * - metadata: the node's registry metadata (hostname, pid, version, schema hashes) plus the two keys above.
 *
 * One subscription per app (`$SRV.>`) answers for all its modules: one reply per matching module, as if
 * each were its own service.
 */
import { JSONCodec, type Msg, type NatsConnection, type Subscription } from "nats";
import type { Logger } from "../log/types.js";
import type { CallOutcome, GateGauges, HandlerObserver, LocalNode, OpsHub, OpsListener, ServerObserver } from "./hooks.js";

export const MICRO_PING = "io.nats.micro.v1.ping_response";
export const MICRO_INFO = "io.nats.micro.v1.info_response";
export const MICRO_STATS = "io.nats.micro.v1.stats_response";

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** A name valid under micro's rules (`^[-\w]+$`). */
export function microName(value: string): string {
  const mapped = value.replace(/^\/+/, "").replace(/[^-\w]/g, "_");
  return mapped === "" ? "_" : mapped;
}

export function microVersion(version: string): string {
  return SEMVER.test(version) ? version : "0.0.0";
}

/** The micro id of a node: the part after `type@`. */
export function microId(nodeId: string): string {
  const at = nodeId.indexOf("@");
  return microName(at >= 0 ? nodeId.slice(at + 1) : nodeId);
}

const WINDOW = 2048;
/** Latency quantiles cover the calls of this many recent milliseconds (at most WINDOW of them). */
export const QUANTILE_WINDOW_MS = 10_000;

/** Per-endpoint counters as micro reports them (times in nanoseconds), plus recent latencies for p50/p99. */
export class EndpointStats {
  numRequests = 0;
  numErrors = 0;
  processingNs = 0;
  lastError: string | undefined;
  private readonly durations = new Float64Array(WINDOW);
  private readonly at = new Float64Array(WINDOW);
  private next = 0;

  record(durationMs: number, error: string | undefined, now: number = Date.now()): void {
    this.numRequests++;
    this.processingNs += Math.round(durationMs * 1e6);
    if (error !== undefined) {
      this.numErrors++;
      this.lastError = error;
    }
    const i = this.next++ & (WINDOW - 1);
    this.durations[i] = durationMs;
    this.at[i] = now;
  }

  /** p50 and p99 in ms of the calls of the last QUANTILE_WINDOW_MS; undefined without any. */
  quantiles(now: number = Date.now()): { p50: number; p99: number; window: number } | undefined {
    const recent: number[] = [];
    const filled = Math.min(this.next, WINDOW);
    for (let i = 0; i < filled; i++) if (now - (this.at[i] as number) <= QUANTILE_WINDOW_MS) recent.push(this.durations[i] as number);
    if (recent.length === 0) return undefined;
    recent.sort((a, b) => a - b);
    const q = (p: number): number => recent[Math.min(recent.length - 1, Math.ceil(p * recent.length) - 1)] as number;
    return { p50: q(0.5), p99: q(0.99), window: recent.length };
  }
}

/** Stats of one module instance, by wire name. */
export class NodeStats implements ServerObserver {
  readonly endpoints = new Map<string, EndpointStats>();
  readonly since = new Date();

  private of(handler: string): EndpointStats {
    let stats = this.endpoints.get(handler);
    if (stats === undefined) {
      stats = new EndpointStats();
      this.endpoints.set(handler, stats);
    }
    return stats;
  }

  // ServerObserver: only calls that reached a registered handler count (an unknown name has no endpoint).
  handler(name: string): HandlerObserver {
    const stats = this.of(name);
    return {
      started(): void {},
      finished(durationMs: number, error: string | undefined, outcome: CallOutcome, _ran: boolean, now: number): void {
        if (outcome !== "not_found") stats.record(durationMs, error, now);
      },
    };
  }

  get(handler: string): EndpointStats | undefined {
    return this.endpoints.get(handler);
  }
}

export interface MicroEndpointInfo {
  readonly name: string;
  readonly subject: string;
  readonly queue_group: string;
  readonly metadata: Record<string, string>;
}

export interface MicroEndpointStats {
  readonly name: string;
  readonly subject: string;
  readonly queue_group: string;
  readonly num_requests: number;
  readonly num_errors: number;
  readonly last_error: string;
  readonly processing_time: number;
  readonly average_processing_time: number;
  /** micro's free-form per-endpoint data: the exact wire name, and latency quantiles (ms) of the last 10 s when calls ran. */
  readonly data: { readonly handler: string; readonly p50_ms?: number; readonly p99_ms?: number; readonly window_calls?: number };
}

function metadataOf(node: LocalNode): Record<string, string> {
  return { ...node.metadata, "mqgen.module": node.type, "mqgen.node": node.nodeId, ...(microVersion(node.version) === node.version ? {} : { "mqgen.version": node.version }) };
}

export function pingResponse(node: LocalNode): object {
  return { type: MICRO_PING, name: microName(node.type), id: microId(node.nodeId), version: microVersion(node.version), metadata: metadataOf(node) };
}

function endpointInfos(node: LocalNode): MicroEndpointInfo[] {
  return node.handlerNames().map((wire) => {
    const metadata: Record<string, string> = { "mqant.handler": wire };
    const hash = node.handlerHashes.get(wire);
    if (hash !== undefined) metadata["schema"] = hash;
    return { name: microName(wire), subject: node.address, queue_group: "", metadata };
  });
}

export function infoResponse(node: LocalNode): object {
  return {
    type: MICRO_INFO,
    name: microName(node.type),
    id: microId(node.nodeId),
    version: microVersion(node.version),
    description: `mqgen module ${node.type}`,
    metadata: metadataOf(node),
    endpoints: endpointInfos(node),
  };
}

export function statsResponse(node: LocalNode, stats: NodeStats | undefined, gate?: GateGauges): object {
  const endpoints: MicroEndpointStats[] = node.handlerNames().map((wire) => {
    const s = stats?.get(wire);
    const n = s?.numRequests ?? 0;
    const ns = s?.processingNs ?? 0;
    const q = s?.quantiles();
    return {
      data: q === undefined ? { handler: wire } : { handler: wire, p50_ms: q.p50, p99_ms: q.p99, window_calls: q.window },
      name: microName(wire),
      subject: node.address,
      queue_group: "",
      num_requests: n,
      num_errors: s?.numErrors ?? 0,
      last_error: s?.lastError ?? "",
      processing_time: ns,
      average_processing_time: n > 0 ? Math.round(ns / n) : 0,
    };
  });
  return {
    type: MICRO_STATS,
    name: microName(node.type),
    id: microId(node.nodeId),
    version: microVersion(node.version),
    started: (stats?.since ?? new Date(node.startedAt)).toISOString(),
    // A gate's live connection count rides in the metadata (micro's STATS has no service-level data).
    metadata: gate === undefined ? metadataOf(node) : { ...metadataOf(node), "mqgen.gate.connections": String(gate.connectionCount) },
    endpoints,
  };
}

const jc = JSONCodec<object>();

/** Answers `$SRV.*` for every module of one app over its NATS connection. */
export class MicroResponder implements OpsListener {
  private readonly stats = new Map<string, NodeStats>();
  private readonly nodes = new Map<string, LocalNode>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly hub?: OpsHub,
  ) {}

  readonly server = (_type: string, nodeId: string): ServerObserver => {
    const stats = new NodeStats();
    this.stats.set(nodeId, stats);
    return stats;
  };

  /** The stats of a node of this app (the console reads them without a NATS round trip). */
  statsOf(nodeId: string): NodeStats | undefined {
    return this.stats.get(nodeId);
  }

  nodeStarted(node: LocalNode): void {
    this.nodes.set(node.nodeId, node);
    if (this.subscription === undefined && !this.nc.isClosed()) {
      this.subscription = this.nc.subscribe("$SRV.>", { callback: (err, msg) => (err === null ? this.answer(msg) : undefined) });
    }
  }

  nodeStopped(node: LocalNode): void {
    this.nodes.delete(node.nodeId);
    this.stats.delete(node.nodeId);
    if (this.nodes.size === 0 && this.subscription !== undefined) {
      this.subscription.unsubscribe();
      this.subscription = undefined;
    }
  }

  private answer(msg: Msg): void {
    if (msg.reply === undefined || msg.reply === "") return;
    // `$SRV.<VERB>[.<name>[.<id>]]`; anything longer or unknown is not ours to answer.
    const tokens = msg.subject.split(".");
    if (tokens.length < 2 || tokens.length > 4) return;
    const verb = tokens[1];
    const name = tokens[2];
    const id = tokens[3];
    for (const node of this.nodes.values()) {
      if (name !== undefined && microName(node.type) !== name) continue;
      if (id !== undefined && microId(node.nodeId) !== id) continue;
      let body: object;
      if (verb === "PING") body = pingResponse(node);
      else if (verb === "INFO") body = infoResponse(node);
      else if (verb === "STATS") body = statsResponse(node, this.stats.get(node.nodeId), this.hub?.gateGauges().find((g) => g.nodeId === node.nodeId));
      else return;
      try {
        msg.respond(jc.encode(body));
      } catch (err) {
        this.log.debug({ err }, "$SRV reply failed");
      }
    }
  }
}
