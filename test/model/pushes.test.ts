/**
 * Typed push senders (generated `ChatPushes`) to one session, a list of them, and everyone, through a real
 * gate over TCP; MQTT.js clients with the generated gate client receive typed ChatMessage pushes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { MqttClient } from "mqtt";
import { GateClient } from "../../runtime/gate/client/index.js";
import type { Module, Session } from "../../runtime/index.js";
import { ChatGateClient, type ChatMessage } from "../../generated/chat.gate.js";
import { ChatPushes, registerChat } from "../../generated/chat.js";
import { connectMqtt, startGateApp, type GateHarness } from "../gate/support.js";

let harness: GateHarness;
const connections: MqttClient[] = [];
/** Sessions by the room each client joined (the room name is the client's own name here). */
const sessions = new Map<string, Session>();

const chatBackend: Module = {
  type: "chat",
  version: "1.0.0",
  onInit(ctx) {
    registerChat(ctx.server, {
      join: (session, request) => {
        sessions.set(request.room, session);
      },
      say: () => ({ text: "", at: 0n, delivered: 0 }),
    });
  },
};

async function client(name: string): Promise<{ chat: ChatGateClient; lines: ChatMessage[]; next(): Promise<ChatMessage> }> {
  const mqtt = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId: name });
  connections.push(mqtt);
  const chat = new ChatGateClient(new GateClient(mqtt, { timeoutMs: 5_000 }));
  const lines: ChatMessage[] = [];
  let waiting: ((line: ChatMessage) => void)[] = [];
  chat.onMessage((line) => {
    lines.push(line);
    const waiters = waiting;
    waiting = [];
    for (const w of waiters) w(line);
  });
  await chat.join({ room: name });
  return { chat, lines, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

before(async () => {
  harness = await startGateApp({ wsAddr: undefined }, { modules: [chatBackend] });
});

after(async () => {
  for (const mqtt of connections) await mqtt.endAsync();
  await harness?.stop();
});

test("pushes to one session, to a list, and to everyone arrive as typed messages", async () => {
  const alice = await client("alice");
  const bob = await client("bob");
  const carol = await client("carol");
  const pushes = new ChatPushes(harness.app);
  const line = (text: string): ChatMessage => ({ from: "server", text, at: 42n });

  const toAlice = alice.next();
  assert.equal(await pushes.message(sessions.get("alice")!, line("just you")), 1);
  assert.deepEqual(await toAlice, line("just you"));

  const toTwo = Promise.all([bob.next(), carol.next()]);
  assert.equal(await pushes.message([sessions.get("bob")!, sessions.get("carol")!], line("you two")), 2);
  assert.deepEqual(await toTwo, [line("you two"), line("you two")]);

  const toAll = Promise.all([alice.next(), bob.next(), carol.next()]);
  assert.equal(await pushes.message({ everyone: true }, line("everyone")), 3);
  assert.deepEqual(await toAll, [line("everyone"), line("everyone"), line("everyone")]);

  assert.deepEqual(alice.lines.map((l) => l.text), ["just you", "everyone"]);
  assert.deepEqual(bob.lines.map((l) => l.text), ["you two", "everyone"]);
  assert.equal(typeof alice.lines[0]!.at, "bigint", "int64 arrives typed");
});

test("in process too: a push to a user id reaches the sessions bound to it, and a user bound nowhere gets none", async () => {
  const dave = await client("dave");
  const pushes = new ChatPushes(harness.app);
  await sessions.get("dave")!.bind("user-dave");
  const arrival = dave.next();
  assert.equal(await pushes.message({ userId: "user-dave" }, { from: "server", text: "by user", at: 1n }), 1);
  assert.equal((await arrival).text, "by user");
  assert.equal(await pushes.message({ userId: ["nobody", "also-nobody"] }, { from: "server", text: "lost", at: 1n }), 0);
  await assert.rejects(pushes.message({ userId: "a,b" }, { from: "", text: "", at: 0n }), /a user id must be a non-empty string without commas/);
});
