/**
 * A rolling upgrade on a real nats-server: build 1 and build 2 of the same module (generated with the codegen
 * API from two fixture schemas, build 2 adds a param to sayHi) serve side by side. Callers of each build
 * reach the nodes of their own build for sayHi and any node for the unchanged ping; once no compatible
 * node is left, a call fails at once with SchemaMismatchError naming module, handler and both versions —
 * or, under `schemaMismatch: "warn"`, logs and goes ahead. Nodes without hashes (Go mqant) stay usable.
 * Build 3 makes only compatible changes (optional fields added to greet's messages): generated against
 * build 1's lock, it keeps greet's contract id, so under the default "reject" policy callers of builds 1
 * and 3 use nodes of both, and each side decodes what the other sends.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generate } from "../../codegen/index.js";
import { checkBreaking, lockText, parseLock } from "../../codegen/breaking/index.js";
import type { ContractSnapshot } from "../../codegen/breaking/index.js";
import {
  MemoryRegistry,
  RemoteError,
  SchemaMismatchError,
  createApp,
  createHttpGateway,
  type App,
  type ModuleDescriptor,
  type ModuleServer,
  type RpcCaller,
} from "../../runtime/internal.js";
import { HANDLER_SCHEMAS_KEY, checkNodeSchema } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const FIXTURES = resolve("test/fixtures/breaking/runtime");

interface GreeterClient {
  ping(): Promise<string>;
  sayHi(name: string, times?: number): Promise<string>;
  sayBye?(name: string): Promise<string>;
  greet(request: { name: string; title?: string }, options?: { node?: string }): Promise<{ text: string; lang?: string }>;
}

interface GreeterBuild {
  readonly greeter: ModuleDescriptor;
  readonly GreeterClient: new (rpc: RpcCaller) => GreeterClient;
  readonly registerGreeter: (server: ModuleServer, impl: Record<string, (...args: never[]) => unknown>) => void;
}

const scratch = mkdtempSync(join(tmpdir(), "mqgen-mixed-"));

/**
 * Generates a build's code with the codegen API and imports it, the runtime import pointed at this tree.
 * `baseline` is the lock of the build in production, as `mqgen` reads the committed mqgen.lock.json.
 */
async function loadBuild(name: "v1" | "v2" | "v3", baseline?: ContractSnapshot): Promise<GreeterBuild> {
  const result = generate({ schemaDir: join(FIXTURES, name), ...(baseline ? { baseline } : {}) });
  assert.deepEqual(result.diagnostics, []);
  const dir = join(scratch, name);
  const runtime = pathToFileURL(resolve("runtime/index.ts")).href;
  for (const [path, content] of result.files) {
    const file = join(dir, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, content.replaceAll('"mqgen/runtime"', JSON.stringify(runtime)));
  }
  return (await import(pathToFileURL(join(dir, "greeter.ts")).href)) as GreeterBuild;
}

let nats: NatsServer;
let registry: MemoryRegistry;
let v1: GreeterBuild;
let v2: GreeterBuild;
let v3: GreeterBuild;
const apps: App[] = [];

const NODE_CONFIG = { Module: { greeter: [{ Id: "greeter", ProcessID: "development" }] } };

async function startApp(modules: Parameters<App["start"]>[0], options: { schemaMismatch?: "reject" | "warn"; log?: string[] } = {}): Promise<App> {
  const log = options.log;
  const app = createApp({
    parseFlags: false,
    debug: log !== undefined,
    ...(log !== undefined ? { console: { write: (line: string) => log.push(line) } } : {}),
    registry,
    nats: { servers: nats.url },
    config: modules.length > 0 ? NODE_CONFIG : {},
    ...(options.schemaMismatch !== undefined ? { schemaMismatch: options.schemaMismatch } : {}),
  });
  // start() registers a node only after nats-server has its subscription, so a caller can use it at once.
  await app.start(modules);
  apps.push(app);
  return app;
}

function greeterNode(build: GreeterBuild, label: string): Parameters<App["start"]>[0][number] {
  return {
    type: "greeter",
    version: build.greeter.version,
    onInit(ctx) {
      build.registerGreeter(ctx.server, {
        ping: () => `${label} pong`,
        // Generated registration passes the call context after the arguments: build 1 has one, build 2 two.
        sayHi: (name: string, times: unknown) => `${label} hi ${name}${typeof times === "number" ? ` x${times}` : ""}`,
        sayBye: (name: string) => `${label} bye ${name}`,
        // Build 1's Greeting has no `lang`: its codec leaves the property out.
        greet: (request: { name: string; title?: string }) => ({
          text: `${label} hello ${request.title === undefined ? "" : `${request.title} `}${request.name}`,
          lang: "en",
        }),
      } as Record<string, (...args: never[]) => unknown>);
    },
  };
}

/** An mqant-style node: untyped registration, so no schema hashes in its metadata. */
const untypedNode: Parameters<App["start"]>[0][number] = {
  type: "greeter",
  version: "0.9.0",
  onInit(ctx) {
    ctx.server.registerGo("/say/hi", (args) => `untyped hi ${String(args[0])}`);
  },
};

