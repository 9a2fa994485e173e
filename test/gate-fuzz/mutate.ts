/**
 * Packet mutations for the gate fuzz test. Deterministic for a given seed so a crash can be replayed
 * (the test prints its seed; set GATE_FUZZ_SEED to reuse it).
 */
import { readFileSync } from "node:fs";
import mqttPacket from "mqtt-packet";

export type Random = () => number;

/** mulberry32: small, fast, good enough to spread mutations; not for anything secret. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[int(random, items.length)];
}

function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = int(random, 256);
  return out;
}

/** MQTT's variable-length "remaining length" (1–4 bytes). */
function encodeRemainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0 && bytes.length < 4);
  return Buffer.from(bytes);
}

/** Where the variable header starts, or the packet length when the remaining length is malformed. */
function headerEnd(packet: Buffer): number {
  let i = 1;
  while (i < packet.length && i < 5 && (packet[i] & 0x80) !== 0) i++;
  return Math.min(i + 1, packet.length);
}

export interface Seed {
  readonly cmd: string;
  readonly bytes: Buffer;
}

const fixture = new URL("../fixtures/gate-fuzz/mqtt-packet-seeds.json", import.meta.url);

/** mqtt-packet's own valid test packets, plus the packets a gate client really sends. */
export function loadSeeds(): Seed[] {
  const parsed = JSON.parse(readFileSync(fixture, "utf8")) as { seeds: { cmd: string; hex: string }[] };
  const seeds: Seed[] = parsed.seeds.map((seed) => ({ cmd: seed.cmd, bytes: Buffer.from(seed.hex, "hex") }));
  const gateTraffic: mqttPacket.Packet[] = [
    { cmd: "publish", topic: "fuzzecho/HD_echo/1", payload: Buffer.from('{"n":1}'), qos: 0, retain: false, dup: false },
    { cmd: "publish", topic: "fuzzecho/HD_echo/2", payload: Buffer.from('{"n":2}'), qos: 1, messageId: 7, retain: false, dup: false },
    { cmd: "publish", topic: "fuzzecho/HD_echo/3", payload: Buffer.from("raw"), qos: 2, messageId: 8, retain: false, dup: false },
    { cmd: "publish", topic: "fuzzecho/HD_echo", payload: Buffer.from("{}"), qos: 0, retain: false, dup: false },
    { cmd: "publish", topic: "nosuch/HD_x/4", payload: Buffer.from("{}"), qos: 1, messageId: 9, retain: false, dup: false },
    { cmd: "subscribe", messageId: 3, subscriptions: [{ topic: "chat/#", qos: 1 }, { topic: "a/+/b", qos: 2 }] },
    { cmd: "unsubscribe", messageId: 4, unsubscriptions: ["chat/#"] },
    { cmd: "pubrel", messageId: 8 },
    { cmd: "puback", messageId: 1 },
    { cmd: "pingreq" },
    { cmd: "disconnect" },
  ];
  for (const packet of gateTraffic) seeds.push({ cmd: packet.cmd, bytes: mqttPacket.generate(packet) });
  return seeds;
}

/** A CONNECT the gate accepts, so what follows reaches the packet handlers. */
export function goodConnect(clientId: string): Buffer {
  return mqttPacket.generate({
    cmd: "connect",
    protocolId: "MQTT",
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: 30,
  });
}

type Mutation = (packet: Buffer, random: Random, seeds: readonly Seed[]) => Buffer;

const mutations: readonly Mutation[] = [
  function flipBits(packet, random) {
    const out = Buffer.from(packet);
    const flips = 1 + int(random, 3);
    for (let i = 0; i < flips && out.length > 0; i++) out[int(random, out.length)] ^= 1 << int(random, 8);
    return out;
  },
  function replaceByte(packet, random) {
    const out = Buffer.from(packet);
    if (out.length > 0) out[int(random, out.length)] = pick(random, [0x00, 0xff, 0x7f, 0x80, int(random, 256)]);
    return out;
  },
  function rewriteRemainingLength(packet, random) {
    const body = packet.subarray(headerEnd(packet));
    const length = pick(random, [0, 1, body.length - 1, body.length + 1, body.length * 2, 127, 128, 16_383, 65_535, 65_536, 268_435_455, int(random, 1 << 20)]);
    return Buffer.concat([packet.subarray(0, 1), encodeRemainingLength(Math.max(0, length)), body]);
  },
  function invalidRemainingLength(packet, random) {
    // Five continuation bytes: longer than MQTT allows.
    return Buffer.concat([packet.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0xff, int(random, 256)]), packet.subarray(headerEnd(packet))]);
  },
  function changeFlags(packet, random) {
    const out = Buffer.from(packet);
    if (out.length > 0) out[0] = (out[0] & 0xf0) | int(random, 16);
    return out;
  },
  function changeType(packet, random) {
    const out = Buffer.from(packet);
    if (out.length > 0) out[0] = (int(random, 16) << 4) | (out[0] & 0x0f);
    return out;
  },
  function truncate(packet, random) {
    return packet.subarray(0, int(random, packet.length));
  },
  function splice(packet, random, seeds) {
    const other = pick(random, seeds).bytes;
    return Buffer.concat([packet.subarray(0, int(random, packet.length + 1)), other.subarray(int(random, other.length + 1))]);
  },
  function insertBytes(packet, random) {
    const at = int(random, packet.length + 1);
    return Buffer.concat([packet.subarray(0, at), randomBytes(random, 1 + int(random, 8)), packet.subarray(at)]);
  },
  function deleteChunk(packet, random) {
    const at = int(random, packet.length + 1);
    return Buffer.concat([packet.subarray(0, at), packet.subarray(at + 1 + int(random, 8))]);
  },
  function duplicateChunk(packet, random) {
    const at = int(random, packet.length + 1);
    const chunk = packet.subarray(at, at + 1 + int(random, 16));
    return Buffer.concat([packet.subarray(0, at), chunk, chunk, packet.subarray(at)]);
  },
  function stringLengthOverflow(packet, random) {
    // Point a 2-byte length prefix (topic, client id, …) past the end of the packet.
    const out = Buffer.from(packet);
    const start = headerEnd(packet);
    if (out.length >= start + 2) out.writeUInt16BE(pick(random, [0xffff, out.length, 0x8000, 0]), start + int(random, Math.max(1, out.length - start - 1)));
    return out;
  },
  function garbage(_packet, random) {
    return randomBytes(random, 1 + int(random, 64));
  },
];

export function mutate(packet: Buffer, random: Random, seeds: readonly Seed[]): Buffer {
  let out = pick(random, mutations)(packet, random, seeds);
  // Sometimes stack a second mutation, which reaches states a single one cannot.
  if (random() < 0.25) out = pick(random, mutations)(out, random, seeds);
  return out;
}
