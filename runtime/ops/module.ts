/**
 * `MetricsModule`: the app's Prometheus endpoint and Kubernetes probes on a port of their own.
 *
 *   GET /metrics  Prometheus text format (this app's registry only)
 *   GET /healthz  200 while the process serves HTTP at all
 *   GET /readyz   200 when NATS is connected (if configured), every module started and registered; else 503,
 *                 with the failing checks as JSON either way
 *
 * Listen address from server.json `Module.Metrics[].Settings` (`Addr` `"host:port"` and/or `Port`, as the
 * HTTP gateway), or the `address` option; Settings win. Metrics are attached when the app loads its
 * configuration, so every module of the process group is counted from its first call.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AppHandle, Module, ModuleContext } from "../app/types.js";
import { ConfigError } from "../errors.js";
import { listenAddressFromSettings, type ListenAddress } from "../http/module.js";
import { closeHttp, listenHttp } from "../http/listen.js";
import type { OpsHub } from "../observe/hooks.js";
import { appMetrics, readiness, type AppMetrics, type MetricsOptions } from "./metrics.js";

export interface MetricsModuleOptions extends MetricsOptions {
  /** Module type in server.json; default `Metrics`. */
  readonly type?: string;
  readonly version?: string;
  /** `"host:port"` when server.json gives none; default `"127.0.0.1:9464"` (OpenTelemetry's Prometheus port). */
  readonly address?: string;
}

export function hubOf(app: AppHandle): OpsHub {
  const hub = app.ops;
  if (hub === undefined) throw new ConfigError("this app has no ops hub (use createApp from mqgen/runtime)");
  return hub;
}

/** Does server.json run module `type` in this process group? */
export function runsHere(app: AppHandle, type: string): boolean {
  return app.config?.modules[type]?.some((e) => e.processId === app.processId) ?? false;
}

export function listenAddress(settings: Readonly<Record<string, unknown>>, fallback: string): ListenAddress {
  if (settings["Addr"] !== undefined || settings["Port"] !== undefined) return listenAddressFromSettings(settings);
  return listenAddressFromSettings({ Addr: fallback });
}

/** Serves /metrics, /healthz, /readyz; false when the path is none of them. */
export async function serveProbe(hub: OpsHub, metrics: AppMetrics | undefined, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end("ok\n");
    return true;
  }
  if (path === "/readyz") {
    const state = readiness(hub);
    res.writeHead(state.ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(state) + "\n");
    return true;
  }
  if (path === "/metrics" && metrics !== undefined) {
    const text = await metrics.text();
    res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
    res.end(text);
    return true;
  }
  return false;
}

export class MetricsModule implements Module {
  readonly type: string;
  readonly version: string;
  private server: Server | undefined;
  private metricsInstance: AppMetrics | undefined;

  constructor(private readonly options: MetricsModuleOptions = {}) {
    this.type = options.type ?? "Metrics";
    this.version = options.version ?? "1.0.0";
  }

  onAppConfigurationLoaded(app: AppHandle): void {
    if (!runsHere(app, this.type)) return;
    const hub = hubOf(app);
    this.metricsInstance = appMetrics(hub, hub.serviceRegistry, this.options);
  }

  /** The app's metrics (after the configuration loaded, in a process that runs this module). */
  get metrics(): AppMetrics | undefined {
    return this.metricsInstance;
  }

  async onInit(ctx: ModuleContext): Promise<void> {
    const hub = hubOf(ctx.app);
    const metrics = (this.metricsInstance ??= appMetrics(hub, hub.serviceRegistry, this.options));
    const address = listenAddress(ctx.settings.settings, this.options.address ?? "127.0.0.1:9464");
    this.server = await listenHttp((req, res) => {
      serveProbe(hub, metrics, req, res)
        .then((served) => {
          if (served) return;
          res.writeHead(404, { "content-type": "text/plain" });
          res.end("not found: try /metrics, /healthz or /readyz\n");
        })
        .catch((err: unknown) => {
          ctx.log.warn({ err }, "metrics endpoint failed");
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
    }, address);
    ctx.log.info({ address: this.server.address() }, "metrics and health endpoints listening");
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

  async onDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await closeHttp(server);
  }
}
