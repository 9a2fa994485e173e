/**
 * The gate's MQTT handling at the byte level, with raw sockets: what it accepts, what it answers, and what
 * makes it close the connection (and that it closes before buffering anything it should not).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import mqttPacket from "mqtt-packet";
import { MAX_QOS2_AWAITING_RELEASE } from "../../runtime/internal.js";
import { CONNACK_OK_HEX, CONNECT_HEX, RawClient, startGateApp, type GateHarness } from "./support.js";

const generate = (packet: Parameters<typeof mqttPacket.generate>[0]): Buffer => mqttPacket.generate(packet);

function connectPacket(options: { clientId?: string; keepalive?: number; clean?: boolean; level?: 3 | 4 | 5 } = {}): Buffer {
  const level = options.level ?? 4;
  return generate({
    cmd: "connect",
    protocolId: level === 3 ? "MQIsdp" : "MQTT",
    protocolVersion: level,
    clientId: options.clientId ?? "raw-client",
    keepalive: options.keepalive ?? 60,
    clean: options.clean ?? true,
  });
}

let harness: GateHarness;

before(async () => {
  harness = await startGateApp({ concurrentTasks: 2, maxKeepaliveSec: 120 });
});

after(async () => {
  await harness.stop();
});

async function connected(): Promise<RawClient> {
  const client = await RawClient.connect(harness.tcpPort);
  client.write(CONNECT_HEX);
  const bytes = await client.waitForBytes(4);
  assert.equal(bytes.subarray(0, 4).toString("hex"), CONNACK_OK_HEX);
  return client;
}

/** Bytes the gate sent after `from`, once at least `length` of them arrived. */
async function after_(client: RawClient, from: number, length: number): Promise<string> {
  const bytes = await client.waitForBytes(from + length);
  return bytes.subarray(from, from + length).toString("hex");
}

describe("connection opening", () => {
  test("a non-CONNECT first packet is closed at once, without an answer", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(generate({ cmd: "publish", topic: "helloworld/HD_say/1", payload: "{}", qos: 0, retain: false, dup: false }));
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.length, 0);
  });

  test("a non-CONNECT first byte is enough to close (nothing buffered)", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write("30");
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.length, 0);
  });

  test("a CONNECT declaring more than MaxPackSize closes after the fixed header alone", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    // 0x10, remaining length 16 MiB (80 80 80 08), and not one byte of body.
    client.write("1080808008");
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.length, 0);
  });

  test("a fifth remaining-length byte (malformed) closes", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write("10ffffffff7f");
    assert.equal(await client.waitForClose(), true);
  });

  test("garbage after a CONNECT type byte closes without a CONNACK", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write("100c00044d51545404020000ffff");
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.length, 0);
  });

  test("MQTT 3.1 (MQIsdp, level 3) is accepted", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(connectPacket({ level: 3 }));
    assert.equal((await client.waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
    client.destroy();
  });

  test("MQTT 5 is refused with CONNACK 1 (unacceptable protocol version) and closed", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(connectPacket({ level: 5 }));
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.toString("hex"), "20020001");
  });

  test("an empty client id with clean session gets a CONNACK and a generated id (mqant closes instead)", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(connectPacket({ clientId: "" }));
    assert.equal((await client.waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
    client.write(generate({ cmd: "pingreq" }));
    assert.equal(await after_(client, 4, 2), "d000");
    client.destroy();
  });

  test("an empty client id without clean session is refused with CONNACK 2", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    // Built by hand: mqtt-packet refuses to generate it.
    client.write("100c00044d5154540400003c0000");
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.toString("hex"), "20020002");
  });

  test("a client id over 64 characters is refused with CONNACK 2 (mqant closes without CONNACK)", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(connectPacket({ clientId: "c".repeat(65) }));
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.toString("hex"), "20020002");
    const ok = await RawClient.connect(harness.tcpPort);
    ok.write(connectPacket({ clientId: "c".repeat(64) }));
    assert.equal((await ok.waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
    ok.destroy();
  });

  test("CONNECT and PUBLISH in one write are both processed", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(Buffer.concat([Buffer.from(CONNECT_HEX, "hex"), generate({ cmd: "publish", topic: "helloworld/HD_raw/1", payload: "x", qos: 0, retain: false, dup: false })]));
    const bytes = await client.waitForBytes(4 + 40);
    assert.equal(bytes.subarray(0, 4).toString("hex"), CONNACK_OK_HEX);
    assert.match(bytes.subarray(4).toString("latin1"), /helloworld\/HD_raw\/1\{"Trace":"[0-9a-f]{16}","Error":"","Result":"cmF3Ong="\}/);
    client.destroy();
  });

  test("a packet split into single-byte writes is reassembled", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    const bytes = Buffer.concat([Buffer.from(CONNECT_HEX, "hex"), generate({ cmd: "pingreq" })]);
    for (const byte of bytes) {
      client.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await client.waitForBytes(6)).toString("hex"), CONNACK_OK_HEX + "d000");
    client.destroy();
  });
});

