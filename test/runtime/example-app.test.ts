/**
 * The example app as users run it: one process without NATS, and split over NATS by -pid (backend and gate
 * processes finding each other through the NATS KV registry), answering `GET /say?name=mqant` through the
 * typed stub, and stopping cleanly on SIGINT.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { NatsServer, freePort } from "../support/nats-server.js";

const main = new URL("../../examples/main.ts", import.meta.url).pathname;
let dir: string;
const children: ChildProcess[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "mqgen-example-"));
});
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function config(port: number): string {
  const path = join(dir, `server-${port}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      Module: {
        helloworld: [
          { Id: "hw", ProcessID: "development" },
          { Id: "hw-b", ProcessID: "backend" },
        ],
        rpctest: [
          { Id: "rt", ProcessID: "development" },
          { Id: "rt-b", ProcessID: "backend" },
        ],
        web: [
          { Id: "web", ProcessID: "development", Settings: { Port: port } },
          { Id: "web-g", ProcessID: "gate", Settings: { Port: port } },
        ],
      },
    }),
  );
  return path;
}

/** Starts the example and resolves with its banner once it printed "Ctrl-C". */
async function startExample(args: string[]): Promise<{ child: ChildProcess; banner: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
    env: { ...process.env, MQGEN_DEBUG: "0", NATS_URL: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start: ${lines.join("\n")}`)), 20_000);
    reader.on("line", (line) => {
      lines.push(line);
      if (line.includes("Ctrl-C")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { child, banner: lines.join("\n"), exited };
}

async function get(port: number, path: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return await response.text();
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test("npm start's app in one process: the web module calls helloworld and rpctest through typed stubs", async () => {
  const port = await freePort();
  const { child, banner, exited } = await startExample(["-conf", config(port)]);
  assert.match(banner, /process group "development", in process \(no NATS\)/);
  assert.match(banner, new RegExp(`curl 'http://127\\.0\\.0\\.1:${port}/say\\?name=mqant'`));
  assert.equal(await get(port, "/say?name=mqant"), "hi mqant");
  assert.equal(await get(port, "/test/proto?message=hello"), "你说: hello");
  assert.equal(await get(port, "/test/marshal?mid=42"), "收到: 42");
  child.kill("SIGINT");
  assert.equal(await exited, 0);
});

test("split over NATS with -pid: the gate process serves HTTP, the backend process answers", async () => {
  const nats = await NatsServer.start({ jetstream: true });
  try {
    const port = await freePort();
    const conf = config(port);
    const backend = await startExample(["--nats", nats.url, "-pid", "backend", "-conf", conf]);
    assert.match(backend.banner, /running helloworld as helloworld@[0-9a-f]{16}/);
    assert.doesNotMatch(backend.banner, /running web/);
    const gate = await startExample(["--nats", nats.url, "-pid", "gate", "-conf", conf]);
    assert.match(gate.banner, /running web as web@/);
    assert.doesNotMatch(gate.banner, /running helloworld/);
    assert.equal(await get(port, "/say?name=mqant"), "hi mqant");
    assert.equal(await get(port, "/test/proto?message=split"), "你说: split");
    gate.child.kill("SIGINT");
    backend.child.kill("SIGTERM");
    assert.equal(await gate.exited, 0);
    assert.equal(await backend.exited, 0);
  } finally {
    await nats.dispose();
  }
});
