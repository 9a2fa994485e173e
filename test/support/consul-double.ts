/**
 * A small HTTP test double of the parts of Consul's documented agent/health/catalog API that mqant's
 * registry uses. It records every request so tests can compare them with the requests Go mqant sent
 * (captured vectors). It is NOT Consul: passing tests against it shows request shape and our handling of
 * Consul-shaped answers, never compatibility with a real agent.
 *
 * Behaviour modelled on Consul's docs: a TTL check starts critical until passed and turns critical when not
 * passed within its TTL; a service critical for DeregisterCriticalServiceAfter is removed; blocking queries
 * (`index` equal to the current `X-Consul-Index`) are held until the index changes or `wait` (capped by
 * `maxBlockMs`) passes; an unknown check answers 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  /** Decoded path. */
  readonly path: string;
  readonly rawUrl: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly at: number;
}

interface DoubleService {
  readonly id: string;
  readonly name: string;
  readonly tags: string[];
  readonly address: string;
  readonly port: number;
  ttlMs: number;
  deregisterAfterMs: number;
  status: "passing" | "critical";
  criticalSince: number;
  lastPass: number;
}

function parseDuration(text: unknown): number {
  if (typeof text !== "string") return 0;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    const value = Number(match[1]);
    total += match[2] === "h" ? value * 3_600_000 : match[2] === "m" ? value * 60_000 : match[2] === "s" ? value * 1000 : value;
  }
  return total;
}

export interface ConsulDoubleOptions {
  /** Longest a blocking query is held, ms (real Consul: `wait`, default 5 min). */
  readonly maxBlockMs?: number;
  readonly port?: number;
}

export class ConsulDouble {
  readonly requests: RecordedRequest[] = [];
  private readonly services = new Map<string, DoubleService>();
  private index = 100;
  private readonly waiters = new Set<() => void>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private ticker: NodeJS.Timeout | undefined;
  private readonly maxBlockMs: number;
  port: number;

  private constructor(options: ConsulDoubleOptions) {
    this.maxBlockMs = options.maxBlockMs ?? 15_000;
    this.port = options.port ?? 0;
  }

