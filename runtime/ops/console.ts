/**
 * `OpsConsole`: a live page for operators. Once a second it samples every node's `$SRV.STATS` over NATS
 * (so it sees the whole cluster, Go mqant nodes aside) — or, without NATS, this process's own modules —
 * and keeps two minutes of per-handler calls/s, error rate and p50/p99 latency, plus gate connections.
 * The page (console-page.ts) draws them with uPlot, served from the installed package.
 *
 *   GET /            the page
 *   GET /api/state   nodes, per-handler series and totals as JSON (what the page polls)
 *   GET /metrics /healthz /readyz   as MetricsModule, on the same port
 *
 * Listen address: server.json `Module.OpsConsole[].Settings` `Addr`/`Port`, or the `address` option
 * (default `127.0.0.1:9465`). Per-handler latency across nodes is the slowest node's quantile (quantiles
 * cannot be merged from summaries); per-node numbers are in `$SRV.STATS` and `mqgen stats`.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { RequestStrategy, type ServiceStats } from "nats";
import type { AppHandle, Module, ModuleContext } from "../app/types.js";
import { closeHttp, listenHttp } from "../http/listen.js";
import type { Registry } from "../registry/types.js";
import { natsJs } from "../nats-js.js";
import type { LocalNode, OpsHub, OpsListener, ServerObserver } from "../observe/hooks.js";
import { appMetrics, type AppMetrics } from "./metrics.js";
import { NodeStats, statsResponse } from "../observe/micro.js";
import { hubOf, listenAddress, runsHere, serveProbe } from "./module.js";
import { consolePage } from "./console-page.js";

export interface OpsConsoleOptions {
  readonly type?: string;
  readonly version?: string;
  /** `"host:port"` when server.json gives none; default `"127.0.0.1:9465"`. */
  readonly address?: string;
  /** Sampling period, ms (default 1000). */
  readonly intervalMs?: number;
  /** Points kept per series (default 120: two minutes at 1 s). */
  readonly points?: number;
  /** Page title (default "mqgen"). */
  readonly title?: string;
}

export interface ConsoleNode {
  readonly module: string;
  readonly id: string;
  readonly version: string;
  readonly host: string;
  readonly started: string | null;
  /** Answered the last `$SRV.STATS` sample (false: registered but silent, e.g. a Go mqant node). */
  readonly live: boolean;
  readonly handlers: number;
  readonly calls: number;
  readonly errors: number;
  readonly gateConnections: number | null;
}

export interface HandlerSeries {
  readonly key: string;
  readonly module: string;
  readonly handler: string;
  readonly nodes: number;
  readonly calls: number;
  readonly errors: number;
  readonly lastError: string;
  /** Unix seconds, and per point: calls/s, errors/s, error ratio (0..1), p50 and p99 in ms (null: no calls). */
  readonly t: number[];
  readonly rps: number[];
  readonly eps: number[];
  readonly errRatio: (number | null)[];
  readonly p50: (number | null)[];
  readonly p99: (number | null)[];
}

export interface ConsoleState {
  readonly title: string;
  readonly now: number;
  readonly intervalMs: number;
  readonly source: "nats" | "local";
  readonly nodes: readonly ConsoleNode[];
  readonly handlers: readonly HandlerSeries[];
  readonly gate: { readonly t: number[]; readonly connections: number[] };
  readonly totals: { readonly rps: number; readonly eps: number; readonly nodes: number; readonly gateConnections: number };
}

interface StatsView {
  readonly module: string;
  readonly nodeId: string;
  readonly version: string;
  readonly started: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly endpoints: readonly { handler: string; requests: number; errors: number; lastError: string; p50?: number; p99?: number }[];
}