describe("after CONNECT", () => {
  test("a second CONNECT is a protocol error and closes (mqant answers it again)", async () => {
    const client = await connected();
    client.write(CONNECT_HEX);
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.length, 4);
  });

  test("PINGREQ → PINGRESP, UNSUBSCRIBE → UNSUBACK", async () => {
    const client = await connected();
    client.write("c000");
    assert.equal(await after_(client, 4, 2), "d000");
    client.write(generate({ cmd: "unsubscribe", messageId: 14, unsubscriptions: ["a/b"] }));
    assert.equal(await after_(client, 6, 4), "b002000e");
    client.destroy();
  });

  test("one SUBACK per SUBSCRIBE with a code per entry; an invalid filter gets 0x80", async () => {
    const client = await connected();
    client.write(
      generate({
        cmd: "subscribe",
        messageId: 13,
        subscriptions: [
          { topic: "g", qos: 0 },
          { topic: "h", qos: 1 },
          { topic: "i", qos: 2 },
          { topic: "bad/#/x", qos: 0 },
        ],
      }),
    );
    assert.equal(await after_(client, 4, 8), "9006000d00000080");
    client.destroy();
  });

  test("QoS 1 → PUBACK before the reply; QoS 2 → PUBREC, and PUBREL → PUBCOMP", async () => {
    const client = await connected();
    client.write(generate({ cmd: "publish", topic: "helloworld/HD_raw/1", payload: "a", qos: 1, messageId: 21, retain: false, dup: false }));
    assert.equal(await after_(client, 4, 4), "40020015");
    const replyLength = (await client.waitForBytes(8 + 2)).readUInt8(9) + 2;
    await client.waitForBytes(8 + replyLength);
    const offset = 8 + replyLength;
    client.write(generate({ cmd: "publish", topic: "helloworld/HD_raw", payload: "b", qos: 2, messageId: 22, retain: false, dup: false }));
    assert.equal(await after_(client, offset, 4), "50020016");
    client.write(generate({ cmd: "pubrel", messageId: 22 }));
    assert.equal(await after_(client, offset + 4, 4), "70020016");
    client.destroy();
  });

  test("a QoS 2 resend before PUBREL gets another PUBREC but is not routed twice; after PUBCOMP the id is free again", async () => {
    const client = await connected();
    const publish = (dup: boolean, payload: string): Buffer =>
      generate({ cmd: "publish", topic: "helloworld/HD_raw", payload, qos: 2, messageId: 31, retain: false, dup });
    const routed = (): string[] =>
      harness.calls.filter((c) => c.handler === "HD_raw").map((c) => Buffer.from(c.payload as Uint8Array).toString());
    const before = routed().length;
    client.write(publish(false, "once"));
    assert.equal(await after_(client, 4, 4), "5002001f");
    client.write(publish(true, "once"));
    assert.equal(await after_(client, 8, 4), "5002001f", "the resend is acknowledged again");
    client.write(generate({ cmd: "pubrel", messageId: 31 }));
    assert.equal(await after_(client, 12, 4), "7002001f");
    assert.deepEqual(routed().slice(before), ["once"], "routed once");
    client.write(publish(false, "again"));
    assert.equal(await after_(client, 16, 4), "5002001f");
    const deadline = Date.now() + 2_000;
    while (routed().length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(routed().slice(before), ["once", "again"], "a new publish with the released id is routed");
    client.destroy();
  });

  test("more QoS 2 publishes awaiting PUBREL than the gate keeps closes the connection", async () => {
    const client = await connected();
    const publishes = Array.from({ length: MAX_QOS2_AWAITING_RELEASE + 1 }, (_, i) =>
      generate({ cmd: "publish", topic: "helloworld/HD_raw", payload: "q", qos: 2, messageId: i + 1, retain: false, dup: false }),
    );
    client.write(Buffer.concat(publishes.slice(0, MAX_QOS2_AWAITING_RELEASE)));
    await client.waitForBytes(4 + 4 * MAX_QOS2_AWAITING_RELEASE);
    assert.equal(client.closed, false, "up to the limit, each gets its PUBREC");
    client.write(publishes[MAX_QOS2_AWAITING_RELEASE]);
    assert.equal(await client.waitForClose(), true);
    assert.equal(client.bytes.length, 4 + 4 * MAX_QOS2_AWAITING_RELEASE, "no PUBREC for the one past the limit");
  });

  test("an unsolicited PUBACK is ignored", async () => {
    const client = await connected();
    client.write("40020063");
    client.write("c000");
    assert.equal(await after_(client, 4, 2), "d000");
    client.destroy();
  });

  test("DISCONNECT closes the socket (mqant leaves it open)", async () => {
    const client = await connected();
    client.write("e000");
    assert.equal(await client.waitForClose(), true);
  });

  test("a wildcard in a PUBLISH topic closes; a deep topic without msgid is fire-and-forget", async () => {
    const client = await connected();
    const deep = "helloworld/HD_raw/" + "a/".repeat(400) + "end";
    const before = harness.calls.length;
    client.write(generate({ cmd: "publish", topic: deep, payload: "deep", qos: 0, retain: false, dup: false }));
    client.write("c000");
    assert.equal(await after_(client, 4, 2), "d000");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(harness.calls.length, before + 1, "the deep topic was routed as fire-and-forget");
    client.write(generate({ cmd: "publish", topic: "helloworld/HD_raw/#", payload: "x", qos: 0, retain: false, dup: false }));
    assert.equal(await client.waitForClose(), true);
  });

  test("a topic longer than maxTopicLength closes", async () => {
    const client = await connected();
    client.write(generate({ cmd: "publish", topic: "helloworld/HD_raw/" + "x".repeat(2000), payload: "x", qos: 0, retain: false, dup: false }));
    assert.equal(await client.waitForClose(), true);
  });

  test("a PUBLISH larger than MaxPackSize closes after its header", async () => {
    const client = await connected();
    client.write("3080808001"); // remaining length 2 MiB
    assert.equal(await client.waitForClose(), true);
  });

  test("server-to-client packet types from a client close the connection", async () => {
    const client = await connected();
    client.write("20020000");
    assert.equal(await client.waitForClose(), true);
  });

  test("over ConcurrentTasks in-flight calls, the reply is mqant's \"the work queue is full!\"", async () => {
    const client = await connected();
    const publish = (id: number): Buffer =>
      generate({ cmd: "publish", topic: `helloworld/HD_park/${id}`, payload: "p", qos: 0, retain: false, dup: false });
    client.write(Buffer.concat([publish(1), publish(2), publish(3)]));
    const expected = "helloworld/HD_park/3" + '{"Trace":';
    const deadline = Date.now() + 3_000;
    while (!client.bytes.toString("latin1").includes(expected) && Date.now() < deadline) await client.waitForBytes(client.bytes.length + 1, 200);
    const text = client.bytes.toString("latin1");
    assert.match(text, /helloworld\/HD_park\/3\{"Trace":"[0-9a-f]{16}","Error":"the work queue is full!","Result":null\}/);
    harness.releaseParked();
    await client.waitForBytes(client.bytes.length + 1);
    const deadline2 = Date.now() + 3_000;
    while (!/HD_park\/2\{[^}]*"Result":"released"/.test(client.bytes.toString("latin1")) && Date.now() < deadline2) {
      await client.waitForBytes(client.bytes.length + 1, 200);
    }
    assert.match(client.bytes.toString("latin1"), /HD_park\/1\{[^}]*"Result":"released"/);
    assert.match(client.bytes.toString("latin1"), /HD_park\/2\{[^}]*"Result":"released"/);
    client.destroy();
  });
});

