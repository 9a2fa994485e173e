/**
 * End to end in a real browser: Debian's headless Chromium loads the chat page from the web module, the
 * page talks to the gate over WebSocket through the generated ChatGateClient, and two pages see each
 * other's lines. A missing Chromium fails the test (it must not pass by skipping).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { createApp, type App } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";
import { ChatModule } from "../../examples/web-chat/chat-module.js";
import { WebChatModule } from "../../examples/web-chat/web-chat-module.js";

const CHROMIUM = "/usr/bin/chromium";

let app: App;
let browser: Browser;
let pageUrl: string;
const consoleErrors: string[] = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it)`);
  }
  const gate = new Gate({ tcpAddr: "127.0.0.1:0", wsAddr: "127.0.0.1:0" });
  const web = new WebChatModule({ gateWs: () => gate.server.wsPort ?? 0 });
  app = createApp({
    parseFlags: false,
    debug: false,
    config: {
      Module: {
        Gate: [{ Id: "Gate001", ProcessID: "development", Settings: {} }],
        chat: [{ Id: "chat001", ProcessID: "development", Settings: {} }],
        WebChat: [{ Id: "WebChat001", ProcessID: "development", Settings: { Addr: "127.0.0.1:0" } }],
      },
    },
  });
  await app.start([gate, new ChatModule(), web]);
  pageUrl = `http://127.0.0.1:${web.address()?.port}/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function openChat(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (err) => consoleErrors.push(err.message));
  await page.goto(pageUrl);
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 30_000 });
  assert.equal(await page.getAttribute("#status", "data-state"), "ready", `page did not connect: ${await page.textContent("#status")}; console: ${consoleErrors.join(" | ")}`);
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.click('#say button[type="submit"]');
}

async function linesOf(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (expected) => Array.from(document.querySelectorAll("#messages .message .text")).some((node) => node.textContent === expected),
    text,
    { timeout: 20_000 },
  );
}

test("two Chromium pages chat through the gate over WebSocket", { timeout: 120_000 }, async () => {
  const alice = await openChat();
  const bob = await openChat();

  await say(alice, "hello from alice");
  await linesOf(alice, "hello from alice");
  await linesOf(bob, "hello from alice");

  await say(bob, "hi alice, bob here");
  await linesOf(bob, "hi alice, bob here");
  await linesOf(alice, "hi alice, bob here");

  const aliceLines = await alice.$$eval("#messages .message .text", (nodes) => nodes.map((node) => node.textContent));
  const bobLines = await bob.$$eval("#messages .message .text", (nodes) => nodes.map((node) => node.textContent));
  assert.deepEqual(aliceLines, ["hello from alice", "hi alice, bob here"]);
  assert.deepEqual(bobLines, aliceLines);
  // Each line names its sender, and the two senders differ.
  const senders = await alice.$$eval("#messages .message .from", (nodes) => nodes.map((node) => node.textContent));
  assert.equal(senders.length, 2);
  assert.notEqual(senders[0], senders[1]);
  assert.deepEqual(consoleErrors, []);
});

test("the web module serves only the page, its config, vendored builds and whitelisted modules", async () => {
  const config = (await (await fetch(`${pageUrl}config.json`)).json()) as { gateUrl: string };
  assert.match(config.gateUrl, /^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
  const client = await fetch(`${pageUrl}modules/generated/chat.gate.js`);
  assert.equal(client.status, 200);
  assert.equal(client.headers.get("content-type"), "text/javascript; charset=utf-8");
  const source = await client.text();
  assert.match(source, /class ChatGateClient/);
  assert.doesNotMatch(source, /import type/, "type-only imports must be erased for the browser");
  for (const path of ["modules/package.js", "modules/runtime/../package.js", "modules/test/e2e/chat.test.js", "modules/runtime/%2e%2e/package.js", "nothing"]) {
    const response = await fetch(`${pageUrl}${path}`);
    assert.equal(response.status, 404, path);
    await response.body?.cancel();
  }
  const post = await fetch(pageUrl, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});