function viewOf(s: ServiceStats): StatsView {
  const metadata = s.metadata ?? {};
  return {
    module: metadata["mqgen.module"] ?? s.name,
    nodeId: metadata["mqgen.node"] ?? `${s.name}@${s.id}`,
    version: metadata["version"] ?? s.version,
    started: s.started,
    metadata,
    endpoints: (s.endpoints ?? []).map((e) => {
      const data = (e as { data?: { handler?: unknown; p50_ms?: unknown; p99_ms?: unknown } }).data;
      return {
        handler: typeof data?.handler === "string" ? data.handler : e.name,
        requests: e.num_requests,
        errors: e.num_errors,
        lastError: e.last_error ?? "",
        ...(typeof data?.p50_ms === "number" ? { p50: data.p50_ms } : {}),
        ...(typeof data?.p99_ms === "number" ? { p99: data.p99_ms } : {}),
      };
    }),
  };
}

class Ring {
  readonly t: number[] = [];
  readonly rps: number[] = [];
  readonly eps: number[] = [];
  readonly errRatio: (number | null)[] = [];
  readonly p50: (number | null)[] = [];
  readonly p99: (number | null)[] = [];
  constructor(private readonly size: number) {}
  push(t: number, rps: number, eps: number, errRatio: number | null, p50: number | null, p99: number | null): void {
    this.t.push(t);
    this.rps.push(rps);
    this.eps.push(eps);
    this.errRatio.push(errRatio);
    this.p50.push(p50);
    this.p99.push(p99);
    if (this.t.length > this.size) for (const a of [this.t, this.rps, this.eps, this.errRatio, this.p50, this.p99]) a.shift();
  }
}

/** Per-node stats of this process, for apps without NATS (no `$SRV` to ask). */
class LocalStats implements OpsListener {
  readonly stats = new Map<string, NodeStats>();
  readonly server = (_type: string, nodeId: string): ServerObserver => {
    const s = new NodeStats();
    this.stats.set(nodeId, s);
    return s;
  };
  nodeStopped(node: LocalNode): void {
    this.stats.delete(node.nodeId);
  }
}

export class OpsConsole implements Module {
  readonly type: string;
  readonly version: string;
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;
  private hub: OpsHub | undefined;
  private metrics: AppMetrics | undefined;
  private local: LocalStats | undefined;
  private readonly intervalMs: number;
  private readonly points: number;
  private readonly rings = new Map<string, Ring>();
  private readonly gateRing: { t: number[]; connections: number[] } = { t: [], connections: [] };
  private previous = new Map<string, { requests: number; errors: number }>();
  private previousAt = 0;
  private state: ConsoleState | undefined;
  private sampling = false;
  private uplotJs: string | undefined;
  private uplotCss: string | undefined;

  constructor(private readonly options: OpsConsoleOptions = {}) {
    this.type = options.type ?? "OpsConsole";
    this.version = options.version ?? "1.0.0";
    this.intervalMs = options.intervalMs ?? 1000;
    this.points = options.points ?? 120;
  }

  onAppConfigurationLoaded(app: AppHandle): void {
    if (!runsHere(app, this.type)) return;
    const hub = hubOf(app);
    this.hub = hub;
    this.metrics = appMetrics(hub, hub.serviceRegistry);
    if (hub.nats === undefined) {
      this.local = new LocalStats();
      hub.add(this.local);
    }
  }

