/**
 * The CONNECT auth hook decides the CONNACK: a function (sync or async) or a module handler over RPC.
 * Without a hook every CONNECT is accepted, as in mqant.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import mqttPacket from "mqtt-packet";
import type { Module } from "../../runtime/internal.js";
import type { ConnectInfo } from "../../runtime/internal.js";
import { RawClient, connectMqtt, startGateApp } from "./support.js";

function connect(username?: string, password?: string): Buffer {
  return mqttPacket.generate({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clientId: `auth-${username ?? "anon"}`,
    clean: true,
    keepalive: 30,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password: Buffer.from(password) }),
  });
}

async function connackFor(port: number, packet: Buffer): Promise<{ hex: string; closed: boolean }> {
  const client = await RawClient.connect(port);
  client.write(packet);
  const bytes = await client.waitForBytes(4);
  const closed = await client.waitForClose(300);
  client.destroy();
  return { hex: bytes.subarray(0, 4).toString("hex"), closed };
}

test("without a hook every CONNECT is accepted, whatever its credentials", async () => {
  const harness = await startGateApp();
  try {
    assert.deepEqual(await connackFor(harness.tcpPort, connect("anyone", "wrong")), { hex: "20020000", closed: false });
  } finally {
    await harness.stop();
  }
});

test("a function hook: its return code is the CONNACK; refused connections are closed", async () => {
  const seen: ConnectInfo[] = [];
  const harness = await startGateApp({
    authenticate: async (info) => {
      seen.push(info);
      if (info.username === "alice" && Buffer.from(info.password ?? []).toString() === "secret") return 0;
      if (info.username === "banned") return 5;
      return 4;
    },
  });
  try {
    assert.deepEqual(await connackFor(harness.tcpPort, connect("alice", "secret")), { hex: "20020000", closed: false });
    assert.deepEqual(await connackFor(harness.tcpPort, connect("alice", "nope")), { hex: "20020004", closed: true });
    assert.deepEqual(await connackFor(harness.tcpPort, connect("banned", "x")), { hex: "20020005", closed: true });
    assert.equal(seen[0].clientId, "auth-alice");
    assert.equal(seen[0].network, "tcp");
    assert.match(seen[0].ip, /^127\.0\.0\.1:\d+$/);
    // MQTT.js sees the refusal as an error naming the code.
    await assert.rejects(
      connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { username: "bob", password: "x" }),
      /Bad username or password/,
    );
    const client = await connectMqtt(`ws://127.0.0.1:${harness.wsPort}`, { username: "alice", password: "secret" });
    assert.equal(client.connected, true);
    await client.endAsync();
  } finally {
    await harness.stop();
  }
});

test("a hook that throws refuses with CONNACK 3 (server unavailable)", async () => {
  const harness = await startGateApp({
    authenticate: () => {
      throw new Error("auth store down");
    },
  });
  try {
    assert.deepEqual(await connackFor(harness.tcpPort, connect("x", "y")), { hex: "20020003", closed: true });
  } finally {
    await harness.stop();
  }
});

test("a hook answer that is no CONNACK code (not an integer 0..5) refuses with CONNACK 5", async () => {
  // What a hook written in JavaScript, outside the type's reach, might answer.
  const answers = new Map<string, unknown>([
    ["six", 6],
    ["minus", -1],
    ["half", 1.5],
    ["big", 300],
    ["nan", Number.NaN],
    ["undefined", undefined],
    ["true", true],
    ["text", "0"],
    ["bigint", 0n],
  ]);
  const harness = await startGateApp({
    authenticate: (info) => (answers.has(info.username ?? "") ? answers.get(info.username ?? "") : 0) as number,
  });
  try {
    for (const username of answers.keys()) {
      assert.deepEqual(await connackFor(harness.tcpPort, connect(username, "x")), { hex: "20020005", closed: true }, username);
    }
    assert.deepEqual(await connackFor(harness.tcpPort, connect("valid", "x")), { hex: "20020000", closed: false });
  } finally {
    await harness.stop();
  }
});

test("a module handler decides over RPC; packets sent before the CONNACK wait for the decision", async () => {
  const authModule: Module = {
    type: "auth",
    version: "1.0.0",
    onInit(ctx) {
      ctx.server.registerGo("check", async (args) => {
        const info = args[0] as Record<string, unknown>;
        await new Promise((r) => setTimeout(r, 50));
        return info["username"] === "carol" && info["password"] === "pw" ? 0 : 4;
      });
    },
  };
  const harness = await startGateApp({ authenticate: "auth/check" }, { modules: [authModule] });
  try {
    assert.deepEqual(await connackFor(harness.tcpPort, connect("dave", "pw")), { hex: "20020004", closed: true });
    const client = await RawClient.connect(harness.tcpPort);
    client.write(Buffer.concat([connect("carol", "pw"), Buffer.from("c000", "hex")]));
    assert.equal((await client.waitForBytes(6)).subarray(0, 6).toString("hex"), "20020000d000");
    client.destroy();
  } finally {
    await harness.stop();
  }
});

test("a hook that never answers is cut off by the CONNECT timeout, without a CONNACK", async () => {
  const harness = await startGateApp({ connectTimeoutMs: 300, authenticate: () => new Promise<number>(() => {}) });
  try {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(connect("slow", "x"));
    assert.equal(await client.waitForClose(3_000), true);
    assert.equal(client.bytes.length, 0);
  } finally {
    await harness.stop();
  }
});
