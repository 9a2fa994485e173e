/**
 * The ops console in headless Chromium: two apps over a real nats-server (a backend with helloworld and
 * a failing handler, a gate process running the gate and the console). The page lists the running nodes
 * from the registry and `$SRV`, and while a bounded load runs, the per-handler numbers and chart move.
 * With MQGEN_UPDATE_SCREENSHOT=1 it writes docs/ops-console.png.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { Gate, MemoryRegistry, OpsConsole, createApp, type App } from "../../runtime/internal.js";
import { HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import { NatsServer } from "../support/nats-server.js";
import { testModule } from "../support/apps.js";
import { connectMqtt } from "../gate/support.js";
import type { MqttClient } from "mqtt";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = fileURLToPath(new URL("../../docs/ops-console.png", import.meta.url));

let nats: NatsServer;
let backend: App;
let front: App;
let browser: Browser;
let page: Page;
let consoleModule: OpsConsole;
let gate: Gate;
const mqttClients: MqttClient[] = [];

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium`);
  nats = await NatsServer.start();
  const registry = new MemoryRegistry();
  const modules = [
    testModule("helloworld", (ctx) =>
      registerHelloworld(ctx.server, {
        // A little work, with a spread, so the latency chart has something to show.
        sayHi: async (name) => {
          await new Promise((r) => setTimeout(r, Math.random() < 0.1 ? 12 : 2));
          return `hi ${name}`;
        },
      }),
    ),
    testModule("orders", (ctx) => {
      ctx.server.registerGo("/orders/place", async (args) => {
        await new Promise((r) => setTimeout(r, 4));
        if (Number(args[0]) % 10 === 0) throw new Error("out of stock");
        return "placed";
      });
      ctx.server.registerGo("/orders/status", () => "shipped");
    }),
  ];
  const config = {
    Module: {
      helloworld: [{ Id: "hw", ProcessID: "backend" }],
      orders: [{ Id: "orders", ProcessID: "backend" }],
      Gate: [{ Id: "Gate", ProcessID: "front", Settings: { TCPAddr: "127.0.0.1:0" } }],
      OpsConsole: [{ Id: "OpsConsole", ProcessID: "front", Settings: { Addr: "127.0.0.1:0" } }],
    },
  };
  backend = createApp({ parseFlags: false, debug: false, registry, processId: "backend", nats: { servers: nats.url }, config });
  await backend.start(modules);
  gate = new Gate();
  consoleModule = new OpsConsole({ title: "console test", intervalMs: 500 });
  front = createApp({ parseFlags: false, debug: false, registry, processId: "front", nats: { servers: nats.url }, config });
  await front.start([...modules, gate, consoleModule]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
});

after(async () => {
  for (const c of mqttClients) await c.endAsync().catch(() => undefined);
  await browser?.close();
  await front?.stop();
  await backend?.stop();
  await nats?.dispose();
});

/** Bounded load: `count` calls at most, 16 in flight, for at most `ms`. */
async function load(count: number, ms: number): Promise<number> {
  const hello = new HelloworldClient(front);
  const until = Date.now() + ms;
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < count && Date.now() < until) {
      const i = sent++;
      await hello.sayHi(`n${i}`);
      await front.call("orders", "/orders/place", [i]).catch(() => undefined);
      if (i % 3 === 0) await front.call("orders", "/orders/status", []);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return sent;
}

async function cardText(key: string): Promise<string> {
  return page.locator(`.card[data-key="${key}"]`).innerText();
}

test("the page lists the running nodes and its charts move while a load runs", async () => {
  for (let i = 0; i < 3; i++) mqttClients.push(await connectMqtt(`mqtt://127.0.0.1:${gate.server.tcpPort ?? 0}`));
  await page.goto(consoleModule.url ?? "");
  // Every node of both processes is listed, as live ($SRV answers).
  for (const id of [...Object.values(backend.nodeIds), ...Object.values(front.nodeIds)]) {
    await page.locator(`#nodes tr[data-node="${id}"] .dot:not(.stale)`).waitFor({ timeout: 15_000 });
  }
  const rows = await page.locator("#nodes tbody tr").count();
  assert.equal(rows, Object.keys(backend.nodeIds).length + Object.keys(front.nodeIds).length);

  const running = load(20_000, 8_000);
  const key = "helloworld /say/hi";
  const chart = page.locator(`.card[data-key="${key}"] .chart canvas`).first();
  await chart.waitFor({ timeout: 15_000 });
  // Calls/s shows a positive rate while the load runs, and the chart's pixels change between samples.
  await page.waitForFunction((k) => {
    const v = document.querySelector(`.card[data-key="${k}"] .stat .v`);
    return v !== null && Number.parseFloat(v.textContent ?? "0") > 0;
  }, key, { timeout: 15_000 });
  const before = await chart.screenshot();
  await page.waitForTimeout(1_500);
  const afterShot = await chart.screenshot();
  assert.notDeepEqual(before, afterShot, "the calls/s chart changed under load");
  const text = await cardText(key);
  assert.match(text, /calls\/s/);
  assert.match(await cardText("orders /orders/place"), /last error: out of stock/);
  assert.equal((await page.locator("#k-gate").innerText()).trim(), "3");
  if (process.env.MQGEN_UPDATE_SCREENSHOT === "1") {
    await page.waitForTimeout(2_500);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }
  const sent = await running;
  assert.ok(sent > 0);
  const state = consoleModule.snapshot;
  const series = state.handlers.find((h) => h.key === key);
  assert.ok(series !== undefined && series.rps.some((v) => v > 0), "the sampled series has a positive calls/s");
  assert.ok(series.p99.some((v) => v !== null && v > 0), "p99 was sampled");
});
