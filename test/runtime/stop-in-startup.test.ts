/**
 * run()'s ending: an app stopped from its own onStartup hook (a one-shot tool) ends run() and stays
 * stopped; an app holding no socket still runs until a signal.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { ClosedError, createApp, type Module } from "../../runtime/index.js";

const echo: Module = {
  type: "echo",
  version: "1.0.0",
  onInit(ctx) {
    ctx.server.register("/echo", (args) => args[0]);
  },
};

test("stop() awaited inside onStartup: run() returns and the app refuses further calls", async () => {
  const app = createApp({ argv: [], env: {}, debug: false });
  let answer: unknown;
  app.onStartup(async (started) => {
    answer = await started.call("echo", "/echo", ["once"]);
    await started.stop("done");
  });
  await app.run([echo]);
  assert.equal(answer, "once");
  await assert.rejects(app.call("echo", "/echo", ["again"]), ClosedError);
});

test("stop() not awaited inside onStartup: run() still returns once the stop finished", async () => {
  const app = createApp({ argv: [], env: {}, debug: false });
  app.onStartup(() => {
    void app.stop("done");
  });
  await app.run([echo]);
  await assert.rejects(app.start([echo]), /app already stopped/);
});

function appScript(dir: string, onStartup: string): string {
  const script = join(dir, "app.mts");
  const runtime = pathToFileURL(resolve(import.meta.dirname, "..", "..", "runtime", "index.ts")).href;
  writeFileSync(
    script,
    `import { createApp } from ${JSON.stringify(runtime)};
const app = createApp({ argv: [], env: {}, debug: false });
app.onStartup(() => {
  ${onStartup}
});
await app.run([{ type: "echo", version: "1.0.0", onInit(ctx) { ctx.server.register("/echo", (args) => args[0]); } }]);
process.stdout.write("run returned\\n");
`,
  );
  return script;
}

test("a SIGTERM that arrives while the app is still starting stops it gracefully once it is up", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-run-"));
  try {
    const script = appScript(dir, 'process.kill(process.pid, "SIGTERM");');
    const result = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.signal, null);
    assert.equal(result.stdout, "run returned\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("run() of an app holding no socket keeps the process alive until SIGTERM, then exits 0", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-run-"));
  // Unref'd: it prints only if something else keeps the process alive.
  const script = appScript(dir, 'setTimeout(() => process.stdout.write("still running\\n"), 200).unref();');
  const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  const alive = new Promise<void>((resolveAlive, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("still running")) resolveAlive();
    });
    void exited.then((code) => reject(new Error(`exited with ${String(code)} before SIGTERM; output: ${output}`)));
  });
  try {
    await alive;
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.match(output, /run returned\n$/);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
