/**
 * `npm run bench:discovery`: for each registry available here (memory, NATS KV, etcd; Consul only with
 * CONSUL_HTTP_ADDR), on private servers on loopback:
 *
 * - start → first routable call: a caller that already asks for the module type keeps calling while a node
 *   starts (in this process); the time from `app.start()` of the node to the caller's first answer.
 * - kill -9 → last call routed to the dead node: worker processes serve the module, a caller keeps 4 calls
 *   in flight; one worker gets SIGKILL; the time from the kill to the last time the caller's selector picked
 *   the dead node (recorded by a wrapping strategy). With the memory registry (one process only) the "kill"
 *   is simulated in process: the node's NATS connection is closed and its renewals stop, as a dead process's.
 *
 * Prints a table and writes bench/results/discovery.json. Every figure is the median of several rounds.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection } from "nats";
import { createApp, type App } from "../runtime/internal.js";
import type { Module } from "../runtime/internal.js";
import { ConsulRegistry } from "../runtime/internal.js";
import { EtcdRegistry } from "../runtime/internal.js";
import { MemoryRegistry } from "../runtime/internal.js";
import { NatsKvRegistry } from "../runtime/internal.js";
import type { Registry, ServiceNode } from "../runtime/internal.js";
import { echoModule } from "../test/discovery/echo-module.js";
import { startWorkers, type Worker, type WorkerOptions } from "../test/discovery/processes.js";
import { EtcdServer, etcdAvailable } from "../test/support/etcd-server.js";
import { NatsServer } from "../test/support/nats-server.js";

const ttlMs = 5_000;
const intervalMs = 2_000;
const startRounds = 5;
const killRounds = 3;
const lanes = 4;
const callTimeoutMs = 2_000;
const who = echoModule.handlers.who!;
const benchDir = dirname(fileURLToPath(import.meta.url));

interface RegistryUnderTest {
  readonly name: string;
  /** A new client of the registry for one app. */
  open(nc: NatsConnection): Registry;
  /** Worker process settings, or undefined when the registry cannot span processes. */
  readonly worker?: Partial<WorkerOptions>;
  dispose(): Promise<void>;
}

interface KillRound {
  readonly lastRoutedMs: number;
  readonly outOfRoutingMs: number;
  readonly failedCalls: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function echoNode(): Module {
  let nodeId = "";
  return {
    type: echoModule.type,
    version: "1.0.0",
    onInit(ctx) {
      nodeId = ctx.nodeId;
      ctx.server.registerHandler(echoModule, who, () => nodeId);
    },
  };
}

async function newApp(nc: NatsConnection, registry: Registry, extra: { selector?: Parameters<typeof createApp>[0] extends infer O ? (O extends { selector?: infer S } ? S : never) : never } = {}): Promise<App> {
  return createApp({
    nats: nc,
    registry,
    registerTtlMs: ttlMs,
    registerIntervalMs: intervalMs,
    parseFlags: false,
    debug: false,
    killWaitMs: 3000,
    ...(extra.selector !== undefined ? { selector: extra.selector } : {}),
  });
}

/** Start → first routable call, measured in this process. */
async function measureStart(natsUrl: string, target: RegistryUnderTest): Promise<number[]> {
  const callerNc = await connect({ servers: natsUrl });
  const caller = await newApp(callerNc, target.open(callerNc));
  await caller.start([]);
  await caller.callHandler(echoModule, who, [0], { timeout: 200 }).catch(() => undefined);
  const samples: number[] = [];
  try {
    for (let round = 0; round < startRounds; round++) {
      const nodeNc = await connect({ servers: natsUrl });
      const node = await newApp(nodeNc, target.open(nodeNc));
      const started = performance.now();
      const starting = node.start([echoNode()]);
      let firstAnswer = 0;
      while (firstAnswer === 0) {
        try {
          await caller.callHandler(echoModule, who, [0], { timeout: 200 });
          firstAnswer = performance.now();
        } catch {
          await sleep(1);
        }
        if (performance.now() - started > 15_000) throw new Error(`${target.name}: no routable call within 15 s`);
      }
      samples.push(firstAnswer - started);
      await starting;
      await node.stop();
      await nodeNc.close();
      // Wait until the caller no longer routes to the stopped node, so the next round starts from zero.
      for (let i = 0; i < 500 && (await caller.getServersByType("echo")).length > 0; i++) await sleep(10);
    }
  } finally {
    await caller.stop();
    await callerNc.close();
  }
  return samples;
}

/** A caller keeping `lanes` calls in flight; its strategy records every pick of a node. */
async function loadCaller(natsUrl: string, target: RegistryUnderTest) {
  const picks: Array<{ at: number; node: string }> = [];
  const recordingRandom = (nodes: readonly ServiceNode[]): ServiceNode => {
    const node = nodes[Math.floor(Math.random() * nodes.length)]!;
    picks.push({ at: performance.now(), node: node.id });
    return node;
  };
  const nc = await connect({ servers: natsUrl });
  const app = await newApp(nc, target.open(nc), { selector: { strategy: recordingRandom } });
  await app.start([]);
  let running = true;
  let failed = 0;
  const loops = Array.from({ length: lanes }, async () => {
    while (running) {
      try {
        await app.callHandler(echoModule, who, [0], { timeout: callTimeoutMs });
      } catch {
        failed++;
        await sleep(1);
      }
    }
  });
  return {
    app,
    picks,
    failed: () => failed,
    async stop() {
      running = false;
      await Promise.all(loops);
      await app.stop();
      await nc.close();
    },
  };
}

async function waitForNodes(app: App, count: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if ((await app.getServersByType("echo")).length === count) return;
    await sleep(5);
  }
  throw new Error(`caller did not see ${count} nodes`);
}

