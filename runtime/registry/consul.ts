/**
 * Consul registry in mqant v1.5.3's format (go-micro's consul registry with consul/api v1.20): the same
 * requests, paths, queries and bodies, so mqgen and Go mqant nodes share one Consul.
 *
 * The `consul` package's helpers drop an empty `note` query and cannot send `"Checks":null`, both of which
 * consul/api sends, so requests go through the package's own HTTP client (papi) with mqant's exact shape.
 */
import { EventEmitter } from "node:events";
import Consul from "consul";
import { BadArgumentError, RegistryError } from "../errors.js";
import {
  decodeMetadataTags,
  decodeVersionTag,
  deregisterCriticalAfterMs,
  encodeMetadataTags,
  encodeVersionTag,
  formatGoDuration,
} from "./encoding.js";
import type { RegisterOptions, Registry, RegistryWatcher, Service, ServiceNode, WatchEvent } from "./types.js";
import { WatchQueue, diffServiceNodes } from "./watch-queue.js";

export interface ConsulRegistryOptions {
  /** `host:port` or `http(s)://host:port`; default `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500` (as consul/api). */
  readonly address?: string;
  /** ACL token, sent as `X-Consul-Token`; default `CONSUL_HTTP_TOKEN`. */
  readonly token?: string;
  /** Per-request timeout for everything but blocking queries, ms. A down Consul fails fast instead of hanging. */
  readonly requestTimeoutMs?: number;
  /**
   * `wait` for blocking queries (e.g. "30s"). mqant sends none (Consul then holds a query up to 5 min), so
   * the default sends none either.
   */
  readonly watchWait?: string;
  /** Pause before re-trying a failed watch query, ms. */
  readonly watchRetryMs?: number;
}

interface PapiResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: unknown;
}

interface PapiRequest {
  readonly name: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly type?: "json";
  readonly body?: unknown;
  readonly timeout?: number;
  readonly ctx?: EventEmitter;
}

/** The part of papi's client (the `consul` package's base class) these requests use. */
interface PapiClient {
  _get(request: PapiRequest): Promise<PapiResponse>;
  _put(request: PapiRequest): Promise<PapiResponse>;
  destroy(): void;
}

interface HealthEntry {
  readonly Node?: { readonly Address?: string };
  readonly Service?: {
    readonly ID?: string;
    readonly Service?: string;
    readonly Tags?: readonly string[] | null;
    readonly Address?: string;
    readonly Port?: number;
  };
  readonly Checks?: ReadonlyArray<{ readonly Status?: string }> | null;
}

type NodeSnapshot = Map<string, { version: string; node: ServiceNode }>;

function parseAddress(address: string): { host: string; port: number; secure: boolean } {
  let text = address.trim();
  let secure = false;
  const scheme = /^(https?):\/\//i.exec(text);
  if (scheme !== null) {
    secure = scheme[1]!.toLowerCase() === "https";
    text = text.slice(scheme[0].length);
  }
  text = text.replace(/\/.*$/, "");
  const colon = text.lastIndexOf(":");
  const host = colon >= 0 ? text.slice(0, colon) : text;
  const port = colon >= 0 ? Number(text.slice(colon + 1)) : 8500;
  if (host === "" || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new BadArgumentError(`invalid Consul address "${address}"`);
  }
  return { host: host.replace(/^\[|\]$/g, ""), port, secure };
}

/** consul/api escapes path segments with Go's url rules, which keep `:` and `@` (check ids use both). */
function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(/%3A/gi, ":").replace(/%40/gi, "@");
}

function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const response = (error as { response?: { statusCode?: unknown } }).response;
  return typeof response?.statusCode === "number" ? response.statusCode : undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && /abort/i.test(error.name + " " + error.message);
}

function isStaleConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === "ECONNRESET" || code === "EPIPE" || /socket hang up/i.test(error.message);
}

function headerValue(response: PapiResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sleep(ms: number, ctx: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      ctx.off("cancel", done);
      resolve();
    }
    ctx.once("cancel", done);
  });
}

/** Nodes of `name` by version, dropping nodes with a critical check (go-micro consul GetService). */
function servicesFromHealth(name: string, entries: readonly HealthEntry[]): Service[] {
  const byVersion = new Map<string, ServiceNode[]>();
  for (const entry of entries) {
    const svc = entry.Service;
    if (svc === undefined || svc.Service !== name || typeof svc.ID !== "string") continue;
    const tags = svc.Tags ?? [];
    const version = decodeVersionTag(tags) ?? "";
    if (!byVersion.has(version)) byVersion.set(version, []);
    if ((entry.Checks ?? []).some((check) => check.Status === "critical")) continue;
    byVersion.get(version)!.push({
      id: svc.ID,
      address: svc.Address !== undefined && svc.Address !== "" ? svc.Address : (entry.Node?.Address ?? ""),
      port: svc.Port ?? 0,
      metadata: decodeMetadataTags(tags),
    });
  }
  const services: Service[] = [];
  for (const [version, nodes] of byVersion) {
    if (nodes.length > 0) services.push({ name, version, metadata: null, nodes });
  }
  return services;
}

