/**
 * Starts a private nats-server for one test file, on a free loopback port, optionally with JetStream in a
 * temporary store dir. Tests never mock NATS; they start, stop and kill real servers by PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("no port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Resolves once something accepts TCP connections on the loopback port; `server` names it in the error. */
export async function waitForPort(port: number, timeoutMs: number, server = "nats-server"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${server} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface NatsServerOptions {
  jetstream?: boolean;
  port?: number;
  /** Reuse a store dir (to restart a JetStream server with its data). */
  storeDir?: string;
}

export class NatsServer {
  private child: ChildProcess | undefined;
  readonly port: number;
  readonly storeDir: string | undefined;
  private readonly ownsStore: boolean;
  private readonly jetstream: boolean;

  private constructor(port: number, jetstream: boolean, storeDir: string | undefined, ownsStore: boolean) {
    this.port = port;
    this.jetstream = jetstream;
    this.storeDir = storeDir;
    this.ownsStore = ownsStore;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const port = options.port ?? (await freePort());
    const jetstream = options.jetstream ?? false;
    let storeDir = options.storeDir;
    let ownsStore = false;
    if (jetstream && storeDir === undefined) {
      storeDir = mkdtempSync(join(tmpdir(), "mqgen-js-"));
      ownsStore = true;
    }
    const server = new NatsServer(port, jetstream, storeDir, ownsStore);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    const args = ["-a", "127.0.0.1", "-p", String(this.port)];
    if (this.jetstream && this.storeDir !== undefined) args.push("-js", "-sd", this.storeDir);
    const child = spawn("nats-server", args, { stdio: "ignore" });
    this.child = child;
    await waitForPort(this.port, 10_000);
  }

  /** Stops with SIGTERM (or SIGKILL) and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** Stops and starts again on the same port (and JetStream store, unless `emptyStore`: state lost). */
  async restart(downMs = 0, options: { emptyStore?: boolean } = {}): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    if (options.emptyStore === true && this.storeDir !== undefined) {
      rmSync(this.storeDir, { recursive: true, force: true });
      mkdirSync(this.storeDir, { recursive: true });
    }
    await this.spawn();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsStore && this.storeDir !== undefined) rmSync(this.storeDir, { recursive: true, force: true });
  }
}