/** After the kill, wait until the dead node has not been picked for a while (or the TTL passed twice). */
async function measureAfterKill(
  caller: Awaited<ReturnType<typeof loadCaller>>,
  victimId: string,
  killedAt: number,
  failedBefore: number,
): Promise<KillRound> {
  let outOfRoutingAt = 0;
  const deadline = killedAt + 2 * ttlMs + callTimeoutMs;
  for (;;) {
    const now = performance.now();
    if (outOfRoutingAt === 0 && !(await caller.app.getServersByType("echo")).some((n) => n.id === victimId)) outOfRoutingAt = now;
    const lastPick = [...caller.picks].reverse().find((p) => p.node === victimId)?.at ?? killedAt;
    if (outOfRoutingAt !== 0 && now - Math.max(lastPick, outOfRoutingAt) > callTimeoutMs + 200) break;
    if (now > deadline) break;
    await sleep(10);
  }
  const lastPick = [...caller.picks].reverse().find((p) => p.node === victimId && p.at >= killedAt)?.at ?? killedAt;
  return {
    lastRoutedMs: lastPick - killedAt,
    outOfRoutingMs: (outOfRoutingAt || performance.now()) - killedAt,
    failedCalls: caller.failed() - failedBefore,
  };
}

async function measureKillProcesses(natsUrl: string, target: RegistryUnderTest): Promise<KillRound[]> {
  const workers: Worker[] = await startWorkers(
    Array.from({ length: killRounds + 1 }, () => ({ natsUrl, ttlMs, intervalMs, ...target.worker })),
  );
  const caller = await loadCaller(natsUrl, target);
  const rounds: KillRound[] = [];
  try {
    await waitForNodes(caller.app, workers.length);
    for (let round = 0; round < killRounds; round++) {
      await sleep(300);
      const victim = workers[round]!;
      const failedBefore = caller.failed();
      const killedAt = performance.now();
      victim.signal("SIGKILL");
      await victim.exited;
      rounds.push(await measureAfterKill(caller, victim.nodeId, killedAt, failedBefore));
    }
  } finally {
    await caller.stop();
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
  }
  return rounds;
}