function snapshotOf(services: readonly Service[]): NodeSnapshot {
  const snapshot: NodeSnapshot = new Map();
  for (const service of services) {
    for (const node of service.nodes) snapshot.set(node.id, { version: service.version, node });
  }
  return snapshot;
}

export class ConsulRegistry implements Registry {
  readonly name = "consul";
  readonly address: string;
  private readonly client: PapiClient;
  private readonly token: string | undefined;
  private readonly requestTimeoutMs: number;
  private readonly watchWait: string | undefined;
  private readonly watchRetryMs: number;
  /** Last body sent per service ID, so an unchanged service is only renewed (mqant hashes it too). */
  private readonly registered = new Map<string, string>();
  private readonly watchers = new Set<WatchQueue>();
  private closed = false;

  constructor(options: ConsulRegistryOptions = {}) {
    this.address = options.address ?? process.env.CONSUL_HTTP_ADDR ?? "127.0.0.1:8500";
    const { host, port, secure } = parseAddress(this.address);
    this.client = new Consul({ host, port, secure }) as unknown as PapiClient;
    const token = options.token ?? process.env.CONSUL_HTTP_TOKEN;
    this.token = token === undefined || token === "" ? undefined : token;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.watchWait = options.watchWait;
    this.watchRetryMs = options.watchRetryMs ?? 1_000;
  }

  private headers(): Record<string, string> {
    return this.token === undefined ? {} : { "x-consul-token": this.token };
  }

  private async request(
    method: "GET" | "PUT",
    name: string,
    path: string,
    extra: { query?: Record<string, string>; body?: unknown; timeout?: number; ctx?: EventEmitter } = {},
  ): Promise<PapiResponse> {
    if (this.closed) throw new RegistryError("consul registry is closed");
    const request: PapiRequest = {
      name,
      path,
      headers: this.headers(),
      timeout: extra.timeout ?? this.requestTimeoutMs,
      ...(extra.query !== undefined ? { query: extra.query } : {}),
      ...(extra.body !== undefined ? { type: "json" as const, body: extra.body } : {}),
      ...(extra.ctx !== undefined ? { ctx: extra.ctx } : {}),
    };
    const send = () => (method === "GET" ? this.client._get(request) : this.client._put(request));
    try {
      try {
        return await send();
      } catch (error) {
        // A kept-alive connection the agent closed (e.g. it restarted) fails once; these requests are
        // idempotent, so one retry on a fresh connection is safe.
        if (!isStaleConnection(error)) throw error;
        return await send();
      }
    } catch (error) {
      if (isAbort(error)) throw error;
      const status = statusOf(error);
      const reason = error instanceof Error ? error.message : String(error);
      const wrapped = new RegistryError(
        `consul ${method} ${path} at ${this.address} failed${status !== undefined ? ` (${status})` : ""}: ${reason}`,
        { cause: error },
      );
      (wrapped as RegistryError & { status?: number }).status = status;
      throw wrapped;
    }
  }

  private pass(id: string): Promise<PapiResponse> {
    return this.request("PUT", "agent.check.pass", `/agent/check/pass/${pathSegment("service:" + id)}`, {
      query: { note: "" },
    });
  }

  async register(service: Service, options: RegisterOptions): Promise<void> {
    const node = service.nodes[0];
    if (node === undefined || service.nodes.length !== 1) {
      throw new BadArgumentError(`register ${service.name}: exactly one node expected, got ${service.nodes.length}`);
    }
    const body: Record<string, unknown> = {
      ID: node.id,
      Name: service.name,
      Tags: [...encodeMetadataTags(node.metadata), encodeVersionTag(service.version)],
      ...(node.port !== 0 ? { Port: node.port } : {}),
      Address: node.address,
      Check: {
        TTL: formatGoDuration(options.ttlMs),
        DeregisterCriticalServiceAfter: formatGoDuration(deregisterCriticalAfterMs(options.ttlMs)),
      },
      Checks: null,
    };
    const fingerprint = JSON.stringify(body);
    if (this.registered.get(node.id) === fingerprint) {
      try {
        await this.pass(node.id);
        return;
      } catch (error) {
        // Consul answers 404 (unknown check) or 500 (check not registered) once it lost the service,
        // e.g. after an agent restart without state: register it again below.
        const status = (error as { status?: number }).status;
        if (status !== 404 && status !== 500) throw error;
        this.registered.delete(node.id);
      }
    }
    await this.request("PUT", "agent.service.register", "/agent/service/register", { body });
    this.registered.set(node.id, fingerprint);
    await this.pass(node.id);
  }

  async deregister(service: Service): Promise<void> {
    for (const node of service.nodes) {
      this.registered.delete(node.id);
      await this.request("PUT", "agent.service.deregister", `/agent/service/deregister/${pathSegment(node.id)}`);
    }
  }

