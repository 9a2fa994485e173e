/**
 * server.json's Mqtt section drives the gate: ReadTimeout is the keepalive of a client that asks for none
 * (mqant's fallback), WriteTimeout drops a client whose socket takes nothing for that long, and
 * WirteLoopChanNum bounds the packets waiting behind a client that does not read. Raw TCP clients for the
 * silent and stalled ones, MQTT.js for one that reads.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import type { ClosedConnectionInfo } from "../../runtime/internal.js";
import { CONNACK_OK_HEX, CONNECT_HEX, connectMqtt, RawClient, startGateApp, type GateHarness } from "./support.js";

function connectPacket(clientId: string, keepalive: number): Buffer {
  return mqttPacket.generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive });
}

async function connected(harness: GateHarness, packet: Buffer | string): Promise<RawClient> {
  const client = await RawClient.connect(harness.tcpPort);
  client.write(packet);
  assert.equal((await client.waitForBytes(4)).subarray(0, 4).toString("hex"), CONNACK_OK_HEX);
  return client;
}

async function closedInfo(closed: ClosedConnectionInfo[], clientId: string, timeoutMs: number): Promise<ClosedConnectionInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = closed.find((c) => c.clientId === clientId);
    if (info !== undefined) return info;
    assert.ok(Date.now() < deadline, `${clientId} was not closed within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A gate with the byte cap out of the way (so only the Mqtt setting under test drops anyone), recording closes. */
async function uncappedGate(mqtt: Readonly<Record<string, number>>): Promise<{ harness: GateHarness; closed: ClosedConnectionInfo[] }> {
  const closed: ClosedConnectionInfo[] = [];
  const harness = await startGateApp({ maxUnsentBytes: 512 * 1024 * 1024, onConnectionClosed: (info) => closed.push(info) }, { config: { Mqtt: mqtt } });
  return { harness, closed };
}

/** A raw client that stops reading, and an MQTT.js client beside it that reads and counts what arrives. */
async function stalledAndReader(harness: GateHarness): Promise<{ reader: MqttClient; received: () => number }> {
  const stalled = await connected(harness, connectPacket("stalled", 60));
  stalled.socket.pause();
  const reader = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId: "reader" });
  let received = 0;
  reader.on("message", () => received++);
  return { reader, received: () => received };
}

test("Mqtt.ReadTimeout is the keepalive of a client whose CONNECT says 0; a client's own keepalive still wins", { timeout: 20_000 }, async () => {
  const closed: ClosedConnectionInfo[] = [];
  const harness = await startGateApp({ onConnectionClosed: (info) => closed.push(info) }, { config: { Mqtt: { ReadTimeout: 1 } } });
  try {
    const started = Date.now();
    const silent = await connected(harness, connectPacket("zero", 0));
    const ownKeepalive = await connected(harness, CONNECT_HEX);
    // MQTT's one and a half times the keepalive: 1.5 s of silence.
    assert.equal(await silent.waitForClose(5_000), true, "the silent keepalive-0 client was closed");
    const after = Date.now() - started;
    assert.ok(after >= 1_400 && after < 4_000, `closed after ${after} ms`);
    assert.match((await closedInfo(closed, "zero", 1_000)).reason, /keepalive expired/);
    assert.equal(ownKeepalive.closed, false, "keepalive 60 is not cut to ReadTimeout");
    ownKeepalive.destroy();
  } finally {
    await harness.stop();
  }
});

test("Mqtt.WriteTimeout drops a client whose socket takes no bytes for that long", { timeout: 30_000 }, async () => {
  const { harness, closed } = await uncappedGate({ WriteTimeout: 1 });
  try {
    const { reader, received } = await stalledAndReader(harness);
    // 16 MB is more than the kernel buffers of both ends hold, so bytes stay unsent at the gate.
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    for (let i = 0; i < 256; i++) harness.gate.server.broadcast("/big", chunk);
    const started = Date.now();
    const info = await closedInfo(closed, "stalled", 10_000);
    const after = Date.now() - started;
    assert.match(info.reason, /write timeout of 1000 ms \(WriteTimeout\)/);
    assert.ok(after >= 900, `dropped after ${after} ms, before the timeout`);
    // The client that reads gets everything and stays.
    const deadline = Date.now() + 15_000;
    while (received() < 256 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(received(), 256);
    assert.equal(closed.some((c) => c.clientId === "reader"), false);
    await reader.endAsync();
  } finally {
    await harness.stop();
  }
});

test("Mqtt.WirteLoopChanNum: a client that does not read is dropped once more packets than that wait for it", { timeout: 30_000 }, async () => {
  const { harness, closed } = await uncappedGate({ WirteLoopChanNum: 10 });
  try {
    const { reader, received } = await stalledAndReader(harness);
    // A burst far above 10 packets in one tick reaches a reading client whole: only packets stuck behind
    // unsent bytes count.
    const small = Buffer.alloc(100, 0x61);
    for (let i = 0; i < 200; i++) harness.gate.server.broadcast("/small", small);
    const deadline = Date.now() + 10_000;
    while (received() < 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(received(), 200);
    assert.equal(closed.length, 0, "nobody dropped by a burst the kernel buffers absorb");
    // Now fill the stalled client's buffers, one push per tick, until it is dropped.
    const big = Buffer.alloc(64 * 1024, 0x62);
    let pushes = 0;
    while (!closed.some((c) => c.clientId === "stalled") && pushes < 1_000) {
      harness.gate.server.broadcast("/big", big);
      pushes++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const info = await closedInfo(closed, "stalled", 1_000);
    assert.match(info.reason, /more than 10 packets waiting .*\(WirteLoopChanNum\)/);
    assert.equal(closed.some((c) => c.clientId === "reader"), false);
    await reader.endAsync();
  } finally {
    await harness.stop();
  }
});

test("over WebSocket too: Mqtt.WriteTimeout drops a client whose socket takes no bytes", { timeout: 30_000 }, async () => {
  const { harness, closed } = await uncappedGate({ WriteTimeout: 1 });
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${harness.wsPort}/mqtt`, ["mqtt"]);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const connack = new Promise<Buffer>((resolve) => ws.once("message", (data) => resolve(data as Buffer)));
    ws.send(connectPacket("ws-stalled", 60));
    assert.equal((await connack).toString("hex"), CONNACK_OK_HEX);
    (ws as unknown as { _socket: import("node:net").Socket })._socket.pause();
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    for (let i = 0; i < 256; i++) harness.gate.server.broadcast("/big", chunk);
    const info = await closedInfo(closed, "ws-stalled", 10_000);
    assert.match(info.reason, /\(WriteTimeout\)/);
  } finally {
    ws.terminate();
    await harness.stop();
  }
});
