/**
 * A loopback TCP proxy for link faults: forwards every connection to a target port; `drop(ms)` cuts every
 * open connection and refuses new ones for `ms`, as a short network blip does.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { freePort } from "./nats-server.js";

export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private downUntil = 0;
  /** Connections accepted so far (a reconnect after a drop is a new one). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const port = await freePort();
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client));
    proxy = new TcpProxy(server, port, targetPort);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return proxy;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  private accept(client: Socket): void {
    client.on("error", () => undefined);
    if (Date.now() < this.downUntil) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = connect(this.targetPort, "127.0.0.1");
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.once("close", () => this.sockets.delete(client));
    upstream.once("close", () => this.sockets.delete(upstream));
  }

  /** Cuts every connection now and refuses new ones for `ms`. */
  drop(ms: number): void {
    this.downUntil = Date.now() + ms;
    for (const socket of [...this.sockets]) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of [...this.sockets]) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
