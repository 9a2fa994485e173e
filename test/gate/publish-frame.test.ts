/**
 * The gate reads a client's PUBLISH frame itself (runtime/gate/publish-frame.ts) instead of through
 * mqtt-packet. Every frame it reads must come out as mqtt-packet reads it, and every frame mqtt-packet
 * rejects must be left to mqtt-packet: checked on the library's own seed and parse-error frames and on
 * generated ones (QoS 0–3, flags, multi-byte and invalid UTF-8 topics, short, long and lying lengths). This
 * fails the day an mqtt-packet upgrade reads a PUBLISH differently.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import mqttPacket, { type Packet } from "mqtt-packet";
import { readPublishFrame } from "../../runtime/internal.js";

function fixture(name: string): { hex: string }[] {
  const json = JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as { seeds?: { hex: string }[]; vectors?: { hex: string }[] };
  return json.seeds ?? json.vectors ?? [];
}

/** What mqtt-packet (MQTT 3.1.1 parser, as the gate's) makes of one frame: a packet with nothing left over, or undefined. */
function reference(frame: Buffer): Packet | undefined {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let packet: Packet | undefined;
  let failed = false;
  parser.on("packet", (p: Packet) => (packet ??= p));
  parser.on("error", () => (failed = true));
  const leftover = parser.parse(frame);
  return failed || leftover > 0 ? undefined : packet;
}

function remainingLength(length: number): number[] {
  const out: number[] = [];
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

function check(frame: Buffer): "read" | "left" {
  const fast = readPublishFrame(frame);
  const slow = reference(frame);
  if (fast === undefined) return "left";
  assert.ok(slow !== undefined, `read a frame mqtt-packet rejects: ${frame.toString("hex")}`);
  assert.equal(slow.cmd, "publish");
  const expected = slow as Packet & { retain: boolean; qos: number; dup: boolean; length: number; topic: string; payload: Buffer; messageId?: number };
  assert.deepEqual(
    { cmd: fast.cmd, retain: fast.retain, qos: fast.qos, dup: fast.dup, length: fast.length, topic: fast.topic, messageId: fast.messageId, payload: Buffer.from(fast.payload as Buffer).toString("hex") },
    { cmd: expected.cmd, retain: expected.retain, qos: expected.qos, dup: expected.dup, length: expected.length, topic: expected.topic, messageId: expected.messageId, payload: Buffer.from(expected.payload).toString("hex") },
    frame.toString("hex"),
  );
  return "read";
}

test("mqtt-packet's seed and parse-error frames: the gate reads the PUBLISH frames as mqtt-packet does and leaves the rest to it", () => {
  let read = 0;
  for (const { hex } of [...fixture("gate-fuzz/mqtt-packet-seeds.json"), ...fixture("gate/mqtt-packet-parse-errors.json")]) {
    if (check(Buffer.from(hex, "hex")) === "read") read++;
  }
  assert.ok(read > 0, "some seed frames are PUBLISH frames the gate reads itself");
});

test("generated PUBLISH frames: the same fields as mqtt-packet's, and what it rejects left to it", () => {
  // mulberry32: a fixed seed, so a failure names a frame that fails again.
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const topics = ["a", "helloworld/HD_say/1", "ü/HD_ä/7", "", "x".repeat(300), "\u{1F600}/HD_x"];
  let read = 0;
  let left = 0;
  for (let i = 0; i < 3000; i++) {
    const qos = random(4);
    const flags = (qos << 1) | random(2) | (random(2) << 3);
    let topic = Buffer.from(topics[random(topics.length)]!);
    if (random(10) === 0) topic = Buffer.from([0xff, 0xfe, 0x41]); // not UTF-8
    const payload = Buffer.alloc(random(4) === 0 ? 200 : random(20), 0x61 + random(20));
    const id = qos > 0 ? [random(256), random(256)] : [];
    let body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.from(id), payload]);
    // Lies: a topic length past the end, a body cut short (no message id), a declared length that differs.
    const lie = random(8);
    if (lie === 0) body[1] = (body[1]! + 1 + random(50)) & 0xff;
    if (lie === 1) body = body.subarray(0, random(Math.max(1, 2 + topic.length + id.length)));
    let declared = body.length;
    if (lie === 2) declared += 1 + random(3);
    const frame = Buffer.concat([Buffer.from([0x30 | flags, ...remainingLength(declared)]), body]);
    if (check(frame) === "read") read++;
    else left++;
  }
  assert.ok(read > 1000 && left > 100, `read ${read}, left ${left}`);
});
