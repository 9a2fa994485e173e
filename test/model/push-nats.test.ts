/**
 * Typed push senders over NATS: the chat backend runs in its own OS process, two gates run as two apps on
 * their own NATS connections, and MQTT.js clients with the generated gate client receive the typed
 * ChatMessage pushes the backend sends to one session, a list spanning both gates, a user id bound on both
 * gates, several user ids, and everyone.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, test } from "node:test";
import type { MqttClient } from "mqtt";
import { GateClient } from "../../runtime/gate/client/index.js";
import { createApp, Gate, NatsKvRegistry, type App } from "../../runtime/internal.js";
import { connectNats, type NatsConnection } from "../../runtime/index.js";
import { ChatGateClient, type ChatMessage } from "../../generated/chat.gate.js";
import { NatsServer } from "../support/nats-server.js";
import { connectMqtt } from "../gate/support.js";

const BUCKET = "push-nats-test";
let nats: NatsServer;
let backend: ChildProcess;
let backendExited: Promise<unknown>;
const gates: { app: App; gate: Gate; registryConnection: NatsConnection }[] = [];
const connections: MqttClient[] = [];

interface Receiver {
  readonly lines: ChatMessage[];
  next(): Promise<ChatMessage>;
}

async function startGate(name: string): Promise<void> {
  const registryConnection = await connectNats({ servers: nats.url });
  const gate = new Gate({ tcpAddr: "127.0.0.1:0" });
  const app = createApp({
    parseFlags: false,
    debug: false,
    processId: name,
    nats: { servers: nats.url },
    registry: new NatsKvRegistry({ connection: registryConnection, bucket: BUCKET }),
    config: { Module: { Gate: [{ Id: name, ProcessID: name }] } },
  });
  await app.start([gate]);
  gates.push({ app, gate, registryConnection });
}

async function client(gateIndex: number, clientId: string, room: string): Promise<Receiver> {
  const mqtt = await connectMqtt(`mqtt://127.0.0.1:${gates[gateIndex]!.gate.server.tcpPort}`, { clientId });
  connections.push(mqtt);
  const chat = new ChatGateClient(new GateClient(mqtt, { timeoutMs: 10_000 }));
  const lines: ChatMessage[] = [];
  let waiting: ((line: ChatMessage) => void)[] = [];
  chat.onMessage((line) => {
    lines.push(line);
    for (const wake of waiting.splice(0)) wake(line);
  });
  await chat.join({ room });
  waiting = [];
  return { lines, next: () => new Promise((resolve) => waiting.push(resolve)) };
}

before(async () => {
  nats = await NatsServer.start({ jetstream: true });
  backend = spawn(process.execPath, ["--import", "tsx", new URL("./fixtures/push-backend.ts", import.meta.url).pathname, nats.url, BUCKET], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  backendExited = new Promise((resolve) => backend.once("exit", resolve));
  let stderr = "";
  backend.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${stderr}`)), 30_000);
    backend.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    backend.once("exit", (code) => reject(new Error(`backend exited with ${String(code)}: ${stderr}`)));
  });
  await startGate("gateA");
  await startGate("gateB");
});

after(async () => {
  for (const mqtt of connections) await mqtt.endAsync();
  for (const { app, registryConnection } of gates) {
    await app.stop();
    await registryConnection.close();
  }
  backend?.kill("SIGTERM");
  await backendExited;
  await nats?.dispose();
});

test("a backend in another process pushes typed messages to a session, a list, user ids and everyone, across two gates", { timeout: 60_000 }, async () => {
  const alice = await client(0, "alice-a", "alice");
  const bob = await client(0, "bob", "bob");
  const carol = await client(1, "carol", "carol");
  const aliceAgain = await client(1, "alice-b", "alice");
  const caller = gates[0]!.app;
  const push = async (mode: string, text: string, names: string): Promise<number> => Number(await caller.call("chat", "/push", [mode, text, names]));
  const line = (text: string): ChatMessage => ({ from: "", text, at: 7n });
  const typed = (got: ChatMessage): ChatMessage => {
    assert.match(got.from, /^backend \d+$/, "sent by the backend process");
    assert.equal(typeof got.at, "bigint", "int64 arrives typed");
    return { ...got, from: "" };
  };

  let arrivals: Promise<ChatMessage[]> = Promise.all([bob.next()]);
  assert.equal(await push("session", "just bob", "bob"), 1);
  assert.deepEqual((await arrivals).map(typed), [line("just bob")]);

  arrivals = Promise.all([bob.next(), carol.next()]);
  assert.equal(await push("sessions", "bob and carol", "bob carol"), 2, "one SendBatch per owning gate");
  assert.deepEqual((await arrivals).map(typed), [line("bob and carol"), line("bob and carol")]);

  arrivals = Promise.all([alice.next(), aliceAgain.next()]);
  assert.equal(await push("user", "to alice", "alice"), 2, "alice is bound on both gates");
  assert.deepEqual((await arrivals).map(typed), [line("to alice"), line("to alice")]);

  arrivals = Promise.all([bob.next(), carol.next()]);
  assert.equal(await push("users", "to two users", "bob carol"), 2);
  assert.deepEqual((await arrivals).map(typed), [line("to two users"), line("to two users")]);

  assert.equal(await push("user", "to nobody", "nobody"), 0, "a user bound nowhere gets nothing");

  arrivals = Promise.all([alice.next(), bob.next(), carol.next(), aliceAgain.next()]);
  assert.equal(await push("everyone", "everyone", ""), 4);
  assert.deepEqual((await arrivals).map(typed), Array.from({ length: 4 }, () => line("everyone")));

  assert.deepEqual(alice.lines.map((l) => l.text), ["to alice", "everyone"]);
  assert.deepEqual(bob.lines.map((l) => l.text), ["just bob", "bob and carol", "to two users", "everyone"]);
  assert.deepEqual(carol.lines.map((l) => l.text), ["bob and carol", "to two users", "everyone"]);
  assert.deepEqual(aliceAgain.lines.map((l) => l.text), ["to alice", "everyone"]);
});