  async onInit(ctx: ModuleContext): Promise<void> {
    const hub = (this.hub ??= hubOf(ctx.app));
    const require = createRequire(import.meta.url);
    this.uplotJs = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
    this.uplotCss = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
    const page = consolePage(this.options.title ?? "mqgen", this.intervalMs);
    const address = listenAddress(ctx.settings.settings, this.options.address ?? "127.0.0.1:9465");
    this.server = await listenHttp((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
        res.end(body);
      };
      if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "GET only\n");
      if (path === "/" || path === "/index.html") {
        res.setHeader("content-security-policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'");
        return send(200, "text/html; charset=utf-8", page);
      }
      if (path === "/uplot.js") return send(200, "text/javascript; charset=utf-8", this.uplotJs ?? "");
      if (path === "/uplot.css") return send(200, "text/css; charset=utf-8", this.uplotCss ?? "");
      if (path === "/api/state") return send(200, "application/json", JSON.stringify(this.state ?? this.emptyState()));
      serveProbe(hub, this.metrics, req, res)
        .then((served) => (served ? undefined : send(404, "text/plain", "not found\n")))
        .catch(() => send(500, "text/plain", "error\n"));
    }, address);
    ctx.log.info(`ops console at ${this.url ?? "?"}`);
    const tick = (): void => {
      void this.sample().finally(() => {
        if (this.server !== undefined) {
          this.timer = setTimeout(tick, Math.max(50, this.intervalMs - ((Date.now() - this.previousAt) % this.intervalMs)));
          this.timer.unref();
        }
      });
    };
    tick();
  }

  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address === null || typeof address === "string" ? undefined : address;
  }

  /** `http://host:port` once listening. */
  get url(): string | undefined {
    const a = this.address();
    return a === undefined ? undefined : `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** The latest sample (what /api/state answers). */
  get snapshot(): ConsoleState {
    return this.state ?? this.emptyState();
  }

  private emptyState(): ConsoleState {
    return {
      title: this.options.title ?? "mqgen",
      now: Date.now(),
      intervalMs: this.intervalMs,
      source: this.hub?.nats === undefined ? "local" : "nats",
      nodes: [],
      handlers: [],
      gate: { t: [], connections: [] },
      totals: { rps: 0, eps: 0, nodes: 0, gateConnections: 0 },
    };
  }

  private async views(): Promise<StatsView[]> {
    const hub = this.hub;
    if (hub === undefined) return [];
    const nc = hub.nats === undefined ? undefined : natsJs(hub.nats, "nats");
    if (nc !== undefined && !nc.isClosed() && hub.natsUp === true) {
      const client = nc.services.client({ strategy: RequestStrategy.JitterTimer, maxWait: Math.min(800, this.intervalMs * 0.8), jitter: 150 } as Parameters<typeof nc.services.client>[0]);
      const out: StatsView[] = [];
      try {
        for await (const s of await client.stats()) out.push(viewOf(s));
      } catch {
        // NATS just went away: this sample shows what answered.
      }
      return out;
    }
    const gates = hub.gateGauges();
    return hub.localNodes().map((node) => {
      const s = statsResponse(node, this.local?.stats.get(node.nodeId), gates.find((g) => g.nodeId === node.nodeId)) as ServiceStats;
      return viewOf(s);
    });
  }

  private async registered(registry: Registry | undefined): Promise<{ module: string; id: string; version: string; host: string }[]> {
    if (registry === undefined) return [];
    try {
      const services = await registry.listServices();
      return services.flatMap((s) =>
        s.nodes.map((n) => ({ module: s.name, id: n.id, version: n.metadata["version"] ?? s.version, host: `${n.metadata["hostname"] ?? "?"}:${n.metadata["pid"] ?? "?"}` })),
      );
    } catch {
      return [];
    }
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const now = Date.now();
      const [views, registered] = await Promise.all([this.views(), this.registered(this.hub?.serviceRegistry)]);
      const seconds = this.previousAt === 0 ? 0 : (now - this.previousAt) / 1000;
      const t = Math.round(now / 100) / 10;
      const current = new Map<string, { requests: number; errors: number }>();
      const byHandler = new Map<string, { module: string; handler: string; nodes: number; dReq: number; dErr: number; calls: number; errors: number; lastError: string; p50: number | null; p99: number | null }>();
      let gateConnections = 0;
      for (const view of views) {
        const gc = view.metadata["mqgen.gate.connections"];
        if (gc !== undefined) gateConnections += Number(gc) || 0;
        for (const e of view.endpoints) {
          const nodeKey = `${view.nodeId} ${e.handler}`;
          current.set(nodeKey, { requests: e.requests, errors: e.errors });
          const before = this.previous.get(nodeKey);
          const key = `${view.module} ${e.handler}`;
          let agg = byHandler.get(key);
          if (agg === undefined) {
            agg = { module: view.module, handler: e.handler, nodes: 0, dReq: 0, dErr: 0, calls: 0, errors: 0, lastError: "", p50: null, p99: null };
            byHandler.set(key, agg);
          }
          agg.nodes++;
          agg.calls += e.requests;
          agg.errors += e.errors;
          if (e.lastError !== "") agg.lastError = e.lastError;
          // A restarted node's counters start again from zero: count its new calls, not a negative delta.
          if (before !== undefined) {
            agg.dReq += e.requests >= before.requests ? e.requests - before.requests : e.requests;
            agg.dErr += e.errors >= before.errors ? e.errors - before.errors : e.errors;
          }
          if (e.p50 !== undefined) agg.p50 = Math.max(agg.p50 ?? 0, e.p50);
          if (e.p99 !== undefined) agg.p99 = Math.max(agg.p99 ?? 0, e.p99);
        }
      }
      let totalRps = 0;
      let totalEps = 0;
      if (seconds > 0) {
        for (const [key, agg] of byHandler) {
          let ring = this.rings.get(key);
          if (ring === undefined) {
            ring = new Ring(this.points);
            this.rings.set(key, ring);
          }
          const rps = agg.dReq / seconds;
          const eps = agg.dErr / seconds;
          totalRps += rps;
          totalEps += eps;
          ring.push(t, rps, eps, agg.dReq > 0 ? agg.dErr / agg.dReq : null, agg.dReq > 0 ? agg.p50 : null, agg.dReq > 0 ? agg.p99 : null);
        }
        this.gateRing.t.push(t);
        this.gateRing.connections.push(gateConnections);
        if (this.gateRing.t.length > this.points) {
          this.gateRing.t.shift();
          this.gateRing.connections.shift();
        }
      }
      this.previous = current;
      this.previousAt = now;

      const live = new Map(views.map((v) => [v.nodeId, v]));
      const nodeIds = new Set([...registered.map((r) => r.id), ...live.keys()]);
      const nodes: ConsoleNode[] = [...nodeIds].map((id) => {
        const reg = registered.find((r) => r.id === id);
        const view = live.get(id);
        const gc = view?.metadata["mqgen.gate.connections"];
        return {
          module: view?.module ?? reg?.module ?? id.split("@")[0] ?? id,
          id,
          version: view?.version ?? reg?.version ?? "",
          host: reg?.host ?? `${view?.metadata["hostname"] ?? "?"}:${view?.metadata["pid"] ?? "?"}`,
          started: view?.started ?? null,
          live: view !== undefined,
          handlers: view?.endpoints.length ?? 0,
          calls: view?.endpoints.reduce((n, e) => n + e.requests, 0) ?? 0,
          errors: view?.endpoints.reduce((n, e) => n + e.errors, 0) ?? 0,
          gateConnections: gc === undefined ? null : Number(gc),
        };
      });
      nodes.sort((a, b) => (a.module === b.module ? (a.id < b.id ? -1 : 1) : a.module < b.module ? -1 : 1));
      const handlers: HandlerSeries[] = [...byHandler.entries()]
        .map(([key, agg]) => {
          const ring = this.rings.get(key) ?? new Ring(this.points);
          return { key, module: agg.module, handler: agg.handler, nodes: agg.nodes, calls: agg.calls, errors: agg.errors, lastError: agg.lastError, t: ring.t, rps: ring.rps, eps: ring.eps, errRatio: ring.errRatio, p50: ring.p50, p99: ring.p99 };
        })
        .sort((a, b) => (a.key < b.key ? -1 : 1));
      this.state = {
        title: this.options.title ?? "mqgen",
        now,
        intervalMs: this.intervalMs,
        source: this.hub?.nats === undefined ? "local" : "nats",
        nodes,
        handlers,
        gate: this.gateRing,
        totals: { rps: totalRps, eps: totalEps, nodes: nodes.length, gateConnections },
      };
    } finally {
      this.sampling = false;
    }
  }

  async onDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (server !== undefined) await closeHttp(server);
  }
}