  static async start(options: ConsulDoubleOptions = {}): Promise<ConsulDouble> {
    const double = new ConsulDouble(options);
    await double.listen();
    return double;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Service IDs the double currently holds, with their check status. */
  serviceStatus(): Map<string, "passing" | "critical"> {
    return new Map([...this.services.values()].map((s) => [s.id, s.status]));
  }

  private bump(): void {
    this.index++;
    for (const wake of [...this.waiters]) wake();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on("connection", (socket: Socket) => {
      socket.setNoDelay(true);
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.ticker = setInterval(() => this.checkTtls(), 50);
    this.ticker.unref();
  }

  private checkTtls(): void {
    const now = Date.now();
    let changed = false;
    for (const service of [...this.services.values()]) {
      if (service.status === "passing" && now - service.lastPass > service.ttlMs) {
        service.status = "critical";
        service.criticalSince = now;
        changed = true;
      }
      if (service.status === "critical" && now - service.criticalSince > service.deregisterAfterMs) {
        this.services.delete(service.id);
        changed = true;
      }
    }
    if (changed) this.bump();
  }

  /** Simulates an agent that goes away and comes back without its services (no persisted state). */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    this.services.clear();
    this.bump();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.listen();
  }

  async stop(): Promise<void> {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    const server = this.server;
    this.server = undefined;
    for (const wake of [...this.waiters]) wake();
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://consul.invalid");
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers[key] = value;
    }
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? "GET";
    this.requests.push({ method, path, rawUrl: req.url ?? "/", query, headers, body, at: Date.now() });

    const send = (status: number, payload?: unknown, extraHeaders: Record<string, string> = {}): void => {
      const text = payload === undefined ? "" : typeof payload === "string" ? payload : JSON.stringify(payload);
      res.writeHead(status, {
        "Content-Type": payload === undefined || typeof payload !== "string" ? "application/json" : "text/plain",
        ...extraHeaders,
      });
      res.end(text);
    };

    if (method === "PUT" && path === "/v1/agent/service/register") {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body) as Record<string, unknown>;
      } catch {
        send(400, "Request decode failed");
        return;
      }
      const check = (parsed.Check ?? {}) as Record<string, unknown>;
      const id = typeof parsed.ID === "string" && parsed.ID !== "" ? parsed.ID : String(parsed.Name);
      const existing = this.services.get(id);
      const ttlMs = parseDuration(check.TTL);
      this.services.set(id, {
        id,
        name: String(parsed.Name),
        tags: Array.isArray(parsed.Tags) ? (parsed.Tags as string[]) : [],
        address: typeof parsed.Address === "string" ? parsed.Address : "",
        port: typeof parsed.Port === "number" ? parsed.Port : 0,
        ttlMs: ttlMs > 0 ? ttlMs : Number.POSITIVE_INFINITY,
        deregisterAfterMs: parseDuration(check.DeregisterCriticalServiceAfter) || Number.POSITIVE_INFINITY,
        status: existing?.status ?? "critical",
        criticalSince: existing?.criticalSince ?? Date.now(),
        lastPass: existing?.lastPass ?? 0,
      });
      this.bump();
      send(200);
      return;
    }
    const passMatch = /^\/v1\/agent\/check\/pass\/service:(.+)$/.exec(path);
    if (method === "PUT" && passMatch !== null) {
      const service = this.services.get(passMatch[1]!);
      if (service === undefined) {
        send(404, `Unknown check ID "service:${passMatch[1]}". Ensure that the check ID is passed, not the check name.`);
        return;
      }
      service.lastPass = Date.now();
      if (service.status !== "passing") {
        service.status = "passing";
        this.bump();
      }
      send(200);
      return;
    }
    const deregisterMatch = /^\/v1\/agent\/service\/deregister\/(.+)$/.exec(path);
    if (method === "PUT" && deregisterMatch !== null) {
      if (!this.services.delete(deregisterMatch[1]!)) {
        send(404, `Unknown service ID "${deregisterMatch[1]}".`);
        return;
      }
      this.bump();
      send(200);
      return;
    }
    const healthMatch = /^\/v1\/health\/service\/(.+)$/.exec(path);
    if (method === "GET" && healthMatch !== null) {
      await this.block(query);
      const name = healthMatch[1]!;
      const entries = [...this.services.values()]
        .filter((s) => s.name === name)
        .map((s) => ({
          Node: { ID: "00000000-0000-4000-8000-000000000001", Node: "double", Address: "127.0.0.1", Datacenter: "dc1" },
          Service: { ID: s.id, Service: s.name, Tags: s.tags, Address: s.address, Meta: {}, Port: s.port },
          Checks: [
            { Node: "double", CheckID: "serfHealth", Status: "passing", ServiceID: "" },
            { Node: "double", CheckID: `service:${s.id}`, Status: s.status, ServiceID: s.id, ServiceName: s.name },
          ],
        }));
      if (this.server === undefined) return;
      send(200, entries, this.indexHeaders());
      return;
    }
    if (method === "GET" && path === "/v1/catalog/services") {
      await this.block(query);
      const services: Record<string, string[]> = { consul: [] };
      for (const s of this.services.values()) {
        services[s.name] = [...new Set([...(services[s.name] ?? []), ...s.tags])];
      }
      if (this.server === undefined) return;
      send(200, services, this.indexHeaders());
      return;
    }
    send(404, "not modelled by the Consul test double");
  }

  private indexHeaders(): Record<string, string> {
    return { "X-Consul-Index": String(this.index), "X-Consul-Knownleader": "true", "X-Consul-Lastcontact": "0" };
  }

  private async block(query: Record<string, string>): Promise<void> {
    if (query.index === undefined || Number(query.index) !== this.index) return;
    const waitMs = Math.min(parseDuration(query.wait) || this.maxBlockMs, this.maxBlockMs);
    const start = this.index;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        if (this.index !== start || this.server === undefined) finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(finish, waitMs);
      this.waiters.add(wake);
    });
  }
}
