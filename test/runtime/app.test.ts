/**
 * App lifecycle as mqant orders it, ProcessID groups, the embedded default config, graceful and bounded
 * stop, and logging (text/JSON lines, files, error file, trace ids per call).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ClosedError, MemoryRegistry, createApp, type Module } from "../../runtime/index.js";
import { configFor, sleep, testModule } from "../support/apps.js";

function recordingModule(type: string, events: string[]): Module {
  return {
    type,
    version: "1.0.0",
    onAppConfigurationLoaded: () => void events.push(`${type}.onAppConfigurationLoaded`),
    onInit: (ctx) => {
      events.push(`${type}.onInit`);
      ctx.server.registerGo("/x", () => type);
    },
    run: async (signal) => {
      events.push(`${type}.run`);
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
      events.push(`${type}.run returned`);
    },
    onDestroy: () => void events.push(`${type}.onDestroy`),
  };
}

test("lifecycle follows mqant: configuration hooks for every module, init in order, destroy in reverse", async () => {
  const events: string[] = [];
  const modules = ["a", "b", "elsewhere"].map((t) => recordingModule(t, events));
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: { Module: { a: [{ Id: "a", ProcessID: "development" }], b: [{ Id: "b", ProcessID: "development" }], elsewhere: [{ Id: "e", ProcessID: "other" }] } },
  });
  app.onConfigurationLoaded(() => void events.push("app.onConfigurationLoaded"));
  app.onModuleInited((_app, m) => void events.push(`app.onModuleInited ${m.type}`));
  app.onStartup(() => void events.push("app.onStartup"));
  app.onDestroy(() => void events.push("app.onDestroy"));
  await app.start(modules);
  await sleep(10);
  assert.deepEqual(Object.keys(app.nodeIds), ["a", "b"]);
  assert.equal(await app.call("b", "/x", []), "b");
  await app.stop();
  // Exact order of the deterministic part:
  const deterministic = events.filter((e) => !e.endsWith(".run"));
  assert.deepEqual(deterministic, [
    "app.onConfigurationLoaded",
    "a.onAppConfigurationLoaded",
    "b.onAppConfigurationLoaded",
    "elsewhere.onAppConfigurationLoaded",
    "a.onInit",
    "app.onModuleInited a",
    "b.onInit",
    "app.onModuleInited b",
    "app.onStartup",
    "b.run returned",
    "b.onDestroy",
    "a.run returned",
    "a.onDestroy",
    "app.onDestroy",
  ]);
  assert.ok(events.includes("a.run") && events.includes("b.run"));
});

test("ProcessID groups: each process runs only its entries, with that entry's Settings", async () => {
  const registry = new MemoryRegistry();
  const seen: Record<string, unknown> = {};
  const make = (type: string): Module =>
    testModule(type, (ctx) => {
      seen[`${type}@${ctx.app.processId}`] = ctx.settings.settings;
      ctx.server.registerGo("/where", () => ctx.app.processId);
    });
  const config = {
    Module: {
      web: [{ Id: "web", ProcessID: "gate", Settings: { Port: 1 } }],
      helloworld: [
        { Id: "hw-a", ProcessID: "backend", Settings: { n: 1 } },
        { Id: "hw-b", ProcessID: "development", Settings: { n: 2 } },
      ],
    },
  };
  const gate = createApp({ parseFlags: false, debug: false, registry, config, processId: "gate" });
  const backend = createApp({ debug: false, registry, config, argv: ["-pid", "backend"] });
  await gate.start([make("web"), make("helloworld")]);
  await backend.start([make("web"), make("helloworld")]);
  try {
    assert.deepEqual(Object.keys(gate.nodeIds), ["web"]);
    assert.deepEqual(Object.keys(backend.nodeIds), ["helloworld"]);
    assert.deepEqual(seen, { "web@gate": { Port: 1 }, "helloworld@backend": { n: 1 } });
    // In process across two apps sharing a registry but no NATS: a local-only node elsewhere is not reachable.
    assert.equal(await backend.call("helloworld", "/where", []), "backend");
    await assert.rejects(gate.call("helloworld", "/where", []), /in-process only elsewhere/);
  } finally {
    await gate.stop();
    await backend.stop();
  }
});

test("no config file and no inline config: the embedded default runs every module here", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-app-"));
  try {
    const app = createApp({ parseFlags: false, debug: false, workDir: dir });
    await app.start([testModule("one", (ctx) => ctx.server.registerGo("/x", () => 1)), testModule("two", (ctx) => ctx.server.registerGo("/x", () => 2))]);
    assert.deepEqual(Object.keys(app.nodeIds).sort(), ["one", "two"]);
    assert.equal(await app.call("two", "/x", []), 2);
    assert.equal(app.rpcTimeoutMs, 10_000);
    await app.stop();
    assert.deepEqual(readdirSync(dir), [], "no log dir created without a Log file section");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("graceful stop: in-flight calls finish, new calls are refused, the node leaves the registry", async () => {
  const registry = new MemoryRegistry();
  const slow = testModule("slow", (ctx) =>
    ctx.server.registerGo("/wait", async (args) => {
      await sleep(Number(args[0]));
      return "finished";
    }),
  );
  const app = createApp({ parseFlags: false, debug: false, registry, config: configFor([slow]) });
  await app.start([slow]);
  const pending = [app.call("slow", "/wait", [150]), app.call("slow", "/wait", [250])];
  await sleep(20);
  const stopping = app.stop("test");
  await assert.rejects(app.call("slow", "/wait", [1]), ClosedError);
  assert.deepEqual(await Promise.all(pending), ["finished", "finished"]);
  await stopping;
  assert.deepEqual(await registry.getService("slow"), []);
});

test("kill-wait bounds the stop with a clear log line instead of a panic; stuck handlers see their signal", async () => {
  const lines: string[] = [];
  let aborted = false;
  const stuck = testModule("stuck", (ctx) =>
    ctx.server.registerGo("/forever", (_args, call) => {
      call.signal.addEventListener("abort", () => (aborted = true));
      return new Promise(() => undefined);
    }),
  );
  const app = createApp({ parseFlags: false, debug: true, console: { write: (l: string) => lines.push(l) }, killWaitMs: 200, config: configFor([stuck]) });
  await app.start([stuck]);
  const call = app.call("stuck", "/forever", [], { timeout: 5000 });
  call.catch(() => undefined);
  await sleep(20);
  const started = Date.now();
  await app.stop();
  const took = Date.now() - started;
  assert.ok(took >= 190 && took < 5000, `stop took ${took} ms`);
  assert.equal(aborted, true);
  assert.ok(
    lines.some((l) => l.includes("[E]") && l.includes("app stop: kill-wait of 200 ms reached with 1 call(s) still running; stopped anyway")),
    lines.join(""),
  );
  await assert.rejects(call, ClosedError);
});

test("logging: text lines in mqant's layout, daily file plus error file, trace ids on call lines (Rpc.Log)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-log-"));
  try {
    const m = testModule("m", (ctx) => {
      ctx.server.registerGo("/ok", () => "ok");
      ctx.server.registerGo("/bad", () => {
        throw new Error("bad thing");
      });
      ctx.log.error("an error line");
    });
    const app = createApp({
      parseFlags: false,
      debug: false,
      logDir: dir,
      processId: "p1",
      config: { ...configFor([m], { Log: true }, "p1"), Log: { multifile: { prefix: "a-", suffix: ".log", separate: ["error"] } } },
    });
    await app.start([m]);
    await app.call("m", "/ok", []);
    await assert.rejects(app.call("m", "/bad", []));
    await app.stop();
    assert.deepEqual(readdirSync(dir).sort(), ["a-p1.error.log", "a-p1.log"]);
    const main = readFileSync(join(dir, "a-p1.log"), "utf8").trim().split("\n");
    const errors = readFileSync(join(dir, "a-p1.error.log"), "utf8").trim().split("\n");
    for (const line of main) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[[-0-9a-f]+\] \[[-0-9a-f]+\] \[p1\] \[[DIWEC]\] /);
    const callLine = main.find((l) => l.includes("rpc /ok ok"));
    assert.ok(callLine !== undefined);
    assert.match(callLine, /^\S+ \[[0-9a-f]{16}\] \[[0-9a-f]{16}\] \[p1\] \[I\] rpc \/ok ok/);
    assert.ok(errors.length >= 1 && errors.every((l) => l.includes("[E]")), errors.join("\n"));
    assert.ok(errors.some((l) => l.includes("an error line")));
    assert.ok(main.some((l) => l.includes("rpc /bad error: bad thing")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("logging: Log.contenttype application/json writes mqant's JSON fields", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-log-"));
  try {
    const m = testModule("m", (ctx) => ctx.server.registerGo("/ok", () => "ok"));
    const app = createApp({
      parseFlags: false,
      debug: false,
      logDir: dir,
      config: { ...configFor([m], { Log: true }), Log: { contenttype: "application/json", file: { prefix: "j" } } },
    });
    await app.start([m]);
    await app.call("m", "/ok", []);
    await app.stop();
    const records = readFileSync(join(dir, "jdevelopment.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const call = records.find((r) => r.message === "rpc /ok ok");
    assert.ok(call !== undefined);
    assert.equal(call.processid, "development");
    assert.equal(call.level, "informational");
    assert.match(String(call.trace_id), /^[0-9a-f]{16}$/);
    assert.match(String(call.trace_span), /^[0-9a-f]{16}$/);
    assert.equal(typeof call.timestamp, "number");
    assert.equal(typeof call.formattime, "string");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("serviceRegister pushes metadata changes to the registry at once", async () => {
  const registry = new MemoryRegistry();
  let push: (() => Promise<void>) | undefined;
  let metadata: Record<string, string> | undefined;
  const m = testModule("m", (ctx) => {
    metadata = ctx.metadata;
    push = () => ctx.serviceRegister();
  });
  const app = createApp({ parseFlags: false, debug: false, registry, config: configFor([m]), metadata: { zone: "z1" } });
  await app.start([m]);
  try {
    const watcher = registry.watch({ service: "m" });
    (metadata as Record<string, string>).state = "forbidden";
    await (push as () => Promise<void>)();
    const iterator = watcher[Symbol.asyncIterator]();
    const event = await iterator.next();
    watcher.stop();
    assert.equal(event.value?.action, "update");
    assert.equal(event.value?.service.nodes[0]?.metadata.state, "forbidden");
    assert.equal(event.value?.service.nodes[0]?.metadata.zone, "z1");
    const [node] = await app.getServersByType("m");
    assert.equal(node?.metadata.state, "forbidden");
    // Node id random 16 hex by default; metadata always carries hostname, pid and version.
    assert.match(node?.id ?? "", /^m@[0-9a-f]{16}$/);
    assert.equal(node?.metadata.hostname, hostname());
    assert.equal(node?.metadata.pid, String(process.pid));
    assert.equal(node?.metadata.version, "1.0.0");
    assert.equal(await app.call("m", "/nothing", [], { select: { metadata: { state: "alive" } } }).catch((e: Error) => e.message), "none available");
  } finally {
    await app.stop();
  }
});

test("registering a handler name twice fails start with a clear error and leaves nothing running", async () => {
  const registry = new MemoryRegistry();
  const m = testModule("dup", (ctx) => {
    ctx.server.registerGo("/x", () => 1);
    ctx.server.register("/x", () => 2);
  });
  const app = createApp({ parseFlags: false, debug: false, registry, config: configFor([m]) });
  await assert.rejects(app.start([m]), (err: unknown) => err instanceof Error && err.message === "dup rpc func(/x) already registered");
  assert.deepEqual(await registry.listServices(), []);
});

test("BI section: biReport writes raw lines to <biDir>/<prefix><pid><suffix> (mqant BiReport)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-bi-"));
  try {
    const app = createApp({ parseFlags: false, debug: false, workDir: dir, config: { BI: { file: { prefix: "bi-", suffix: ".txt" } } } });
    await app.start([]);
    app.biReport('{"event":"login","uid":"u1"}');
    app.biReport("second line\n");
    await app.stop();
    assert.equal(readFileSync(join(dir, "bin", "bi", "bi-development.txt"), "utf8"), '{"event":"login","uid":"u1"}\nsecond line\n');
    const quiet = createApp({ parseFlags: false, debug: false, workDir: dir, config: {} });
    await quiet.start([]);
    quiet.biReport("dropped");
    await quiet.stop();
    assert.deepEqual(readdirSync(join(dir, "bin", "bi")), ["bi-development.txt"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
