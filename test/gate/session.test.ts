/**
 * Sessions from a backend's point of view: every remote Session operation goes over RPC to the owning
 * gate and changes the connection's session there; pushes reach the client; listeners and the storage
 * hook see the changes. Calls go through GateClient over MQTT.js.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { MqttClient } from "mqtt";
import { GateCallError, GateClient } from "../../runtime/gate/client/index.js";
import type { GateSessionData } from "../../runtime/internal.js";
import { BIND_CALLER, type ArgSerializer, type RpcCaller } from "../../runtime/internal.js";
import { Session, sessionCodec, gateSerializer } from "../../runtime/internal.js";
import { connectMqtt, nextMessage, startGateApp, type GateHarness } from "./support.js";

interface SessionView {
  userId: string;
  settings: Record<string, string>;
  sessionId: string;
}

const stored = new Map<string, Record<string, string>>();
const storageCalls: string[] = [];
const heartbeats: string[] = [];
const connected: GateSessionData[] = [];
const disconnected: GateSessionData[] = [];
let harness: GateHarness;

before(async () => {
  stored.set("u-stored", { level: "7", nick: "from-storage" });
  harness = await startGateApp({
    storage: {
      storage: (session) => {
        storageCalls.push(`storage:${session.userId}`);
        stored.set(session.userId, { ...session.settings });
      },
      delete: (session) => {
        storageCalls.push(`delete:${session.userId}`);
      },
      query: (userId) => stored.get(userId),
      heartbeat: (session) => {
        heartbeats.push(session.userId);
      },
    },
    heartbeatMs: 10,
    listeners: [{ connect: (s) => connected.push(s), disconnect: (s) => disconnected.push(s) }],
    sendMessageHook: (_session, topic, body) => (topic === "/blocked" ? null : topic === "/rewritten" ? Buffer.from("changed") : body),
  });
});

after(async () => {
  await harness.stop();
});

async function gateClient(id: string): Promise<{ mqtt: MqttClient; gate: GateClient }> {
  const mqtt = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId: id });
  return { mqtt, gate: new GateClient(mqtt, { timeoutMs: 5_000 }) };
}

async function op(gate: GateClient, body: Record<string, unknown>): Promise<SessionView> {
  return (await gate.request("helloworld", "HD_session", body)) as SessionView;
}

describe("remote session operations", () => {
  let mqtt: MqttClient;
  let gate: GateClient;

  before(async () => {
    ({ mqtt, gate } = await gateClient("session-ops"));
  });

  after(async () => {
    gate.close();
    await mqtt.endAsync();
  });

  test("bind merges stored settings (live keys win) and stores the session", async () => {
    await op(gate, { op: "set", key: "nick", value: "live" });
    const view = await op(gate, { op: "bind", userId: "u-stored" });
    assert.equal(view.userId, "u-stored");
    assert.deepEqual(view.settings, { level: "7", nick: "live" });
    assert.ok(storageCalls.includes("storage:u-stored"));
    // The gate's own copy changed too: the next call's SESSION carries it.
    const again = await op(gate, { op: "noop" });
    assert.equal(again.userId, "u-stored");
  });

  test("set, setPush, remove change the gate's session and are stored while bound", async () => {
    await op(gate, { op: "set", key: "a", value: "1" });
    await op(gate, { op: "setPush", key: "b", value: "2" });
    const view = await op(gate, { op: "remove", key: "level" });
    assert.deepEqual(view.settings, { a: "1", b: "2", nick: "live" });
    assert.deepEqual(stored.get("u-stored"), { a: "1", b: "2", nick: "live" });
  });

  test("update pulls the gate's copy; isConnect looks up user ids on that gate", async () => {
    const view = await op(gate, { op: "update" });
    assert.equal(view.userId, "u-stored");
    // Packets of a bound session pace the storage heartbeat.
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(heartbeats.includes("u-stored"));
    assert.ok(!heartbeats.includes(""), "no heartbeat for guests");
    assert.equal(await gate.request("helloworld", "HD_session", { op: "isConnect", userId: "u-stored" }), "yes");
    assert.equal(await gate.request("helloworld", "HD_session", { op: "isConnect", userId: "nobody" }), "no");
  });

  test("unbind clears the user id and calls the storage delete", async () => {
    const view = await op(gate, { op: "unbind" });
    assert.equal(view.userId, "");
    assert.ok(storageCalls.includes("delete:u-stored"));
  });

  test("broadcast and sendBatch push to the gate's connections and count them", async () => {
    const other = await gateClient("session-other");
    try {
      const otherId = (await op(other.gate, { op: "noop" })).sessionId;
      const mine = (await op(gate, { op: "noop" })).sessionId;
      const toOther = nextMessage(other.mqtt, "/all");
      const toMe = nextMessage(mqtt, "/all");
      const count = Number(await gate.request("helloworld", "HD_session", { op: "broadcast" }));
      assert.ok(count >= 2);
      assert.equal(await toOther, "to everyone");
      assert.equal(await toMe, "to everyone");
      const batched = nextMessage(other.mqtt, "/batch");
      assert.equal(await gate.request("helloworld", "HD_session", { op: "sendBatch", ids: [otherId, mine, "0000000000000000"] }), "2");
      assert.equal(await batched, "batched");
    } finally {
      other.gate.close();
      await other.mqtt.endAsync();
    }
  });
});

describe("gate-side hooks and local API", () => {
  test("connect/disconnect listeners see the session; close from a backend closes the client", async () => {
    const { mqtt, gate } = await gateClient("session-close");
    const sessionId = (await op(gate, { op: "noop" })).sessionId;
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(connected.some((s) => s.sessionId === sessionId));
    const closedEvent = new Promise<void>((resolve) => mqtt.once("close", () => resolve()));
    // The connection closes before the reply could be published, so this call never settles by itself.
    const pending = gate.request("helloworld", "HD_session", { op: "close" }).catch((error: unknown) => error);
    await closedEvent;
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(disconnected.some((s) => s.sessionId === sessionId));
    gate.close();
    assert.match(String(await pending), /client closed/);
    await mqtt.endAsync(true);
  });

  test("the send hook can block or rewrite down-link messages; local send and unknown sessions", async () => {
    const { mqtt, gate } = await gateClient("session-hook");
    try {
      const sessionId = (await op(gate, { op: "noop" })).sessionId;
      const received: string[] = [];
      mqtt.on("message", (topic, payload) => received.push(`${topic}=${payload.toString()}`));
      assert.equal(harness.gate.server.send(sessionId, "/blocked", "x"), false);
      assert.equal(harness.gate.server.send(sessionId, "/rewritten", "x"), true);
      assert.equal(harness.gate.server.send(sessionId, "/plain", "y"), true);
      assert.equal(harness.gate.server.send("0000000000000000", "/plain", "z"), false);
      const deadline = Date.now() + 2_000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(received, ["/rewritten=changed", "/plain=y"]);
    } finally {
      gate.close();
      await mqtt.endAsync();
    }
  });

  test("a session RPC for an unknown session fails with mqant's \"No Sesssion found\"", async () => {
    const session = new Session({ sessionId: "0000000000000000", serverId: harness.app.nodeIds["Gate"], traceId: "1111111111111111" }, harness.app);
    await assert.rejects(session.bind("u"), /No Sesssion found/);
    await assert.rejects(session.send("/x", "y"), /No Sesssion found/);
  });

  test("GateClient rejects with GateCallError carrying mqant's error text", async () => {
    const { mqtt, gate } = await gateClient("session-errors");
    try {
      await assert.rejects(gate.request("nomodule", "HD_x", {}), (error: unknown) => {
        assert.ok(error instanceof GateCallError);
        assert.equal(error.message, "Service(type:nomodule) not found");
        assert.match(error.trace, /^[0-9a-f]{16}$/);
        return true;
      });
    } finally {
      gate.close();
      await mqtt.endAsync();
    }
  });
});

describe("SESSION values", () => {
  interface SessionExample {
    id: string;
    bytes_hex: string;
    decoded: Record<string, unknown>;
  }
  const vectors = JSON.parse(readFileSync(new URL("../fixtures/mqant-vectors/session.json", import.meta.url), "utf8")) as {
    examples: SessionExample[];
  };

  for (const example of vectors.examples) {
    test(`${example.id}: decodes to a Session and re-encodes byte for byte`, () => {
      const bytes = Buffer.from(example.bytes_hex, "hex");
      const session = sessionCodec.decode(bytes, "SESSION");
      assert.equal(session.sessionId, example.decoded["SessionId"] ?? "");
      assert.equal(session.userId, example.decoded["UserId"] ?? "");
      assert.equal(session.serverId, example.decoded["ServerId"] ?? "");
      assert.equal(session.network, example.decoded["Network"] ?? "");
      assert.equal(session.ip, example.decoded["IP"] ?? "");
      assert.equal(session.topic, example.decoded["Topic"] ?? "");
      assert.deepEqual({ ...session.settings }, example.decoded["Settings"] ?? {});
      assert.equal(session.isGuest, (example.decoded["UserId"] ?? "") === "");
      assert.equal(Buffer.from(sessionCodec.encode(session)).toString("hex"), example.bytes_hex);
      const serialized = gateSerializer.serialize(session);
      assert.equal(serialized?.tag, "SESSION");
      assert.equal(Buffer.from(serialized?.bytes ?? []).toString("hex"), example.bytes_hex);
      const viaSerializer = gateSerializer.deserialize("SESSION", bytes) as Session;
      assert.equal(Buffer.from(sessionCodec.encode(sessionCodec.clone(viaSerializer))).toString("hex"), example.bytes_hex);
    });
  }

  test("a Session bound to an app registers the gate serializer there once, so gate replies decode", () => {
    const added: ArgSerializer[] = [];
    const app = { addSerializer: (serializer: ArgSerializer) => added.push(serializer) } as unknown as RpcCaller;
    new Session()[BIND_CALLER](app);
    new Session()[BIND_CALLER](app);
    assert.deepEqual(added, [gateSerializer]);
  });

  test("a Session without a caller explains itself instead of calling", async () => {
    await assert.rejects(new Session({ sessionId: "x", serverId: "Gate@1" }).bind("u"), /no RPC caller/);
  });
});
