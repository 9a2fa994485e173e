/**
 * The few packets the gate writes, encoded by hand: they are tiny and fixed, and the down-link PUBLISH is
 * on every request's hot path, where mqtt-packet's generic generator costs more than the bytes themselves.
 * Layouts are MQTT 3.1.1 §3; the captured mqant bytes (`20 02 00 00`, `d0 00`, …) are the same.
 */

export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

const PINGRESP = Buffer.from([0xd0, 0x00]);

export function connack(returnCode: number, sessionPresent = false): Buffer {
  return Buffer.from([0x20, 0x02, sessionPresent ? 1 : 0, returnCode]);
}

function ack(firstByte: number, messageId: number): Buffer {
  return Buffer.from([firstByte, 0x02, messageId >> 8, messageId & 0xff]);
}

export const puback = (messageId: number): Buffer => ack(0x40, messageId);
export const pubrec = (messageId: number): Buffer => ack(0x50, messageId);
export const pubcomp = (messageId: number): Buffer => ack(0x70, messageId);
export const unsuback = (messageId: number): Buffer => ack(0xb0, messageId);
export const pingresp = (): Buffer => PINGRESP;

export function suback(messageId: number, granted: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(2 + 2 + granted.length + 2);
  let offset = 0;
  out[offset++] = 0x90;
  offset = writeRemainingLength(out, offset, 2 + granted.length);
  out[offset++] = messageId >> 8;
  out[offset++] = messageId & 0xff;
  for (const code of granted) out[offset++] = code;
  return out.subarray(0, offset);
}

function remainingLengthSize(length: number): number {
  if (length < 128) return 1;
  if (length < 16_384) return 2;
  if (length < 2_097_152) return 3;
  return 4;
}

function writeRemainingLength(out: Buffer, offset: number, length: number): number {
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out[offset++] = byte;
  } while (value > 0);
  return offset;
}

/** Down-link PUBLISH: always QoS 0, no packet id, no retain (as mqant sends). */
export function publishQos0(topic: string, payload: Uint8Array): Buffer {
  const topicLength = Buffer.byteLength(topic);
  const remaining = 2 + topicLength + payload.length;
  const out = Buffer.allocUnsafe(1 + remainingLengthSize(remaining) + remaining);
  out[0] = 0x30;
  let offset = writeRemainingLength(out, 1, remaining);
  out[offset++] = topicLength >> 8;
  out[offset++] = topicLength & 0xff;
  offset += out.write(topic, offset, "utf8");
  out.set(payload, offset);
  return out;
}

export type FixedHeader =
  | { readonly state: "incomplete" }
  | { readonly state: "malformed" }
  | { readonly state: "complete"; readonly type: number; readonly headerLength: number; readonly remainingLength: number };

const INCOMPLETE: FixedHeader = { state: "incomplete" };
const MALFORMED: FixedHeader = { state: "malformed" };

/** Reads a fixed header at `offset` without consuming anything: type, header size, remaining length. */
export function readFixedHeader(bytes: Uint8Array, offset: number): FixedHeader {
  const available = bytes.length - offset;
  if (available < 2) return INCOMPLETE;
  let multiplier = 1;
  let remainingLength = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= available) return INCOMPLETE;
    const byte = bytes[offset + i];
    remainingLength += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      return { state: "complete", type: bytes[offset] >> 4, headerLength: 1 + i, remainingLength };
    }
    multiplier *= 128;
  }
  // A fifth length byte: MQTT allows at most four.
  return MALFORMED;
}
