/**
 * mqgen/gate-client against a real gate over WebSocket (MQTT.js), and its browser-safety: nothing it
 * imports, transitively, may pull in node: modules, NATS or an MQTT library.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import type { MqttClient } from "mqtt";
import { AbortedError, ClosedError, DeadlineExceededError } from "../../runtime/internal.js";
import { GateClient, topicMatches } from "../../runtime/gate/client/index.js";
import { connectMqtt, startGateApp, type GateHarness } from "./support.js";

let harness: GateHarness;
let mqtt: MqttClient;
let client: GateClient;

before(async () => {
  harness = await startGateApp();
  mqtt = await connectMqtt(`ws://127.0.0.1:${harness.wsPort}/any/path`, { clientId: "gate-client-test" });
  client = new GateClient(mqtt, { timeoutMs: 3_000 });
});

after(async () => {
  client.close();
  await mqtt.endAsync();
  await harness.stop();
});

test("request resolves with the envelope's Result; pushes reach onPush listeners", async () => {
  const pushes: string[] = [];
  const stop = client.onPush("/push/+", (payload, topic) => pushes.push(`${topic}:${new TextDecoder().decode(payload)}`));
  assert.equal(await client.request("helloworld", "HD_say", { name: "ts" }), "hi ts, you are u1 via websocket");
  assert.deepEqual(pushes, ["/push/x:pushed"]);
  stop();
  await client.request("helloworld", "HD_say", { name: "again" });
  assert.equal(pushes.length, 1, "a removed listener gets nothing");
});

test("bytes results arrive base64-encoded, as Go's JSON writes []byte", async () => {
  assert.equal(await client.request("helloworld", "HD_raw", "abc"), Buffer.from("raw:abc").toString("base64"));
});

test("nodeId routes to one node", async () => {
  const nodeId = harness.app.nodeIds["helloworld"].split("@")[1];
  assert.equal(await client.request("helloworld", "HD_say", { name: "n" }, { nodeId }), "hi n, you are u1 via websocket");
});

test("timeout rejects with DeadlineExceededError, abort with AbortedError", async () => {
  await assert.rejects(client.request("helloworld", "HD_park", {}, { timeoutMs: 100 }), DeadlineExceededError);
  const controller = new AbortController();
  const pending = client.request("helloworld", "HD_park", {}, { signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, AbortedError);
  harness.releaseParked();
});

test("notify is fire-and-forget: the handler runs, nothing is answered", async () => {
  const pushed = new Promise<string>((resolve) => {
    const stop = client.onPush("/push/x", (payload) => {
      stop();
      resolve(new TextDecoder().decode(payload));
    });
  });
  client.notify("helloworld", "HD_say", { name: "nr" });
  assert.equal(await pushed, "pushed");
});

test("close rejects calls still waiting with ClosedError", async () => {
  const other = new GateClient(mqtt);
  const pending = other.request("helloworld", "HD_park", {});
  other.close();
  await assert.rejects(pending, ClosedError);
  await assert.rejects(other.request("helloworld", "HD_say", {}), ClosedError);
  harness.releaseParked();
});

test("topic filters", () => {
  assert.equal(topicMatches("a/+/c", "a/b/c"), true);
  assert.equal(topicMatches("a/#", "a/b/c"), true);
  assert.equal(topicMatches("a/+", "a/b/c"), false);
  assert.equal(topicMatches("/push/x", "/push/x"), true);
  assert.equal(topicMatches("/push/x", "/push/y"), false);
});

test("browser-safe: no node:, nats or mqtt import anywhere under the gate-client entry point", () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../runtime/gate/client/index.ts");
  const seen = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
      const specifier = match[1];
      assert.ok(!specifier.startsWith("node:"), `${file} imports ${specifier}`);
      assert.ok(!/^(nats|mqtt|mqtt-packet|ws)(\/|$)/.test(specifier), `${file} imports ${specifier}`);
      if (specifier.startsWith(".")) pending.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
    }
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert.doesNotMatch(code, /\bBuffer\.(from|alloc|allocUnsafe|concat|isBuffer|byteLength)\b/, `${file} uses Buffer`);
  }
  assert.ok(seen.size >= 3, "followed the relative imports");
});