  async getService(name: string): Promise<Service[]> {
    const response = await this.request("GET", "health.service", `/health/service/${pathSegment(name)}`);
    return servicesFromHealth(name, Array.isArray(response.body) ? (response.body as HealthEntry[]) : []);
  }

  private async serviceNames(): Promise<string[]> {
    const response = await this.request("GET", "catalog.services", "/catalog/services");
    const body = response.body;
    if (body === null || typeof body !== "object") return [];
    return Object.keys(body as Record<string, unknown>).filter((name) => name !== "consul");
  }

  async listServices(): Promise<Service[]> {
    const services: Service[] = [];
    for (const name of await this.serviceNames()) services.push(...(await this.getService(name)));
    return services;
  }

  /**
   * Like mqant's consul watcher: a blocking "services" query finds service names, and one blocking "service"
   * query per (matching) name reports its nodes. The first answer of each reports every existing node as
   * `create`, so a watcher started just before a registration cannot miss it.
   */
  watch(options: { readonly service?: string } = {}): RegistryWatcher {
    const ctx = new EventEmitter();
    ctx.setMaxListeners(0);
    const queue = new WatchQueue(() => {
      this.watchers.delete(queue);
      ctx.emit("cancel");
    });
    this.watchers.add(queue);
    const perService = new Map<string, { ctx: EventEmitter; snapshot: NodeSnapshot }>();

    const watchService = (name: string): void => {
      const serviceCtx = new EventEmitter();
      serviceCtx.setMaxListeners(0);
      const state = { ctx: serviceCtx, snapshot: new Map() as NodeSnapshot };
      perService.set(name, state);
      ctx.once("cancel", () => serviceCtx.emit("cancel"));
      void this.blockingLoop(`/health/service/${pathSegment(name)}`, "health.service", serviceCtx, queue, (body) => {
        const services = servicesFromHealth(name, Array.isArray(body) ? (body as HealthEntry[]) : []);
        const next = snapshotOf(services);
        for (const event of diffServiceNodes(name, state.snapshot, next)) queue.push(event);
        state.snapshot = next;
      });
    };

    void this.blockingLoop("/catalog/services", "catalog.services", ctx, queue, (body) => {
      const names =
        body !== null && typeof body === "object"
          ? Object.keys(body as Record<string, unknown>).filter((name) => name !== "consul")
          : [];
      for (const name of names) {
        if (options.service !== undefined && name !== options.service) continue;
        if (!perService.has(name)) watchService(name);
      }
      for (const [name, state] of perService) {
        if (names.includes(name)) continue;
        state.ctx.emit("cancel");
        perService.delete(name);
        const gone: WatchEvent[] = diffServiceNodes(name, state.snapshot, new Map());
        for (const event of gone) queue.push(event);
      }
    });
    return queue;
  }

  /** One Consul blocking query loop (consul/api watch.Plan): `index` from the last `X-Consul-Index`. */
  private async blockingLoop(
    path: string,
    name: string,
    ctx: EventEmitter,
    queue: WatchQueue,
    handle: (body: unknown) => void,
  ): Promise<void> {
    let cancelled = false;
    ctx.once("cancel", () => {
      cancelled = true;
    });
    let lastIndex = 0;
    let first = true;
    const waitMs = this.watchWait !== undefined ? parseGoDurationMs(this.watchWait) : 300_000;
    while (!cancelled && !queue.isStopped && !this.closed) {
      const query: Record<string, string> = {};
      if (lastIndex > 0) query.index = String(lastIndex);
      if (lastIndex > 0 && this.watchWait !== undefined) query.wait = this.watchWait;
      let response: PapiResponse;
      try {
        response = await this.request("GET", name, path, {
          query,
          ctx,
          timeout: lastIndex > 0 ? waitMs + waitMs / 16 + this.requestTimeoutMs : this.requestTimeoutMs,
        });
      } catch {
        if (cancelled) return;
        // Consul may be down or restarting: ask again from scratch, its index may have been reset.
        lastIndex = 0;
        await sleep(this.watchRetryMs, ctx);
        continue;
      }
      if (cancelled) return;
      const index = Number(headerValue(response, "x-consul-index") ?? "0");
      if (first || index !== lastIndex || lastIndex === 0) handle(response.body);
      first = false;
      lastIndex = Number.isFinite(index) && index > 0 && index >= lastIndex ? index : 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const watcher of [...this.watchers]) watcher.stop();
    this.closed = true;
    this.client.destroy();
  }
}

function parseGoDurationMs(text: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    const value = Number(match[1]);
    const unit = match[2];
    total += unit === "h" ? value * 3_600_000 : unit === "m" ? value * 60_000 : unit === "s" ? value * 1000 : value;
  }
  if (total <= 0) throw new BadArgumentError(`invalid duration "${text}"`);
  return total;
}
