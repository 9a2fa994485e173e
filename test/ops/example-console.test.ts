/**
 * The example app (`npm start`) runs the ops console and prints its URL; without NATS the console samples
 * this process's own modules, and /metrics, /healthz and /readyz answer on the same port.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { freePort } from "../support/nats-server.js";
import type { ConsoleState } from "../../runtime/internal.js";

const main = new URL("../../examples/main.ts", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "mqgen-ops-example-"));
let child: ChildProcess | undefined;

after(() => {
  if (child !== undefined && child.exitCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

test("npm start's app prints the console URL; the console shows its modules and their calls", async () => {
  const [webPort, opsPort] = [await freePort(), await freePort()];
  const conf = join(dir, "server.json");
  writeFileSync(
    conf,
    JSON.stringify({
      Module: {
        helloworld: [{ Id: "hw", ProcessID: "development" }],
        rpctest: [{ Id: "rt", ProcessID: "development" }],
        web: [{ Id: "web", ProcessID: "development", Settings: { Port: webPort } }],
        OpsConsole: [{ Id: "ops", ProcessID: "development", Settings: { Addr: `127.0.0.1:${opsPort}` } }],
      },
    }),
  );
  child = spawn(process.execPath, ["--import", "tsx", main, "-conf", conf], { env: { ...process.env, MQGEN_DEBUG: "0", NATS_URL: "" }, stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start: ${lines.join("\n")}`)), 30_000);
    reader.on("line", (line) => {
      lines.push(line);
      if (line.includes("Ctrl-C")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.ok(lines.some((l) => l.includes(`ops:   open http://127.0.0.1:${opsPort}`)), lines.join("\n"));
  for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`http://127.0.0.1:${webPort}/say?name=n${i}`)).text(), `hi n${i}`);

  const deadline = Date.now() + 15_000;
  let state: ConsoleState | undefined;
  for (;;) {
    state = (await (await fetch(`http://127.0.0.1:${opsPort}/api/state`)).json()) as ConsoleState;
    if (state.handlers.some((h) => h.module === "helloworld" && h.calls >= 5) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(state.source, "local");
  assert.deepEqual(state.nodes.map((n) => n.module).sort(), ["OpsConsole", "helloworld", "rpctest", "web"]);
  assert.ok(state.nodes.every((n) => n.live));
  assert.equal(state.handlers.find((h) => h.module === "helloworld")?.calls, 5);
  assert.match(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text(), /mqgen_rpc_server_calls_total\{module="helloworld",handler="\/say\/hi",outcome="ok"\} 5/);
  assert.equal((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status, 200);
  const page = await (await fetch(`http://127.0.0.1:${opsPort}/`)).text();
  assert.match(page, /<title>example app · mqgen ops<\/title>/);
  assert.match(await (await fetch(`http://127.0.0.1:${opsPort}/uplot.js`)).text(), /uPlot/);
  child.kill("SIGINT");
});