/** Memory registry: nodes live in this process; a "kill" closes the node's NATS connection and stops its renewals. */
async function measureKillInProcess(natsUrl: string, target: RegistryUnderTest): Promise<KillRound[]> {
  const nodes: Array<{ app: App; nc: NatsConnection; dead: { value: boolean } }> = [];
  for (let i = 0; i < killRounds + 1; i++) {
    const nc = await connect({ servers: natsUrl });
    const inner = target.open(nc);
    const dead = { value: false };
    const registry: Registry = {
      name: inner.name,
      register: (service, options) => (dead.value ? Promise.reject(new Error("process is dead")) : inner.register(service, options)),
      deregister: (service) => (dead.value ? Promise.reject(new Error("process is dead")) : inner.deregister(service)),
      getService: (name) => inner.getService(name),
      listServices: () => inner.listServices(),
      watch: (options) => inner.watch(options),
      close: async () => undefined,
    };
    const app = await newApp(nc, registry);
    await app.start([echoNode()]);
    nodes.push({ app, nc, dead });
  }
  const caller = await loadCaller(natsUrl, target);
  const rounds: KillRound[] = [];
  try {
    await waitForNodes(caller.app, nodes.length);
    for (let round = 0; round < killRounds; round++) {
      await sleep(300);
      const victim = nodes[round]!;
      const victimId = victim.app.nodeIds.echo!;
      const failedBefore = caller.failed();
      const killedAt = performance.now();
      victim.dead.value = true;
      await victim.nc.close();
      rounds.push(await measureAfterKill(caller, victimId, killedAt, failedBefore));
    }
  } finally {
    await caller.stop();
    for (const node of nodes) await node.app.stop().catch(() => undefined);
    for (const node of nodes) await node.nc.close().catch(() => undefined);
  }
  return rounds;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const nats = await NatsServer.start({ jetstream: true });
  const targets: RegistryUnderTest[] = [];
  const skipped: Array<{ registry: string; reason: string }> = [];

  const memory = new MemoryRegistry();
  targets.push({ name: "memory", open: () => memory, dispose: () => memory.close() });
  targets.push({
    name: "nats-kv",
    open: (nc) => new NatsKvRegistry({ connection: nc, bucket: "bench-discovery", ttlMs, requestTimeoutMs: 1000 }),
    worker: { registry: "nats-kv", kvBucket: "bench-discovery" },
    dispose: async () => undefined,
  });
  let etcd: EtcdServer | undefined;
  if (etcdAvailable()) {
    etcd = await EtcdServer.start();
    const endpoint = etcd.endpoint;
    targets.push({
      name: "etcd",
      open: () => new EtcdRegistry({ hosts: endpoint, requestTimeoutMs: 1000 }),
      worker: { registry: "etcd", etcdEndpoint: endpoint },
      dispose: async () => undefined,
    });
  } else {
    skipped.push({ registry: "etcd", reason: "etcd is not installed (Debian package etcd-server)" });
  }
  const consulAddress = process.env.CONSUL_HTTP_ADDR;
  if (consulAddress !== undefined && consulAddress !== "") {
    targets.push({
      name: "consul",
      open: () => new ConsulRegistry({ address: consulAddress, requestTimeoutMs: 1000, watchWait: "5s" }),
      worker: { registry: "consul", consulAddress },
      dispose: async () => undefined,
    });
  } else {
    skipped.push({ registry: "consul", reason: "CONSUL_HTTP_ADDR is not set (no Consul agent here)" });
  }

  const results: Array<Record<string, unknown>> = [];
  try {
    for (const target of targets) {
      process.stdout.write(`${target.name}: start → first routable call … `);
      const start = await measureStart(nats.url, target);
      process.stdout.write(`kill → last routed call … `);
      const kill = target.worker !== undefined ? await measureKillProcesses(nats.url, target) : await measureKillInProcess(nats.url, target);
      process.stdout.write("done\n");
      results.push({
        registry: target.name,
        killMethod: target.worker !== undefined ? "SIGKILL of a worker process" : "in-process: NATS connection closed, renewals stopped",
        startToFirstCallMs: median(start),
        startToFirstCallSamplesMs: start.map((v) => Math.round(v * 10) / 10),
        killToLastRoutedMs: median(kill.map((k) => k.lastRoutedMs)),
        killToOutOfRoutingMs: median(kill.map((k) => k.outOfRoutingMs)),
        killRounds: kill.map((k) => ({
          lastRoutedMs: Math.round(k.lastRoutedMs * 10) / 10,
          outOfRoutingMs: Math.round(k.outOfRoutingMs * 10) / 10,
          clientVisibleErrors: k.failedCalls,
        })),
      });
      await target.dispose();
    }
  } finally {
    await etcd?.dispose();
    await nats.dispose();
  }

  const fmt = (v: unknown) => (typeof v === "number" ? v.toFixed(1).padStart(10) : String(v).padStart(10));
  console.log("\nregistry   start→first call ms   kill→last routed ms   kill→out of routing ms   client errors per kill");
  for (const r of results) {
    const errors = (r.killRounds as Array<{ clientVisibleErrors: number }>).map((k) => k.clientVisibleErrors).join("/");
    console.log(
      `${String(r.registry).padEnd(10)} ${fmt(r.startToFirstCallMs)}            ${fmt(r.killToLastRoutedMs)}            ${fmt(r.killToOutOfRoutingMs)}               ${errors}`,
    );
  }
  for (const s of skipped) console.log(`${s.registry.padEnd(10)} not measured: ${s.reason}`);

  const output = {
    benchmark: "discovery",
    environment: {
      date: new Date(startedAt).toISOString(),
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? "?",
      loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    },
    method: {
      registerTtlMs: ttlMs,
      registerIntervalMs: intervalMs,
      startRounds,
      killRounds,
      callerLanes: lanes,
      callTimeoutMs,
      statistic: "median over rounds",
      startToFirstCall: "node app.start() in this process → first successful call of a caller already asking for the type",
      killToLastRouted: "SIGKILL → last time the caller's strategy picked the dead node (0 when it never was picked after the kill)",
      killToOutOfRouting: "SIGKILL → the dead node no longer in the caller's node list",
      servers: "private nats-server (JetStream) and etcd on loopback",
    },
    results,
    notMeasured: skipped,
    durationS: Math.round((Date.now() - startedAt) / 100) / 10,
  };
  const file = join(benchDir, "results", "discovery.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(output, null, 2) + "\n");
  console.log(`\nwrote bench/results/discovery.json in ${output.durationS} s`);
}

await main();
