/**
 * Hand-written PUB frames: `PUB <subject> [<reply>] <size>\r\n<payload>\r\n` in one buffer with the
 * envelope encoded straight into it (see nats-internals.ts for why). Every subject that reaches a frame
 * (or nc.publish(), which also builds its PUB line from the string) passes isPublishableSubject first: a
 * subject comes from the wire (RPCInfo.ReplyTo) or from a registry, and a space, CR or LF in it would let
 * the sender write NATS protocol on this node's connection.
 */
import type { NatsConnection } from "nats";
import {
  encodeResultInfo,
  encodeRPCInfo,
  sizeResultInfo,
  sizeRPCInfo,
  writeResultInfo,
  writeRPCInfo,
  type ResultInfo,
  type RPCInfo,
} from "../codec/envelope.js";
import { slabAllocator } from "../codec/slab.js";
import type { ProtocolInternals } from "./nats-internals.js";
import { isPublishableSubject } from "./subject.js";

/** PUB frames up to 4 KiB are cut from 64 KiB slabs; a queued frame is never overwritten. */
const allocate = slabAllocator(64 * 1024, 4096);

/**
 * Starts of PUB lines by subject, `PUB <subject> ` or `PUB <subject> <reply prefix>` for one reply prefix
 * (node addresses and reply inboxes repeat call after call); null when a subject is valid but not ASCII
 * (nc.publish() sends it), REFUSED when it may not be published at all. Checking a subject once per
 * cache entry keeps the check off the per-call cost.
 */
export type Heads = Map<string, Uint8Array | null | typeof REFUSED>;
const REFUSED = 0;
const HEAD_CACHE_LIMIT = 1024;
/** Heads without a reply subject (replies, fire-and-forget requests). */
export const plainHeads: Heads = new Map();

function buildHead(subject: string, replyPrefix: string): Uint8Array | null {
  const replyLength = replyPrefix === "" ? 0 : replyPrefix.length;
  const head = new Uint8Array(4 + subject.length + 1 + replyLength);
  head.set([0x50, 0x55, 0x42, 0x20]);
  let pos = 4;
  for (const text of replyPrefix === "" ? [subject] : [subject, " ", replyPrefix]) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return null;
      head[pos++] = code;
    }
  }
  if (replyPrefix === "") head[pos] = 0x20;
  return head;
}

function headOf(heads: Heads, subject: string, replyPrefix: string): Uint8Array | null | typeof REFUSED {
  let head = heads.get(subject);
  if (head === undefined) {
    head = isPublishableSubject(subject) ? buildHead(subject, replyPrefix) : REFUSED;
    if (heads.size >= HEAD_CACHE_LIMIT) heads.clear();
    heads.set(subject, head);
  }
  return head;
}

function digitCount(value: number, radix: number): number {
  let count = 1;
  while (value >= radix) {
    value = Math.floor(value / radix);
    count++;
  }
  return count;
}

/** Writes `value` in base `radix` (10 or 36, lower-case letters) so that it ends just before `end`. */
function writeDigits(buf: Uint8Array, end: number, value: number, radix: number): void {
  let pos = end;
  do {
    const digit = value % radix;
    buf[--pos] = digit < 10 ? 0x30 + digit : 0x57 + digit;
    value = Math.floor(value / radix);
  } while (value > 0);
}

/** Where the payload starts in the frame openFrame() returned last. */
let payloadAt = 0;

/**
 * A frame for a `size`-byte payload with its PUB line written, or undefined when nc.publish() must send it.
 * With `hasReply`, the head ends in a reply prefix, which `replyToken` (when not negative) completes.
 */
function openFrame(
  nc: NatsConnection,
  protocol: ProtocolInternals | undefined,
  head: Uint8Array | null,
  hasReply: boolean,
  replyToken: number,
  size: number,
): Uint8Array | undefined {
  if (protocol === undefined || head === null || nc.isClosed() || protocol.noMorePublishing === true) return undefined;
  const maxPayload = protocol.info?.max_payload;
  if (maxPayload !== undefined && size > maxPayload) return undefined;
  const tokenDigits = replyToken >= 0 ? digitCount(replyToken, 36) : 0;
  const sizeDigits = digitCount(size, 10);
  // Head, token, " " after a reply subject (a head without one ends in its space already), size, CRLF.
  const lineLength = head.length + (hasReply ? tokenDigits + 1 : 0) + sizeDigits + 2;
  const frame = allocate(lineLength + size + 2);
  frame.set(head);
  let pos = head.length;
  if (hasReply) {
    if (replyToken >= 0) {
      pos += tokenDigits;
      writeDigits(frame, pos, replyToken, 36);
    }
    frame[pos++] = 0x20;
  }
  pos += sizeDigits;
  writeDigits(frame, pos, size, 10);
  frame[pos++] = 0x0d;
  frame[pos++] = 0x0a;
  payloadAt = pos;
  return frame;
}

function sendFrame(protocol: ProtocolInternals, frame: Uint8Array, size: number): void {
  frame[frame.length - 2] = 0x0d;
  frame[frame.length - 1] = 0x0a;
  protocol.outBytes += size;
  protocol.outMsgs++;
  protocol.sendCommand(frame);
}

/**
 * Publishes a request as nc.publish(subject, encodeRPCInfo(req), { reply }) does, the reply subject being
 * `replyPrefix` (this transport's own, always valid) followed by `replyToken`; no reply subject when
 * `replyPrefix` is empty. `heads` caches PUB line starts for this reply prefix. False, and nothing sent,
 * when `subject` may not be published to.
 */
export function publishRequest(
  nc: NatsConnection,
  protocol: ProtocolInternals | undefined,
  heads: Heads,
  subject: string,
  replyPrefix: string,
  replyToken: number,
  req: RPCInfo,
): boolean {
  const head = headOf(heads, subject, replyPrefix);
  if (head === REFUSED) return false;
  const size = sizeRPCInfo(req);
  const hasReply = replyPrefix !== "";
  const frame = openFrame(nc, protocol, head, hasReply, replyToken, size);
  if (frame === undefined) {
    const reply = !hasReply ? undefined : replyToken >= 0 ? replyPrefix + replyToken.toString(36) : replyPrefix;
    nc.publish(subject, encodeRPCInfo(req), reply === undefined ? undefined : { reply });
    return true;
  }
  writeRPCInfo(req, frame, payloadAt);
  sendFrame(protocol as ProtocolInternals, frame, size);
  return true;
}

/**
 * Publishes a reply as nc.publish(replyTo, encodeResultInfo(reply)) does. False, and nothing sent, when
 * `replyTo` (from the request, so from anyone who can publish to this node) may not be published to.
 */
export function publishReply(nc: NatsConnection, protocol: ProtocolInternals | undefined, replyTo: string, reply: ResultInfo): boolean {
  const head = headOf(plainHeads, replyTo, "");
  if (head === REFUSED) return false;
  const size = sizeResultInfo(reply);
  const frame = openFrame(nc, protocol, head, false, -1, size);
  if (frame === undefined) {
    nc.publish(replyTo, encodeResultInfo(reply));
    return true;
  }
  writeResultInfo(reply, frame, payloadAt);
  sendFrame(protocol as ProtocolInternals, frame, size);
  return true;
}
