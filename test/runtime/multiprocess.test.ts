/**
 * Separate OS processes calling each other over a real nats-server: load spreads over nodes, SIGTERM
 * drains in-flight calls before the process exits, and a killed node fails calls at once instead of at
 * their deadline (retry-safe calls move to the surviving node).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { MemoryRegistry, NoneAvailableError, NodeGoneError, createApp, type App, type ServiceNode } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { echo } from "./fixtures/echo-descriptor.js";

interface Child {
  proc: ChildProcess;
  nodeId: string;
  address: string;
  pid: number;
  lines: string[];
  exited: Promise<number | null>;
}

let nats: NatsServer;
let registry: MemoryRegistry;
let caller: App;
const children: Child[] = [];

const lineWaiters = new Set<() => void>();

/** Resolves once `count` lines of the child satisfy `match`. */
function linesSeen(child: Child, match: (line: string) => boolean, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      lineWaiters.delete(check);
      reject(new Error(`child printed ${child.lines.filter(match).length} of ${count} expected lines`));
    }, 15_000);
    const check = (): void => {
      if (child.lines.filter(match).length < count) return;
      clearTimeout(timer);
      lineWaiters.delete(check);
      resolve();
    };
    lineWaiters.add(check);
    check();
  });
}

async function spawnNode(): Promise<Child> {
  const proc = spawn(process.execPath, ["--import", "tsx", new URL("./fixtures/echo-node.ts", import.meta.url).pathname], {
    env: { ...process.env, NATS_URL: nats.url },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const lines: string[] = [];
  const reader = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("child did not start")), 15_000);
    reader.on("line", (line) => {
      lines.push(line);
      for (const waiter of [...lineWaiters]) waiter();
      if (lines.length === 1) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
  const info = JSON.parse(first) as { nodeId: string; address: string; pid: number };
  // The children register in their own in-memory registries; the caller learns them here instead.
  await registry.register(
    { name: "echo", version: "1.0.0", metadata: null, nodes: [{ id: info.nodeId, address: info.address, port: 0, metadata: { version: "1.0.0" } }] },
    { ttlMs: 60_000 },
  );
  const child: Child = { proc, ...info, lines, exited };
  children.push(child);
  return child;
}

before(async () => {
  nats = await NatsServer.start();
  registry = new MemoryRegistry();
  caller = createApp({ parseFlags: false, debug: false, registry, nats: { servers: nats.url }, config: {} });
  await caller.start([]);
});

after(async () => {
  for (const child of children) if (child.proc.exitCode === null) child.proc.kill("SIGKILL");
  await Promise.all(children.map((c) => c.exited));
  await caller.stop();
  await nats.dispose();
});

test("calls spread over two node processes and come back from each", async () => {
  const [a, b] = await Promise.all([spawnNode(), spawnNode()]);
  const pids = new Set<number>();
  for (let i = 0; i < 40; i++) pids.add((await caller.call("echo", "/pid", [])) as number);
  assert.deepEqual([...pids].sort(), [a.pid, b.pid].sort());
  assert.equal(await caller.callHandler(echo, echo.handlers.hi, ["x"], { node: a.nodeId }), `hi x from ${a.pid}`);
  assert.equal(await caller.call(b.nodeId, "/say/hi", ["y"]), `hi y from ${b.pid}`);
  for (const child of [a, b]) {
    child.proc.kill("SIGTERM");
    assert.equal(await child.exited, 0);
    await registry.deregister({ name: "echo", version: "1.0.0", metadata: null, nodes: [{ id: child.nodeId, address: child.address, port: 0, metadata: {} }] });
  }
});

test("SIGTERM: in-flight calls finish before the process exits; afterwards the node is gone at once", async () => {
  const node = await spawnNode();
  const inFlight = [300, 400, 500].map((ms) => caller.call(node.nodeId, "/slow", [ms], { timeout: 10_000 }));
  await linesSeen(node, (line) => line.startsWith("slow "), 3);
  node.proc.kill("SIGTERM");
  assert.deepEqual(await Promise.all(inFlight), ["slept 300", "slept 400", "slept 500"]);
  assert.equal(await node.exited, 0);
  assert.equal(node.lines.at(-1), "stopped");
  const started = Date.now();
  await assert.rejects(caller.call(node.nodeId, "/pid", [], { timeout: 10_000 }), NoneAvailableError);
  assert.ok(Date.now() - started < 3000, "failed fast, not at the deadline");
  await registry.deregister({ name: "echo", version: "1.0.0", metadata: null, nodes: [{ id: node.nodeId, address: node.address, port: 0, metadata: {} }] });
});

test("SIGKILL: the dead node fails calls fast and retry-safe calls land on the survivor", async () => {
  const [victim, survivor] = await Promise.all([spawnNode(), spawnNode()]);
  victim.proc.kill("SIGKILL");
  await victim.exited;
  const started = Date.now();
  await assert.rejects(caller.call(victim.nodeId, "/pid", [], { timeout: 10_000 }), NoneAvailableError);
  assert.ok(Date.now() - started < 3000, "no waiting for the deadline");
  // The registry still lists the victim (its TTL has not run out), yet every retry-safe call succeeds.
  for (let i = 0; i < 20; i++) {
    assert.equal(await caller.callHandler(echo, echo.handlers.hi, ["r"]), `hi r from ${survivor.pid}`);
  }
  survivor.proc.kill("SIGTERM");
  assert.equal(await survivor.exited, 0);
});

test("SIGKILL mid-call: calls waiting on the dead node fail within a second, retry-safe ones finish on the survivor", async () => {
  const [victim, survivor] = await Promise.all([spawnNode(), spawnNode()]);
  const preferVictim = (nodes: readonly ServiceNode[]): ServiceNode => nodes.find((n) => n.id === victim.nodeId) ?? (nodes[0] as ServiceNode);
  const started = Date.now();
  const untyped = caller.call(victim.nodeId, "/slow", [3000], { timeout: 15_000 });
  const retried = caller.callHandler(echo, echo.handlers.slowHi, ["300"], { timeout: 15_000, select: { strategy: preferVictim } });
  // Both calls are running in the victim when it dies.
  await linesSeen(victim, (line) => line.startsWith("slow "), 1);
  await linesSeen(victim, (line) => line.startsWith("slowhi "), 1);
  victim.proc.kill("SIGKILL");
  await assert.rejects(untyped, (err: unknown) => err instanceof NodeGoneError && err.delivered);
  assert.equal(await retried, `slept 300 in ${survivor.pid}`);
  assert.ok(Date.now() - started < 6000, `settled after ${Date.now() - started} ms, not at the 15 s deadline`);
  survivor.proc.kill("SIGTERM");
  assert.equal(await survivor.exited, 0);
});
