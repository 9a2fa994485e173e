/**
 * Resource limits: the CONNECT timeout on silent sockets, a client that floods QoS 1 and never reads,
 * max connections and the connection rate.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import mqttPacket from "mqtt-packet";
import type { ClosedConnectionInfo } from "../../runtime/internal.js";
import { CONNACK_OK_HEX, CONNECT_HEX, connectMqtt, expectSilentSocketsHoldSlots, RawClient, startGateApp } from "./support.js";

/** `count` QoS 1 PUBLISHes of 64 bytes each, every one answered by a PUBACK the flooding client never reads. */
function floodBatch(count: number): Buffer {
  const publish = mqttPacket.generate({
    cmd: "publish",
    topic: "helloworld/HD_raw/1",
    payload: Buffer.alloc(64, 0x61),
    qos: 1,
    messageId: 1,
    retain: false,
    dup: false,
  });
  return Buffer.concat(Array.from({ length: count }, () => publish));
}

test("1000 silent sockets are closed by the CONNECT timeout", { timeout: 30_000 }, async () => {
  const harness = await startGateApp({ connectTimeoutMs: 500, tcpAddr: "127.0.0.1:0", wsAddr: undefined });
  try {
    const clients = await Promise.all(Array.from({ length: 1000 }, () => RawClient.connect(harness.tcpPort)));
    const deadline = Date.now() + 10_000;
    while (harness.gate.server.socketCount < 1000 && Date.now() < deadline && clients.some((c) => !c.closed)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const closedAll = await Promise.all(clients.map((client) => client.waitForClose(8_000)));
    assert.equal(closedAll.filter(Boolean).length, 1000);
    assert.equal(harness.gate.server.socketCount, 0);
    assert.ok(clients.every((client) => client.bytes.length === 0), "no bytes are sent to a socket that never sent CONNECT");
  } finally {
    await harness.stop();
  }
});

test("a client flooding QoS 1 that never reads is dropped, with the gate's memory bounded", { timeout: 60_000 }, async () => {
  const closed: ClosedConnectionInfo[] = [];
  const maxUnsentBytes = 256 * 1024;
  const harness = await startGateApp({ maxUnsentBytes, onConnectionClosed: (info) => closed.push(info) });
  try {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(CONNECT_HEX);
    assert.equal((await client.waitForBytes(4)).subarray(0, 4).toString("hex"), CONNACK_OK_HEX);
    client.socket.pause();
    const batch = floodBatch(1000);
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let sent = 0;
    while (!client.closed && sent < 400) {
      const flushed = client.socket.write(batch);
      sent++;
      if (!flushed) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise((resolve) => client.socket.once("drain", resolve)),
          client.closedPromise,
          new Promise((resolve) => {
            timer = setTimeout(resolve, 2_000);
          }),
        ]);
        clearTimeout(timer);
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    assert.equal(await client.waitForClose(10_000), true, "the non-reading client was dropped");
    const info = closed.find((c) => c.clientId === "raw1");
    assert.ok(info, "the gate reported the closed connection");
    assert.match(info.reason, /unsent bytes/);
    assert.ok(rssPeak - rssBefore < 128 * 1024 * 1024, `RSS grew by ${Math.round((rssPeak - rssBefore) / 1048576)} MiB`);
    assert.equal(harness.gate.server.connectionCount, 0);
  } finally {
    await harness.stop();
  }
});