async function waitForNodes(app: App, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await app.getServersByType("greeter")).length !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} greeter nodes`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  nats = await NatsServer.start();
  registry = new MemoryRegistry();
  const lock1 = parseLock(lockText(join(FIXTURES, "v1")), "mqgen.lock.json");
  [v1, v2, v3] = await Promise.all([loadBuild("v1"), loadBuild("v2", lock1), loadBuild("v3", lock1)]);
});

after(async () => {
  for (const app of apps.reverse()) await app.stop();
  await registry.close();
  await nats.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe("mixed builds of one module", () => {
  let node1: App;
  let node2: App;
  let caller1: App;
  let caller2: App;

  test("mqgen breaking reports the change the runtime has to cope with", () => {
    const report = checkBreaking({ schemaDir: join(FIXTURES, "v2"), against: join(FIXTURES, "v1") });
    assert.deepEqual(report.violations.map((v) => v.rule), ["PARAM_NO_ADD"]);
    assert.notEqual(v1.greeter.handlers.sayHi?.hash, v2.greeter.handlers.sayHi?.hash);
    assert.equal(v1.greeter.handlers.ping?.hash, v2.greeter.handlers.ping?.hash);
  });

  test("each node advertises its module and handler hashes", async () => {
    node1 = await startApp([greeterNode(v1, "v1")]);
    node2 = await startApp([greeterNode(v2, "v2")]);
    caller1 = await startApp([]);
    caller2 = await startApp([]);
    await waitForNodes(caller1, 2);
    await waitForNodes(caller2, 2);
    const nodes = await caller1.getServersByType("greeter");
    const byVersion = new Map(nodes.map((n) => [n.metadata.version, n]));
    const old = byVersion.get("1.0.0");
    const next = byVersion.get("2.0.0");
    assert.ok(old && next);
    assert.equal(old.metadata.schema, v1.greeter.schemaHash);
    assert.equal(next.metadata.schema, v2.greeter.schemaHash);
    assert.match(next.metadata[HANDLER_SCHEMAS_KEY] ?? "", new RegExp(`/say/bye=${v2.greeter.handlers.sayBye?.hash}`));
    const sayHi1 = v1.greeter.handlers.sayHi;
    assert.ok(sayHi1);
    assert.equal(checkNodeSchema(v1.greeter, sayHi1, old.metadata).compatibility, "compatible");
    assert.equal(checkNodeSchema(v1.greeter, sayHi1, next.metadata).compatibility, "mismatch");
  });

  test("callers of each build get answers from compatible nodes, changed or not", async () => {
    const client1 = new v1.GreeterClient(caller1);
    const client2 = new v2.GreeterClient(caller2);
    for (let i = 0; i < 20; i++) {
      assert.equal(await client1.sayHi("ann"), "v1 hi ann");
      assert.equal(await client2.sayHi("bob", 2), "v2 hi bob x2");
    }
    assert.equal(await client2.sayBye?.("bob"), "v2 bye bob");
    // ping did not change: both builds serve it to both callers.
    const pongs = new Set<string>();
    for (let i = 0; i < 40; i++) {
      pongs.add(await client1.ping());
      pongs.add(await client2.ping());
    }
    assert.deepEqual([...pongs].sort(), ["v1 pong", "v2 pong"]);
  });

  test("a call addressed to a node of the other build fails with SchemaMismatchError", async () => {
    const client1 = new v1.GreeterClient(caller1);
    const nodeOf2 = node2.nodeIds.greeter as string;
    await assert.rejects(
      caller1.callHandler(v1.greeter, v1.greeter.handlers.sayHi as never, ["ann"], { node: nodeOf2 }),
      (err: unknown) => err instanceof SchemaMismatchError && err.actualHash === v2.greeter.handlers.sayHi?.hash,
    );
    assert.match(await client1.ping(), /^v[12] pong$/);
  });

  test("with no compatible node left, a v1 caller gets SchemaMismatchError at once, not a timeout", async () => {
    await node1.stop();
    await waitForNodes(caller1, 1);
    const client1 = new v1.GreeterClient(caller1);
    const started = Date.now();
    await assert.rejects(client1.sayHi("ann"), (err: unknown) => {
      assert.ok(err instanceof SchemaMismatchError, String(err));
      assert.equal(err.code, "SCHEMA_MISMATCH");
      assert.equal(err.module, "greeter");
      assert.equal(err.handler, "sayHi");
      assert.equal(err.expectedHash, v1.greeter.handlers.sayHi?.hash);
      assert.equal(err.actualHash, v2.greeter.handlers.sayHi?.hash);
      assert.match(err.message, /schema mismatch calling greeter\.sayHi \(\/say\/hi\): caller built from \w+ \(version 1\.0\.0\), node greeter@\w+ serves \w+ \(version 2\.0\.0\)/);
      return true;
    });
    assert.ok(Date.now() - started < 2_000, "fails before any RPC timeout");
    // Unchanged handlers keep working against the new build.
    assert.equal(await client1.ping(), "v2 pong");
  });

  test("the HTTP gateway's typed routes are checked too: a mismatch is a 502 naming it", async () => {
    const server = createServer(createHttpGateway(caller1, { descriptors: [v1.greeter] }));
    await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const post = (path: string, body: unknown): Promise<Response> =>
        fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const mismatch = await post("/greeter/sayHi", { name: "ann" });
      assert.equal(mismatch.status, 502);
      const body = (await mismatch.json()) as { detail: string };
      assert.match(body.detail, /schema mismatch calling greeter\.sayHi \(\/say\/hi\): caller built from \w+ \(version 1\.0\.0\)/);
      const pong = await post("/greeter/ping", {});
      assert.equal(pong.status, 200);
      assert.equal(await pong.json(), "v2 pong");
    } finally {
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    }
  });

  test('schemaMismatch: "warn" logs the mismatch and calls anyway', async () => {
    const log: string[] = [];
    const warnCaller = await startApp([], { schemaMismatch: "warn", log });
    await waitForNodes(warnCaller, 1);
    const client = new v1.GreeterClient(warnCaller);
    // Build 2 expects two arguments: the call reaches it and fails there, with mqant's own error text.
    await assert.rejects(client.sayHi("ann"), (err: unknown) => err instanceof RemoteError && /The number of params/.test(err.message));
    assert.ok(log.some((line) => /schema mismatch calling greeter\.sayHi .*schemaMismatch: warn/.test(line)), log.join(""));
  });

  test("a node without schema hashes (Go mqant, untyped registration) is preferred over a mismatching one", async () => {
    const untyped = await startApp([untypedNode]);
    await waitForNodes(caller1, 2);
    const client1 = new v1.GreeterClient(caller1);
    for (let i = 0; i < 10; i++) assert.equal(await client1.sayHi("ann"), "untyped hi ann");
    await untyped.stop();
    await waitForNodes(caller1, 1);
    await assert.rejects(client1.sayHi("ann"), SchemaMismatchError);
  });
});

describe("a compatible change keeps both builds talking", () => {
  let node1: App;
  let node3: App;
  let caller1: App;
  let caller3: App;

  test("build 3 keeps greet's contract id although greet's messages changed", async () => {
    const report = checkBreaking({ schemaDir: join(FIXTURES, "v3"), against: join(FIXTURES, "v1") });
    assert.deepEqual(report.violations, []);
    assert.equal(v3.greeter.handlers.greet?.hash, v1.greeter.handlers.greet?.hash);
    assert.notEqual(v3.greeter.schemaHash, v1.greeter.schemaHash, "the module hash still names the build");
    // Only this describe's nodes from here on.
    for (const app of apps.splice(0)) await app.stop();
    node1 = await startApp([greeterNode(v1, "v1")]);
    node3 = await startApp([greeterNode(v3, "v3")]);
    caller1 = await startApp([]);
    caller3 = await startApp([]);
    await waitForNodes(caller1, 2);
    await waitForNodes(caller3, 2);
  });

  test('under "reject", callers of each build use nodes of both builds', async () => {
    const client1 = new v1.GreeterClient(caller1);
    const client3 = new v3.GreeterClient(caller3);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      seen.add(`1:${(await client1.greet({ name: "ann" })).text}`);
      seen.add(`3:${(await client3.greet({ name: "bob" })).text}`);
    }
    assert.deepEqual([...seen].sort(), ["1:v1 hello ann", "1:v3 hello ann", "3:v1 hello bob", "3:v3 hello bob"]);
  });

  test("each side decodes the other's messages: new fields are skipped by old code and absent for new code", async () => {
    const client1 = new v1.GreeterClient(caller1);
    const client3 = new v3.GreeterClient(caller3);
    // Build 3 sends `title` to a build-1 node, which does not know the field.
    assert.deepEqual(await client3.greet({ name: "bob", title: "Dr" }, { node: node1.nodeIds.greeter as string }), { text: "v1 hello bob" });
    // Build 3's node answers with `lang`, which build 1's caller skips.
    assert.deepEqual(await client1.greet({ name: "ann" }, { node: node3.nodeIds.greeter as string }), { text: "v3 hello ann" });
    assert.deepEqual(await client3.greet({ name: "bob", title: "Dr" }, { node: node3.nodeIds.greeter as string }), {
      text: "v3 hello Dr bob",
      lang: "en",
    });
  });

  test("with only build 3 left, build 1's callers keep working", async () => {
    await node1.stop();
    await waitForNodes(caller1, 1);
    const client1 = new v1.GreeterClient(caller1);
    for (let i = 0; i < 5; i++) assert.equal((await client1.greet({ name: "ann" })).text, "v3 hello ann");
    assert.equal(await client1.sayHi("ann"), "v3 hi ann");
  });
});
