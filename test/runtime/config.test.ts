import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, createApp, parseConfig, parseConfigText, loadConfigFile, parseFlags } from "../../runtime/internal.js";

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.code, "CONFIG");
    return err.message;
  }
  assert.fail("no error thrown");
}

test("whole-line // comments are dropped, keys match case-insensitively like Go", () => {
  const config = parseConfigText(`{
    // a comment line
    "settings": {"A": 1},
    "module": {"helloworld": [{"id": "hw", "processid": "development", "settings": {"Port": 1}}]},
      // indented comment
    "RPC": {"maxcoroutine": 7, "rpcexpired": 2, "log": true}
  }`);
  assert.deepEqual(config.settings, { A: 1 });
  assert.deepEqual(config.modules.helloworld, [{ id: "hw", processId: "development", settings: { Port: 1 } }]);
  assert.equal(config.rpc.maxCoroutine, 7);
  assert.equal(config.rpc.rpcExpired, 2);
  assert.equal(config.rpc.log, true);
  assert.equal(config.rpc.maxQueue, 70);
});

test("defaults: MaxCoroutine 100, RpcExpired 10 s, queue 10x the limit", () => {
  const config = parseConfig({});
  assert.equal(config.rpc.maxCoroutine, 100);
  assert.equal(config.rpc.rpcExpired, 10);
  assert.equal(config.rpc.maxQueue, 1000);
  assert.equal(config.log.file, undefined);
});

test("duplicate module ids name both entries", () => {
  const message = configError(() =>
    parseConfig({
      Module: {
        helloworld: [
          { Id: "hw1", ProcessID: "a" },
          { Id: "hw1", ProcessID: "b" },
        ],
      },
    }),
  );
  assert.equal(message, 'Module.helloworld[1].Id: duplicate id "hw1" (also Module.helloworld[0])');
});

test("ids are unique across module types too", () => {
  const message = configError(() =>
    parseConfig({ Module: { a: [{ Id: "x", ProcessID: "p" }], b: [{ Id: "x", ProcessID: "p" }] } }),
  );
  assert.equal(message, 'Module.b[0].Id: duplicate id "x" (also Module.a[0])');
});

test("wrong types name the key and the value", () => {
  assert.equal(configError(() => parseConfig({ Rpc: { MaxCoroutine: "x" } })), 'Rpc.MaxCoroutine: expected a number, got "x"');
  assert.equal(configError(() => parseConfig({ Rpc: { Log: 1 } })), "Rpc.Log: expected true or false, got 1");
  assert.equal(configError(() => parseConfig({ Rpc: { RpcExpired: 0 } })), "Rpc.RpcExpired: must be a positive number of seconds, got 0");
  assert.equal(configError(() => parseConfig({ Module: { hw: {} } })), "Module.hw: expected an array of module entries, got an object");
  assert.equal(configError(() => parseConfig({ Module: { hw: [{ Id: 3, ProcessID: "p" }] } })), "Module.hw[0].Id: expected a string, got 3");
  assert.equal(configError(() => parseConfig({ Settings: [] })), "Settings: expected an object, got an array");
  assert.equal(configError(() => parseConfig({ Module: { hw: [{ Id: "a" }] } })).startsWith("Module.hw[0].ProcessID: missing"), true);
});

test("unknown keys in known sections are errors", () => {
  assert.equal(
    configError(() => parseConfig({ Rpc: { LogSucces: true } })),
    "Rpc.LogSucces: unknown key (known: MaxCoroutine, RpcExpired, Log, LogSuccess, MaxQueue)",
  );
  assert.equal(
    configError(() => parseConfig({ Module: { hw: [{ Id: "a", ProcessID: "p", Port: 1 }] } })),
    "Module.hw[0].Port: unknown key (known: Id, Host, ProcessID, Settings)",
  );
  assert.equal(configError(() => parseConfig({ Nats: {} })), "Nats: unknown key (known: Settings, Module, Log, BI, OP, Rpc, Mqtt)");
  assert.match(configError(() => parseConfig({ Log: { dingtalk: {} } })), /^Log\.dingtalk: unknown key/);
});

test("two entries of one type in the same process group are refused", () => {
  assert.equal(
    configError(() => parseConfig({ Module: { hw: [{ Id: "a", ProcessID: "p" }, { Id: "b", ProcessID: "p" }] } })),
    'Module.hw[1].ProcessID: "p" already runs Module.hw[0] (one instance of a module type per process)',
  );
});

test("invalid JSON and missing files are ConfigErrors", () => {
  assert.match(configError(() => parseConfigText("{ nope", "x.json")), /^x\.json: not valid JSON/);
  assert.equal(configError(() => loadConfigFile("/nonexistent/server.json")), "config path error: /nonexistent/server.json does not exist");
});

test("Log section: multifile separate levels and JSON content type", () => {
  const config = parseConfig({
    Log: { contenttype: "application/json", multifile: { prefix: "a", suffix: ".txt", daily: true, separate: ["error"] } },
  });
  assert.equal(config.log.json, true);
  // beego's defaults for the rotation keys left out.
  assert.deepEqual(config.log.file, {
    prefix: "a",
    suffix: ".txt",
    daily: true,
    maxLines: 10_000_000,
    maxSize: 1 << 28,
    maxDays: 7,
    rotate: true,
    perm: 0o660,
    separate: ["error"],
    level: undefined,
  });
  assert.equal(configError(() => parseConfig({ Log: { multifile: { separate: ["bad"] } } })).startsWith('Log.multifile.separate[0]: unknown level "bad"'), true);
});

test("mqant flags: -wd -conf -pid -log in Go's forms, and mqgen's -nats -registry", () => {
  assert.deepEqual(parseFlags(["-pid", "gate", "--conf=x.json", "-log", "/tmp/l", "-wd=/w", "--nats", "u", "--other", "-registry=etcd"]), {
    processId: "gate",
    configPath: "x.json",
    logDir: "/tmp/l",
    workDir: "/w",
    natsUrl: "u",
    registry: "etcd",
  });
  assert.equal(configError(() => parseFlags(["-pid"])), "flag -pid: missing value");
});

test("an explicit config path that does not exist fails start with ConfigError", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-conf-"));
  try {
    const app = createApp({ parseFlags: false, debug: false, workDir: dir, configPath: "missing.json" });
    await assert.rejects(app.start([]), (err: unknown) => err instanceof ConfigError && /config path error: .*missing\.json does not exist/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("-conf from argv is read relative to -wd; Rpc.RpcExpired becomes the default call timeout", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-conf-"));
  try {
    writeFileSync(join(dir, "s.json"), '{\n// comment\n"Rpc": {"RpcExpired": 3}\n}');
    const app = createApp({ debug: false, argv: ["-wd", dir, "-conf", "s.json", "-pid", "p1"] });
    await app.start([]);
    assert.equal(app.processId, "p1");
    assert.equal(app.rpcTimeoutMs, 3000);
    await app.stop();
    const override = createApp({ debug: false, argv: ["-wd", dir, "-conf", "s.json"], rpcTimeoutMs: 1234 });
    await override.start([]);
    assert.equal(override.rpcTimeoutMs, 1234);
    await override.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the conventional <wd>/bin/conf/server.json is used when present", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-conf-"));
  try {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(dir, "bin", "conf"), { recursive: true });
    writeFileSync(join(dir, "bin", "conf", "server.json"), '{"Settings": {"from": "file"}}');
    const app = createApp({ parseFlags: false, debug: false, workDir: dir });
    await app.start([]);
    assert.deepEqual(app.settings, { from: "file" });
    await app.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
