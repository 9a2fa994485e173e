/**
 * The generated ChatGateClient from Node over TCP (MQTT.js `mqtt://`), the other transport the typed gate
 * client is made for besides the browser's WebSocket: typed requests, typed pushes, typed errors.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { MqttClient } from "mqtt";
import { GateClient, GateCallError } from "../../runtime/gate/client/index.js";
import { ChatGateClient, type ChatMessage } from "../../generated/chat.gate.js";
import { ChatModule } from "../../examples/web-chat/chat-module.js";
import { connectMqtt, startGateApp, type GateHarness } from "../gate/support.js";

let harness: GateHarness;
const connections: MqttClient[] = [];

async function chatClient(clientId: string): Promise<ChatGateClient> {
  const mqtt = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId });
  connections.push(mqtt);
  return new ChatGateClient(new GateClient(mqtt, { timeoutMs: 5_000 }));
}

before(async () => {
  harness = await startGateApp({ wsAddr: undefined }, { modules: [new ChatModule()] });
});

after(async () => {
  for (const mqtt of connections) await mqtt.endAsync();
  await harness?.stop();
});

test("two Node clients over TCP: join, say → typed SayReply, the room's lines arrive as typed ChatMessage pushes", async () => {
  const alice = await chatClient("alice");
  const bob = await chatClient("bob");
  const seenByBob: ChatMessage[] = [];
  const stop = bob.onMessage((line) => seenByBob.push(line));
  await alice.join({ room: "node" });
  await bob.join({ room: "node" });
  const sentAfter = BigInt(Date.now());
  const reply = await alice.say({ text: "  hello from node  " });
  assert.equal(reply.text, "hello from node");
  assert.equal(reply.delivered, 2, "both members' gates took the line");
  assert.equal(typeof reply.at, "bigint", "int64 arrives as bigint through the typed client");
  assert.ok(reply.at >= sentAfter);
  const deadline = Date.now() + 3_000;
  while (seenByBob.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(seenByBob.length, 1);
  assert.equal(seenByBob[0].text, "hello from node");
  assert.equal(seenByBob[0].at, reply.at);
  assert.match(seenByBob[0].from, /^guest-/);
  stop();
  // A second listener on the same connection shows the next line did reach bob; the stopped one must miss it.
  const next = new Promise<ChatMessage>((resolve) => bob.onMessage(resolve));
  await alice.say({ text: "after stop" });
  assert.equal((await next).text, "after stop");
  assert.equal(seenByBob.length, 1, "a stopped listener gets no more pushes");
});

test("a handler's error reaches the typed call as GateCallError with the backend's text", async () => {
  const carol = await chatClient("carol");
  await assert.rejects(carol.say({ text: "before joining" }), (error: unknown) => {
    assert.ok(error instanceof GateCallError);
    assert.match(error.message, /join a room first/);
    assert.equal(error.topic.startsWith("chat/HD_say/"), true);
    return true;
  });
  await carol.join({ room: "errors" });
  await assert.rejects(carol.say({ text: "   " }), /text is empty/);
});
