/**
 * Module dependencies across OS processes over a real nats-server (JetStream KV registry): a module
 * started before the module it needs waits for it, then starts; without it, start fails naming what is
 * missing; app.waitFor() for callers; in one process, modules start after the local ones they need.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { NoneAvailableError, MemoryRegistry, NatsKvRegistry, connectNats, createApp } from "../../runtime/index.js";
import { NatsServer } from "../support/nats-server.js";
import { configFor, testModule } from "../support/apps.js";

let nats: NatsServer;
const children: ChildProcess[] = [];
before(async () => {
  nats = await NatsServer.start({ jetstream: true });
});
after(async () => {
  for (const child of children) if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  await nats.dispose();
});

interface Node {
  readonly proc: ChildProcess;
  /** The first line the node printed: `started <id>` or `failed <message>`. */
  readonly outcome: Promise<string>;
  readonly exited: Promise<number | null>;
}

function startNode(type: string, needs: string[], bucket: string, depTimeoutMs = 15_000): Node {
  const proc = spawn(process.execPath, ["--import", "tsx", "test/model/fixtures/dep-node.ts", type, needs.join(","), bucket], {
    env: { ...process.env, NATS_URL: nats.url, DEP_TIMEOUT_MS: String(depTimeoutMs) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(proc);
  const lines = createInterface({ input: proc.stdout! });
  const outcome = new Promise<string>((resolve) => lines.once("line", resolve));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, outcome, exited };
}

async function stopNode(node: Node): Promise<void> {
  if (node.proc.exitCode === null && node.proc.pid !== undefined) process.kill(node.proc.pid, "SIGTERM");
  await node.exited;
}

test("two processes in the wrong order: the dependent one waits for the one it needs, then starts", async () => {
  const bucket = "deps-order";
  const orders = startNode("orders", ["inventory"], bucket);
  let ordersStarted = false;
  void orders.outcome.then(() => {
    ordersStarted = true;
  });
  // orders is up and waiting (its registry connection works) before inventory even exists.
  const nc = await connectNats({ servers: nats.url });
  const registry = new NatsKvRegistry({ connection: nc, bucket });
  const caller = createApp({ parseFlags: false, debug: false, registry, nats: nc, config: { Module: {} } });
  await caller.start([]);
  try {
    await assert.rejects(caller.waitFor(["inventory"], { timeoutMs: 300 }), (err: unknown) => err instanceof NoneAvailableError && /inventory/.test(err.message));
    assert.equal(ordersStarted, false, "orders does not start while inventory is missing");
    const inventory = startNode("inventory", [], bucket);
    assert.match(await inventory.outcome, /^started inventory@/);
    assert.match(await orders.outcome, /^started orders@/);
    await caller.waitFor(["orders", "inventory"], { timeoutMs: 10_000 });
    assert.match(String(await caller.call("orders", "/who", [])), /^orders in \d+$/);
    await stopNode(orders);
    await stopNode(inventory);
  } finally {
    await caller.stop();
    await nc.close();
  }
});

test("a dependency that never comes: start fails after the timeout, naming the missing module types", async () => {
  const node = startNode("billing", ["ledger", "audit"], "deps-missing", 400);
  const outcome = await node.outcome;
  assert.match(outcome, /^failed module billing: dependencies: not routable after 400 ms: ledger, audit/);
  assert.equal(await node.exited, 3);
});

test("in one process, a module starts after the local module it needs, whatever order they are given in", async () => {
  const started: string[] = [];
  const modules = [
    testModule("a", () => void started.push("a"), { dependencies: ["b"], dependencyTimeoutMs: 2000 }),
    testModule("b", () => void started.push("b"), { dependencies: ["c"], dependencyTimeoutMs: 2000 }),
    testModule("c", () => void started.push("c")),
  ];
  const app = createApp({ parseFlags: false, debug: false, registry: new MemoryRegistry(), config: configFor(modules) });
  await app.start(modules);
  try {
    assert.deepEqual(started, ["c", "b", "a"]);
    await app.waitFor(["a", "b", "c"], { timeoutMs: 1000 });
  } finally {
    await app.stop();
  }
});