describe("timers", () => {
  test("keepalive: a silent client is closed after 1.5 × keepalive", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    client.write(connectPacket({ keepalive: 1 }));
    assert.equal((await client.waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
    const start = Date.now();
    assert.equal(await client.waitForClose(4_000), true);
    const elapsed = Date.now() - start;
    // The gate's clock starts when it writes the CONNACK, a little before this client's: 1.25 s leaves room for
    // that on a loaded machine, and still tells 1.5 × keepalive from 1 ×.
    assert.ok(elapsed >= 1_250, `closed after ${elapsed} ms, before 1.5 × keepalive`);
  });

  test("keepalive: maxKeepaliveSec caps a longer keepalive, and keepalive 0 (none) gets the cap", async () => {
    const capped = await startGateApp({ maxKeepaliveSec: 1 });
    try {
      for (const keepalive of [60, 0]) {
        const client = await RawClient.connect(capped.tcpPort);
        client.write(connectPacket({ keepalive }));
        assert.equal((await client.waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
        const start = Date.now();
        assert.equal(await client.waitForClose(4_000), true, `keepalive ${keepalive}: closed by the 1 s cap`);
        const elapsed = Date.now() - start;
        assert.ok(elapsed >= 1_250, `keepalive ${keepalive}: closed after ${elapsed} ms, before 1.5 × the cap`);
      }
    } finally {
      await capped.stop();
    }
  });

  test("keepalive: a client that keeps pinging stays connected", async () => {
    const client = await RawClient.connect(harness.tcpPort);
    // 2 s keepalive (3 s limit) pinged every 0.5 s: 2 s of traffic, far from the limit even on a loaded machine.
    client.write(connectPacket({ keepalive: 2 }));
    await client.waitForBytes(4);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      client.write("c000");
    }
    assert.equal(client.closed, false);
    assert.equal((await client.waitForBytes(4 + 8)).subarray(4).toString("hex"), "d000d000d000d000");
    client.destroy();
  });
});
