/**
 * The raw MQTT 3.1.1 client side of bench:gate's many-connection loads (fan-out, busy connections, storm):
 * a socket per client, packets written by hand and frames cut without a general parser, so that 10,000
 * clients in two load processes cost as little client CPU as possible — the same for every server measured.
 */
import { connect as connectTcp, type Socket } from "node:net";

const utf8 = new TextEncoder();

/** The topic fan-out pushes go out on: the gate's room pushes use it, the brokers' clients subscribe to it. */
export const FANOUT_TOPIC = "bench/room";

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

function packet(firstByte: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([firstByte, ...remainingLength(body.length)]), body]);
}

function str(text: string): Buffer {
  const bytes = utf8.encode(text);
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

export function connectPacket(clientId: string, keepaliveSec = 300): Buffer {
  // Protocol "MQTT", level 4, clean session.
  const header = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, keepaliveSec >> 8, keepaliveSec & 0xff]);
  return packet(0x10, Buffer.concat([header, str(clientId)]));
}

export function subscribePacket(topic: string, messageId = 1, qos = 0): Buffer {
  return packet(0x82, Buffer.concat([Buffer.from([messageId >> 8, messageId & 0xff]), str(topic), Buffer.from([qos])]));
}

export function publishPacket(topic: string, payload: Uint8Array): Buffer {
  return packet(0x30, Buffer.concat([str(topic), payload]));
}

/** Calls `onPacket(type, frame, bodyOffset)` for every whole frame in the stream of one socket. */
export class FrameReader {
  private pending: Buffer | undefined;
  private readonly onPacket: (type: number, frame: Buffer, bodyOffset: number) => void;

  constructor(onPacket: (type: number, frame: Buffer, bodyOffset: number) => void) {
    this.onPacket = onPacket;
  }

  push(chunk: Buffer): void {
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let offset = 0;
    while (data.length - offset >= 2) {
      let length = 0;
      let multiplier = 1;
      let i = offset + 1;
      let complete = false;
      for (; i < data.length && i <= offset + 4; i++) {
        const byte = data[i]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      const bodyOffset = i + 1 - offset;
      const end = offset + bodyOffset + length;
      if (end > data.length) break;
      this.onPacket(data[offset]! >> 4, data.subarray(offset, end), bodyOffset);
      offset = end;
    }
    if (offset < data.length) {
      this.pending = Buffer.from(data.subarray(offset));
    }
  }
}

/** The topic and payload of a QoS 0 PUBLISH frame. */
export function publishParts(frame: Buffer, bodyOffset: number): { topic: string; payloadOffset: number } {
  const topicLength = (frame[bodyOffset]! << 8) | frame[bodyOffset + 1]!;
  const topicStart = bodyOffset + 2;
  return { topic: frame.toString("utf8", topicStart, topicStart + topicLength), payloadOffset: topicStart + topicLength };
}

export const PUBLISH = 3;
export const CONNACK = 2;
export const SUBACK = 9;

/** Opens a TCP connection and sends CONNECT; resolves with the socket once it is connected (not yet CONNACKed). */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ port, host: "127.0.0.1", noDelay: true });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/**
 * The bench payload: 4 bytes sequence number, 8 bytes send time (ms since the epoch, as a double, from
 * performance.timeOrigin + performance.now(), comparable across processes of one machine), then filler.
 */
export function benchPayload(seq: number, size: number): Buffer {
  const payload = Buffer.alloc(Math.max(12, size), 0x61);
  payload.writeUInt32BE(seq, 0);
  payload.writeDoubleBE(performance.timeOrigin + performance.now(), 4);
  return payload;
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Latency histogram in 0.1 ms buckets up to 20 s (the last bucket holds everything beyond). */
export class Histogram {
  readonly buckets = new Uint32Array(200_001);
  count = 0;

  add(ms: number): void {
    const index = Math.min(this.buckets.length - 1, Math.max(0, Math.round(ms * 10)));
    this.buckets[index]!++;
    this.count++;
  }

  /** Non-empty buckets as [index, count] pairs, to send to the parent. */
  sparse(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.buckets.length; i++) if (this.buckets[i]! > 0) out.push([i, this.buckets[i]!]);
    return out;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
  }
}

/** The fraction-th latency (ms) of merged sparse histograms. */
export function percentileOf(parts: readonly (readonly [number, number])[][], fraction: number): number {
  const merged = new Map<number, number>();
  let total = 0;
  for (const part of parts) {
    for (const [index, count] of part) {
      merged.set(index, (merged.get(index) ?? 0) + count);
      total += count;
    }
  }
  if (total === 0) return Number.NaN;
  const target = Math.ceil(fraction * total);
  let seen = 0;
  for (const index of [...merged.keys()].sort((a, b) => a - b)) {
    seen += merged.get(index)!;
    if (seen >= target) return index / 10;
  }
  return Number.NaN;
}
