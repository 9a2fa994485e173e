/**
 * A 3-node (or n-node) nats-server cluster with JetStream on loopback for the fault tests: each server on
 * its own free client, route and monitoring ports, with its own store dir. Servers are killed (SIGKILL),
 * stopped and restarted by PID, optionally with an emptied store (JetStream state lost). The monitoring
 * endpoint tells which server leads the JetStream meta group and a stream.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForPort } from "./nats-server.js";

export class ClusterNode {
  child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly port: number,
    readonly clusterPort: number,
    readonly monitorPort: number,
    public storeDir: string,
    private readonly routes: string,
    private readonly clusterName: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    const args = [
      "-a", "127.0.0.1",
      "-p", String(this.port),
      "--server_name", this.name,
      "--cluster_name", this.clusterName,
      "--cluster", `nats://127.0.0.1:${this.clusterPort}`,
      "--routes", this.routes,
      "-m", String(this.monitorPort),
      "-js",
      "-sd", this.storeDir,
    ];
    this.child = spawn("nats-server", args, { stdio: "ignore" });
    await waitForPort(this.port, 10_000, `nats-server ${this.name}`);
    await waitForPort(this.monitorPort, 10_000, `nats-server ${this.name} monitoring`);
  }

  /** Stops with `signal` (SIGKILL by default: a crash) and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** Starts again on the same ports; `emptyStore` first deletes its JetStream state. */
  async restart(options: { emptyStore?: boolean } = {}): Promise<void> {
    await this.stop();
    if (options.emptyStore === true) {
      rmSync(this.storeDir, { recursive: true, force: true });
      this.storeDir = mkdtempSync(join(tmpdir(), `mqgen-cluster-${this.name}-`));
    }
    await this.start();
  }

  /** The monitoring endpoint's JSON (`/jsz`, `/varz`, …). */
  async monitor<T>(path: string): Promise<T> {
    const response = await fetch(`http://127.0.0.1:${this.monitorPort}${path}`, { signal: AbortSignal.timeout(2000) });
    if (!response.ok) throw new Error(`${this.name} ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }
}

interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number; replicas?: Array<{ name: string; current?: boolean; offline?: boolean }> };
  account_details?: Array<{
    stream_detail?: Array<{ name: string; cluster?: { leader?: string; replicas?: Array<{ name: string; current?: boolean; offline?: boolean }> } }>;
  }>;
}

export class NatsCluster {
  private constructor(readonly nodes: readonly ClusterNode[]) {}

  static async start(size = 3, clusterName = "mqgen-chaos"): Promise<NatsCluster> {
    const ports = await Promise.all(Array.from({ length: size * 3 }, () => freePort()));
    const clusterPorts = ports.slice(size, size * 2);
    const routes = clusterPorts.map((p) => `nats://127.0.0.1:${p}`).join(",");
    const nodes = Array.from(
      { length: size },
      (_, i) =>
        new ClusterNode(`n${i + 1}`, ports[i]!, clusterPorts[i]!, ports[size * 2 + i]!, mkdtempSync(join(tmpdir(), `mqgen-cluster-n${i + 1}-`)), routes, clusterName),
    );
    const cluster = new NatsCluster(nodes);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      await cluster.waitForMetaLeader(20_000);
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
    return cluster;
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (node === undefined) throw new Error(`no cluster node ${name}`);
    return node;
  }

  /** The server name leading the JetStream meta group, as a running server reports it. */
  async metaLeader(): Promise<string | undefined> {
    for (const node of this.nodes) {
      if (!node.running) continue;
      try {
        const jsz = await node.monitor<Jsz>("/jsz");
        if (jsz.meta_cluster?.leader) return jsz.meta_cluster.leader;
      } catch {
        // Ask the next one.
      }
    }
    return undefined;
  }

  async waitForMetaLeader(timeoutMs: number, except?: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.metaLeader();
      if (leader !== undefined && leader !== except && this.node(leader).running) return leader;
      if (Date.now() > deadline) throw new Error(`no JetStream meta leader${except ? ` other than ${except}` : ""} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The server name leading `stream`'s group (e.g. `KV_<bucket>`). */
  async streamLeader(stream: string): Promise<string | undefined> {
    for (const node of this.nodes) {
      if (!node.running) continue;
      try {
        const jsz = await node.monitor<Jsz>("/jsz?streams=true");
        for (const account of jsz.account_details ?? []) {
          for (const detail of account.stream_detail ?? []) {
            if (detail.name === stream && detail.cluster?.leader) return detail.cluster.leader;
          }
        }
      } catch {
        // Ask the next one.
      }
    }
    return undefined;
  }

  /**
   * Waits until the JetStream meta group has a leader whose followers are all current and, for `stream`,
   * until it has a leader and every replica is current: killing another server before a restarted one
   * caught up (on the stream or on the meta group, which every consumer creation and stream lookup needs)
   * would lose the quorum, two faults at once.
   */
  async waitForJetStream(timeoutMs: number, stream?: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.jetStreamReady(stream)) return;
      if (Date.now() > deadline) throw new Error(`JetStream${stream ? ` stream ${stream}` : ""} not ready within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async jetStreamReady(stream: string | undefined): Promise<boolean> {
    let meta = false;
    let streamReady = stream === undefined;
    for (const node of this.nodes.filter((n) => n.running)) {
      let jsz: Jsz;
      try {
        jsz = await node.monitor<Jsz>("/jsz?streams=true");
      } catch {
        continue;
      }
      // Only a leader knows whether its followers are current; the others may still name a dead leader, and a
      // server just restarted may name itself, with no followers listed, before it learns who leads now.
      const current = (replicas: Array<{ current?: boolean; offline?: boolean }> | undefined) =>
        replicas !== undefined && replicas.length === this.nodes.length - 1 && replicas.every((r) => r.current === true && r.offline !== true);
      if (jsz.meta_cluster?.leader === node.name && current(jsz.meta_cluster.replicas)) meta = true;
      if (stream === undefined) continue;
      for (const account of jsz.account_details ?? []) {
        for (const detail of account.stream_detail ?? []) {
          if (detail.name === stream && detail.cluster?.leader === node.name && current(detail.cluster.replicas)) streamReady = true;
        }
      }
    }
    return meta && streamReady;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    for (const node of this.nodes) rmSync(node.storeDir, { recursive: true, force: true });
  }
}
