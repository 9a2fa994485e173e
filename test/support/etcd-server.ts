/**
 * Starts a private etcd (Debian `etcd-server`) for one test file: free loopback client and peer ports, a
 * temporary data dir, stop/restart by PID. A restart keeps the data dir, as a real etcd restart does.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./nats-server.js";

async function waitForHealth(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      const body = (await response.json()) as { health?: string };
      if (body.health === "true") return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`etcd on ${port} not healthy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the `etcd` binary is installed (Debian `etcd-server`). */
export function etcdAvailable(): boolean {
  return spawnSync("etcd", ["--version"], { stdio: "ignore" }).status === 0;
}

export class EtcdServer {
  private child: ChildProcess | undefined;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;

  private constructor(clientPort: number, peerPort: number, dataDir: string) {
    this.clientPort = clientPort;
    this.peerPort = peerPort;
    this.dataDir = dataDir;
  }

  static async start(): Promise<EtcdServer> {
    // The suite needs a real etcd; .ci/run installs it. A missing binary is a failure, never a skip.
    if (!etcdAvailable()) throw new Error("etcd is not installed: apt-get install -y etcd-server (.ci/run does this)");
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), "mqgen-etcd-"));
    const server = new EtcdServer(clientPort, peerPort, dataDir);
    await server.spawn();
    return server;
  }

  /** `host:port` for the etcd3 client. */
  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async spawn(): Promise<void> {
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      "etcd",
      [
        "--name",
        "mqgen-test",
        "--data-dir",
        this.dataDir,
        "--listen-client-urls",
        client,
        "--advertise-client-urls",
        client,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        `mqgen-test=${peer}`,
        "--log-level",
        "error",
      ],
      { stdio: "ignore" },
    );
    this.child = child;
    await waitForPort(this.clientPort, 15_000, "etcd");
    await waitForHealth(this.clientPort, 15_000);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** Stops and starts again on the same ports; `wipe` starts from an empty data dir (all keys and leases lost). */
  async restart(options: { downMs?: number; wipe?: boolean } = {}): Promise<void> {
    await this.stop();
    if (options.wipe === true) {
      rmSync(this.dataDir, { recursive: true, force: true });
      mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    }
    if (options.downMs !== undefined && options.downMs > 0) await new Promise((r) => setTimeout(r, options.downMs));
    await this.spawn();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
