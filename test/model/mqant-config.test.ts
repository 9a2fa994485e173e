/**
 * mqant's whole config: the seed's own server.conf sample (comments and all) loads as mqant loads it and
 * each key does what it says; the log file keys rotate and expire files as beego does (clock injected);
 * a module's own registration TTL and interval reach the registry.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BEEGO_ROTATION,
  ConfigError,
  MemoryRegistry,
  createApp,
  createLogger,
  loadConfigFile,
  type Module,
  type RotationPolicy,
} from "../../runtime/internal.js";

const SAMPLE = new URL("./fixtures/server.conf", import.meta.url).pathname;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "mqgen-mqant-config-"));
}

test("the seed's server.conf sample loads as written, comments and all", () => {
  const config = loadConfigFile(SAMPLE);
  assert.equal(config.rpc.maxCoroutine, 100);
  assert.equal(config.rpc.rpcExpired, 3);
  assert.equal(config.rpc.logSuccess, true);
  assert.equal(config.rpc.log, false);
  assert.deepEqual(config.mqtt, { wirteLoopChanNum: 10, readPackLoop: 1, readTimeout: 10, writeTimeout: 10 });
  assert.deepEqual(Object.keys(config.modules), ["greeter", "helloword", "client"]);
  assert.deepEqual(config.modules["greeter"], [{ id: "greeter", processId: "development", settings: { Port: 7370 } }]);
  assert.equal(config.log.json, true);
  // multifile wins over file (it is file plus the separate levels); 0 turns lines and size rotation off.
  assert.deepEqual(config.log.file, {
    prefix: "a",
    suffix: ".log",
    daily: true,
    maxLines: 0,
    maxSize: 0,
    maxDays: 7,
    rotate: true,
    perm: 0o600,
    separate: ["error"],
    level: undefined,
  });
});

test("an app started on the sample: LogSuccess writes a line per successful call, log files get mode 0600", async () => {
  const dir = tempDir();
  try {
    copyFileSync(SAMPLE, join(dir, "server.conf"));
    const greeter: Module = {
      type: "greeter",
      version: "1.0.0",
      onInit(ctx) {
        ctx.server.registerGo("/say/hi", (args) => `hi ${String(args[0])}`);
        ctx.server.registerGo("/fail", () => {
          throw new Error("no");
        });
      },
    };
    const app = createApp({ parseFlags: false, debug: false, workDir: dir, configPath: "server.conf", logDir: "logs", processId: "development" });
    await app.start([greeter]);
    assert.equal(await app.call("greeter", "/say/hi", ["mqant"]), "hi mqant");
    assert.equal(await app.call("greeter", "/say/hi", ["again"]), "hi again");
    await assert.rejects(app.call("greeter", "/fail", []));
    await app.stop();
    const log = join(dir, "logs", "adevelopment.log");
    const lines = readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { message: string; durationMs?: number });
    const successes = lines.filter((line) => line.message === "rpc /say/hi ok");
    assert.equal(successes.length, 2, "one line per successful call");
    assert.equal(typeof successes[0]!.durationMs, "number");
    assert.equal(lines.filter((line) => line.message.startsWith("rpc /fail")).length, 0, "LogSuccess alone does not log failures as calls");
    assert.equal(statSync(log).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, "logs", "adevelopment.error.log")).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function fileLogger(dir: string, policy: Partial<RotationPolicy>, clock: () => number) {
  return createLogger({
    debug: false,
    processId: "p",
    logDir: dir,
    clock,
    config: { json: false, console: false, file: { ...BEEGO_ROTATION, ...policy, prefix: "", suffix: ".log", separate: [], level: undefined } },
  });
}

test("maxLines and maxsize rotate the file to <name>.<day>.<nnn><suffix>", () => {
  const dir = tempDir();
  const now = new Date(2026, 5, 1, 12, 0, 0).getTime();
  try {
    const byLines = fileLogger(join(dir, "lines"), { maxLines: 3, maxSize: 0, daily: false }, () => now);
    for (let i = 1; i <= 7; i++) byLines.logger.info(`line ${i}`);
    byLines.close();
    assert.deepEqual(readdirSync(join(dir, "lines")).sort(), ["p.2026-06-01.001.log", "p.2026-06-01.002.log", "p.log"]);
    const count = (name: string) => readFileSync(join(dir, "lines", name), "utf8").trim().split("\n").length;
    assert.deepEqual([count("p.2026-06-01.001.log"), count("p.2026-06-01.002.log"), count("p.log")], [3, 3, 1]);
    assert.match(readFileSync(join(dir, "lines", "p.log"), "utf8"), /line 7\n$/);

    const bySize = fileLogger(join(dir, "size"), { maxLines: 0, maxSize: 200, daily: false }, () => now);
    for (let i = 0; i < 10; i++) bySize.logger.info("x".repeat(60));
    bySize.close();
    const files = readdirSync(join(dir, "size")).sort();
    assert.ok(files.length >= 3, files.join(", "));
    for (const name of files.filter((n) => n !== "p.log")) assert.ok(statSync(join(dir, "size", name)).size >= 200, name);

    // A restarted process carries on counting the lines already in the file.
    const again = fileLogger(join(dir, "lines"), { maxLines: 3, maxSize: 0, daily: false }, () => now);
    again.logger.info("line 8");
    again.logger.info("line 9");
    again.logger.info("line 10");
    again.close();
    assert.ok(readdirSync(join(dir, "lines")).includes("p.2026-06-01.003.log"));
    assert.equal(count("p.log"), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("maxdays deletes rotated files older than that at the next rotation; rotate false never rotates", () => {
  const dir = tempDir();
  let now = new Date(2026, 5, 10, 23, 59, 0).getTime();
  const day = 24 * 60 * 60 * 1000;
  try {
    const logs = join(dir, "days");
    const log = fileLogger(logs, { maxDays: 3 }, () => now);
    log.logger.info("the 10th");
    // Rotated files of earlier days, last written 2 and 5 days ago, and someone else's file of 9 days ago.
    for (const [name, age] of [["p.2026-06-08.001.log", 2], ["p.2026-06-05.001.log", 5], ["other.2026-06-01.001.log", 9]] as const) {
      writeFileSync(join(logs, name), "old\n");
      utimesSync(join(logs, name), (now - age * day) / 1000, (now - age * day) / 1000);
    }
    now += 2 * 60 * 1000;
    log.logger.info("the 11th");
    log.close();
    assert.deepEqual(readdirSync(logs).sort(), ["other.2026-06-01.001.log", "p.2026-06-08.001.log", "p.2026-06-10.001.log", "p.log"]);

    const never = fileLogger(join(dir, "never"), { rotate: false, maxLines: 1 }, () => now);
    never.logger.info("one");
    now += 3 * day;
    never.logger.info("two");
    never.close();
    assert.deepEqual(readdirSync(join(dir, "never")), ["p.log"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("log file keys with impossible values are ConfigErrors naming the key", () => {
  const dir = tempDir();
  try {
    const write = (log: unknown) => {
      const path = join(dir, `${Math.random()}.json`);
      writeFileSync(path, JSON.stringify({ Log: log }));
      return () => loadConfigFile(path);
    };
    assert.throws(write({ file: { perm: "rw" } }), (e: unknown) => e instanceof ConfigError && e.message === 'Log.file.perm: expected an octal file mode such as "0600", got "rw"');
    assert.throws(write({ file: { maxsize: -1 } }), (e: unknown) => e instanceof ConfigError && e.message === "Log.file.maxsize: must not be negative, got -1");
    assert.throws(write({ multifile: { maxdays: "7" } }), (e: unknown) => e instanceof ConfigError && e.message === 'Log.multifile.maxdays: expected a number, got "7"');
    assert.throws(
      () => loadConfigFile(writeMqtt(dir, { WirteLoopChanNum: 0 })),
      (e: unknown) => e instanceof ConfigError && e.message === "Mqtt.WirteLoopChanNum: must be at least 1, got 0",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function writeMqtt(dir: string, mqtt: unknown): string {
  const path = join(dir, "mqtt.json");
  writeFileSync(path, JSON.stringify({ Mqtt: mqtt }));
  return path;
}

test("a module's own registerTtlMs and registerIntervalMs are used for its registrations", async () => {
  const seen: { name: string; ttlMs: number; at: number }[] = [];
  const memory = new MemoryRegistry();
  const registry = Object.assign(Object.create(memory) as MemoryRegistry, {
    register: (service: Parameters<MemoryRegistry["register"]>[0], options: Parameters<MemoryRegistry["register"]>[1]) => {
      seen.push({ name: service.name, ttlMs: options.ttlMs, at: Date.now() });
      return memory.register(service, options);
    },
  });
  const quick: Module = { type: "quick", version: "1", registerTtlMs: 600, registerIntervalMs: 150, onInit: () => undefined };
  const plain: Module = { type: "plain", version: "1", onInit: () => undefined };
  const app = createApp({ parseFlags: false, debug: false, registry, registerTtlMs: 30_000, registerIntervalMs: 10_000 });
  try {
    await app.start([quick, plain]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const quickOnes = seen.filter((s) => s.name === "quick");
    assert.ok(quickOnes.length >= 3, `quick re-registered ${quickOnes.length} times in 700 ms`);
    assert.ok(quickOnes.every((s) => s.ttlMs === 600));
    assert.deepEqual(seen.filter((s) => s.name === "plain").map((s) => s.ttlMs), [30_000]);
  } finally {
    await app.stop();
  }
  const wrong: Module = { type: "wrong", version: "1", registerTtlMs: 1_000, onInit: () => undefined };
  const failing = createApp({ parseFlags: false, debug: false, registerIntervalMs: 5_000 });
  await assert.rejects(
    failing.start([wrong]),
    (e: unknown) => e instanceof ConfigError && e.message === "module wrong: registerIntervalMs (5000) must be shorter than registerTtlMs (1000), or the entry expires between renewals",
  );
  await failing.stop();
});
