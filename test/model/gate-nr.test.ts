/**
 * Typed fire-and-forget on the generated gate client (`chat.sayNR(request)`): an MQTT publish without a
 * msgId through a real gate over TCP (MQTT.js); the handler runs (the room's other member receives the
 * typed push) and nothing is answered.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { MqttClient } from "mqtt";
import { GateClient } from "../../runtime/gate/client/index.js";
import { ChatGateClient, type ChatMessage } from "../../generated/chat.gate.js";
import { ChatModule } from "../../examples/web-chat/chat-module.js";
import { connectMqtt, startGateApp, type GateHarness } from "../gate/support.js";

let harness: GateHarness;
const connections: MqttClient[] = [];

async function chatClient(clientId: string): Promise<{ chat: ChatGateClient; mqtt: MqttClient }> {
  const mqtt = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId });
  connections.push(mqtt);
  return { chat: new ChatGateClient(new GateClient(mqtt, { timeoutMs: 5_000 })), mqtt };
}

before(async () => {
  harness = await startGateApp({ wsAddr: undefined }, { modules: [new ChatModule()] });
});

after(async () => {
  for (const mqtt of connections) await mqtt.endAsync();
  await harness?.stop();
});

test("sayNR: the handler runs (the room gets the typed push) and the sender gets no reply", async () => {
  const alice = await chatClient("alice-nr");
  const bob = await chatClient("bob-nr");
  await alice.chat.join({ room: "nr" });
  await bob.chat.join({ room: "nr" });
  const topicsSeenByAlice: string[] = [];
  alice.mqtt.on("message", (topic) => topicsSeenByAlice.push(topic));
  const line = new Promise<ChatMessage>((resolve) => bob.chat.onMessage(resolve));
  assert.equal(alice.chat.sayNR({ text: "fire and forget" }), undefined);
  const pushed = await line;
  assert.equal(pushed.text, "fire and forget");
  // A request with a reply after it: once its answer is in, any reply to the NR publish would be too.
  await alice.chat.say({ text: "with reply" });
  const replies = topicsSeenByAlice.filter((t) => t.startsWith("chat/HD_say"));
  assert.equal(replies.length, 1, `only the answered request got a reply: ${replies.join(", ")}`);
});