test("over WebSocket too: a client flooding QoS 1 that never reads is dropped for its unsent bytes", { timeout: 60_000 }, async () => {
  const closed: ClosedConnectionInfo[] = [];
  const maxUnsentBytes = 256 * 1024;
  const harness = await startGateApp({ maxUnsentBytes, onConnectionClosed: (info) => closed.push(info) });
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${harness.wsPort}/mqtt`, ["mqtt"]);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const connack = new Promise<Buffer>((resolve) => ws.once("message", (data) => resolve(data as Buffer)));
    ws.send(Buffer.from(CONNECT_HEX, "hex"));
    assert.equal((await connack).toString("hex"), CONNACK_OK_HEX);
    const closedByGate = new Promise<void>((resolve) => ws.once("close", () => resolve()));
    // From here on this client reads nothing: its socket is paused, so the gate's writes pile up.
    const socket = (ws as unknown as { _socket: import("node:net").Socket })._socket;
    socket.pause();
    const batch = floodBatch(500);
    let gone = false;
    void closedByGate.then(() => (gone = true));
    for (let sent = 0; sent < 400 && !gone && closed.length === 0; sent++) {
      socket.write(encodeClientFrame(batch));
      await new Promise((r) => setImmediate(r));
    }
    const deadline = Date.now() + 10_000;
    while (closed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const info = closed.find((c) => c.clientId === "raw1");
    assert.ok(info, "the gate dropped the non-reading WebSocket client");
    assert.match(info.reason, /unsent bytes/);
  } finally {
    ws.terminate();
    await harness.stop();
  }
});

test("sockets beyond maxConnections are closed at accept", async () => {
  const harness = await startGateApp({ maxConnections: 3 });
  try {
    const kept = await Promise.all(Array.from({ length: 3 }, () => RawClient.connect(harness.tcpPort)));
    await new Promise((r) => setTimeout(r, 100));
    const extra = await RawClient.connect(harness.tcpPort);
    assert.equal(await extra.waitForClose(2_000), true);
    kept[0].write(CONNECT_HEX);
    assert.equal((await kept[0].waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
    for (const client of kept) client.destroy();
  } finally {
    await harness.stop();
  }
});

test("WebSocket port: sockets still before the HTTP upgrade count against maxConnections", { timeout: 30_000 }, async () => {
  const harness = await startGateApp({ maxConnections: 2, connectTimeoutMs: 3_000 });
  try {
    await expectSilentSocketsHoldSlots(harness, harness.wsPort);
    const client = await connectMqtt(`ws://127.0.0.1:${harness.wsPort}/mqtt`);
    await client.endAsync();
  } finally {
    await harness.stop();
  }
});

test("connections above connectionsPerSecond are closed at accept", async () => {
  const harness = await startGateApp({ connectionsPerSecond: 5 });
  try {
    const started = Date.now();
    const clients = await Promise.all(Array.from({ length: 12 }, () => RawClient.connect(harness.tcpPort)));
    const elapsedSec = (Date.now() - started) / 1000;
    const closedFlags = await Promise.all(clients.map((client) => client.waitForClose(1_000)));
    const accepted = closedFlags.filter((closed) => !closed).length;
    // A full bucket of 5, plus what refilled while the sockets were being opened.
    assert.ok(accepted >= 5, `${accepted} of 12 accepted`);
    assert.ok(accepted <= 5 + Math.ceil(5 * elapsedSec) + 1, `${accepted} of 12 accepted in ${elapsedSec} s`);
    if (elapsedSec < 0.5) assert.ok(accepted <= 8, `${accepted} of 12 accepted`);
    for (const client of clients) client.destroy();
  } finally {
    await harness.stop();
  }
});

test("WebSocket port: silent sockets (no HTTP upgrade) and upgraded sockets without CONNECT are both closed", { timeout: 20_000 }, async () => {
  const harness = await startGateApp({ connectTimeoutMs: 500 });
  try {
    const silent = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(harness.wsPort)));
    const { WebSocket } = await import("ws");
    const upgraded = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${harness.wsPort}/mqtt`, ["mqtt"]);
        await new Promise<void>((resolve, reject) => {
          ws.once("open", () => resolve());
          ws.once("error", reject);
        });
        return new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
      }),
    );
    const silentClosed = await Promise.all(silent.map((client) => client.waitForClose(8_000)));
    assert.equal(silentClosed.filter(Boolean).length, 20);
    const codes = await Promise.all(upgraded);
    assert.equal(codes.length, 5);
    assert.equal(harness.gate.server.socketCount, 0);
  } finally {
    await harness.stop();
  }
});

/** One masked binary WebSocket frame (RFC 6455 §5.2), written straight to the socket while the client is paused. */
function encodeClientFrame(payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x82, 0x80 | length]) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65_536) {
    header[0] = 0x82;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else if (length >= 65_536) {
    header[0] = 0x82;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([header, mask, masked]);
}
