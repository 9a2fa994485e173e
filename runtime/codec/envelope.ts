/**
 * mqant's RPC envelopes (`rpcpb.RPCInfo` request, `rpcpb.ResultInfo` reply), byte-identical to what Go
 * mqant writes: proto3, fields in number order, empty/zero fields omitted. Hand-written because every
 * call goes through here twice; the reflective codec in message.ts would cost an allocation per field.
 */
import { ProtocolError } from "../errors.js";
import type protobuf from "protobufjs/minimal.js";
import { asciiString, newReader, readBytesCopy, readInt64AsNumber, readVarint64 } from "./message.js";
import { slabAllocator } from "./slab.js";

type Reader = protobuf.Reader;

/** rpcpb.RPCInfo. */
export interface RPCInfo {
  /** Correlation id (uuid v4). */
  cid: string;
  /** Handler name as registered. */
  fn: string;
  /** Caller's reply subject; empty for fire-and-forget. */
  replyTo: string;
  /** Unused by mqant; carried for completeness. */
  track: string;
  /** Absolute deadline, unix ms (mqant's `Expired`). */
  expired: number;
  /** true = Call (a reply is expected), false = CallNR. */
  reply: boolean;
  argsType: string[];
  args: Uint8Array[];
  caller: string;
  hostname: string;
}

/** rpcpb.ResultInfo. */
export interface ResultInfo {
  cid: string;
  /** "" on success. */
  error: string;
  resultType: string;
  result: Uint8Array;
}

const EMPTY = new Uint8Array(0);

export function createRPCInfo(init: Partial<RPCInfo> = {}): RPCInfo {
  return {
    cid: init.cid ?? "",
    fn: init.fn ?? "",
    replyTo: init.replyTo ?? "",
    track: init.track ?? "",
    expired: init.expired ?? 0,
    reply: init.reply ?? false,
    argsType: init.argsType ?? [],
    args: init.args ?? [],
    caller: init.caller ?? "",
    hostname: init.hostname ?? "",
  };
}

export function createResultInfo(init: Partial<ResultInfo> = {}): ResultInfo {
  return { cid: init.cid ?? "", error: init.error ?? "", resultType: init.resultType ?? "", result: init.result ?? EMPTY };
}

// Encoding: the RPC envelopes are built by hand into one exactly sized buffer. The strings that repeat
// call after call (handler name, reply subject, caller, hostname, type tags, error texts) are encoded
// once and their finished field bytes (key, length, UTF-8) reused; only the Cid, the deadline and the
// arguments are written per call. Output is the same as protobufjs' Writer, which the tests check
// against bytes a real mqant wrote.

const utf8Encoder = new TextEncoder();
/** Per field key: string → its finished field bytes. Bounded so odd traffic cannot grow it forever. */
const FIELD_CACHE_LIMIT = 512;
const fieldCaches = new Map<number, Map<string, Uint8Array>>();

/** Envelopes up to 2 KiB are cut from 16 KiB slabs. */
const allocate = slabAllocator(16 * 1024, 2048);

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

function writeVarint32(buf: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buf[pos++] = value;
  return pos;
}

/** Key, length and UTF-8 of a string field (TextEncoder writes a lone surrogate as U+FFFD, as writeString). */
function buildStringField(key: number, value: string): Uint8Array {
  const bytes = utf8Encoder.encode(value);
  const field = new Uint8Array(1 + varintSize(bytes.length) + bytes.length);
  const pos = writeVarint32(field, writeVarint32(field, 0, key), bytes.length);
  field.set(bytes, pos);
  return field;
}

/** The finished bytes of a string field whose value repeats across calls. */
function stringField(key: number, value: string): Uint8Array {
  let cache = fieldCaches.get(key);
  if (cache === undefined) {
    cache = new Map();
    fieldCaches.set(key, cache);
  }
  let field = cache.get(value);
  if (field === undefined) {
    field = buildStringField(key, value);
    if (cache.size >= FIELD_CACHE_LIMIT) cache.clear();
    cache.set(value, field);
  }
  return field;
}

/**
 * Size of a per-call string field (the Cid). Ids are ASCII, written straight from the string; anything else
 * is encoded through TextEncoder into `cidField`, which the write step then copies.
 */
function cidFieldSize(value: string): number {
  cidField = undefined;
  if (value === "") return 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    if (value.charCodeAt(i) >= 0x80) {
      cidField = buildStringField(10, value);
      return cidField.length;
    }
  }
  return 1 + varintSize(length) + length;
}

function writeCidField(buf: Uint8Array, pos: number, value: string): number {
  if (cidField !== undefined) {
    buf.set(cidField, pos);
    return pos + cidField.length;
  }
  if (value === "") return pos;
  buf[pos++] = 10;
  pos = writeVarint32(buf, pos, value.length);
  for (let i = 0; i < value.length; i++) buf[pos++] = value.charCodeAt(i);
  return pos;
}

/** int64 varint of a safe integer (negative ones as 10 bytes of two's complement, as protobufjs). */
function int64Size(value: number): number {
  if (value < 0) return 10;
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeInt64(buf: Uint8Array, pos: number, value: number): number {
  if (value < 0) {
    let bits = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++) {
      buf[pos++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    buf[pos++] = Number(bits);
    return pos;
  }
  while (value >= 128) {
    buf[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

/** Copies a field; for a few bytes a loop beats TypedArray#set's call, past about 8 set() wins. */
function copyField(buf: Uint8Array, pos: number, field: Uint8Array): number {
  const length = field.length;
  if (length > 8) {
    buf.set(field, pos);
    return pos + length;
  }
  for (let i = 0; i < length; i++) buf[pos + i] = field[i] as number;
  return pos + length;
}

/**
 * The fields that stay the same from call to call of one caller and handler, as two finished byte runs:
 * Fn, ReplyTo and track before Expired, caller and hostname after the arguments.
 */
interface StaticFields {
  readonly fn: string;
  readonly replyTo: string;
  readonly track: string;
  readonly caller: string;
  readonly hostname: string;
  readonly head: Uint8Array;
  readonly tail: Uint8Array;
}

function concatFields(fields: readonly string[], keys: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < fields.length; i++) {
    const value = fields[i] as string;
    if (value === "") continue;
    const field = stringField(keys[i] as number, value);
    parts.push(field);
    size += field.length;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

function staticFields(info: RPCInfo): StaticFields {
  return {
    fn: info.fn,
    replyTo: info.replyTo,
    track: info.track,
    caller: info.caller,
    hostname: info.hostname,
    head: concatFields([info.fn, info.replyTo, info.track], [18, 26, 34]),
    tail: concatFields([info.caller, info.hostname], [74, 82]),
  };
}

/** The last call's static fields: consecutive calls usually share them, which saves five cache lookups. */
let lastStatic: StaticFields = staticFields(createRPCInfo());

// What sizeRPCInfo()/sizeResultInfo() measured, for the write that follows: encoding is synchronous, so one
// set of scratch state is enough. The tag fields live in a list that only grows (setting an array's
// length on every call is a slow path).
let measuredRequest: RPCInfo | undefined;
let measuredReply: ResultInfo | undefined;
let cidField: Uint8Array | undefined;
let errorField: Uint8Array | undefined;
let typeField: Uint8Array | undefined;
const tagFields: Uint8Array[] = [];

/**
 * Checks `info` and returns the size of its encoding; writeRPCInfo() then writes it. The two halves let the
 * NATS transport write the envelope straight into its PUB frame; nothing may be encoded in between.
 */
export function sizeRPCInfo(info: RPCInfo): number {
  const argsType = info.argsType;
  const args = info.args;
  if (argsType.length !== args.length) {
    throw new ProtocolError(`RPCInfo: ${argsType.length} argument types but ${args.length} arguments`);
  }
  if (!Number.isSafeInteger(info.expired)) throw new ProtocolError(`RPCInfo: expired must be an integer (unix ms), got ${info.expired}`);
  let size = cidFieldSize(info.cid);
  let fixed = lastStatic;
  if (
    info.fn !== fixed.fn ||
    info.replyTo !== fixed.replyTo ||
    info.track !== fixed.track ||
    info.caller !== fixed.caller ||
    info.hostname !== fixed.hostname
  ) {
    fixed = lastStatic = staticFields(info);
  }
  size += fixed.head.length + fixed.tail.length;
  if (info.expired !== 0) size += 1 + int64Size(info.expired);
  if (info.reply) size += 2;
  for (let i = 0; i < argsType.length; i++) {
    const field = stringField(58, argsType[i] as string);
    tagFields[i] = field;
    size += field.length;
  }
  // Go writes every element of a repeated bytes field, empty ones included (`42 00` for a nil argument).
  for (let i = 0; i < args.length; i++) {
    const length = (args[i] as Uint8Array).length;
    size += 1 + varintSize(length) + length;
  }
  measuredRequest = info;
  return size;
}

/** Writes the `info` sizeRPCInfo() just measured at `pos`; returns the position after it. */
export function writeRPCInfo(info: RPCInfo, buf: Uint8Array, pos: number): number {
  if (info !== measuredRequest) throw new ProtocolError("RPCInfo: writeRPCInfo without sizeRPCInfo");
  measuredRequest = undefined;
  const fixed = lastStatic;
  pos = writeCidField(buf, pos, info.cid);
  pos = copyField(buf, pos, fixed.head);
  if (info.expired !== 0) {
    buf[pos++] = 40;
    pos = writeInt64(buf, pos, info.expired);
  }
  if (info.reply) {
    buf[pos++] = 48;
    buf[pos++] = 1;
  }
  const count = info.argsType.length;
  for (let i = 0; i < count; i++) pos = copyField(buf, pos, tagFields[i] as Uint8Array);
  const args = info.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Uint8Array;
    buf[pos++] = 66;
    pos = writeVarint32(buf, pos, arg.length);
    pos = copyField(buf, pos, arg);
  }
  return copyField(buf, pos, fixed.tail);
}

export function encodeRPCInfo(info: RPCInfo): Uint8Array {
  const buf = allocate(sizeRPCInfo(info));
  writeRPCInfo(info, buf, 0);
  return buf;
}

/** As sizeRPCInfo(), for a ResultInfo and writeResultInfo(). */
export function sizeResultInfo(info: ResultInfo): number {
  let size = cidFieldSize(info.cid);
  // Error texts often carry per-call detail, so they are not cached.
  errorField = info.error !== "" ? buildStringField(18, info.error) : undefined;
  typeField = info.resultType !== "" ? stringField(34, info.resultType) : undefined;
  const result = info.result;
  if (errorField !== undefined) size += errorField.length;
  if (typeField !== undefined) size += typeField.length;
  if (result.length !== 0) size += 1 + varintSize(result.length) + result.length;
  measuredReply = info;
  return size;
}

/** Writes the `info` sizeResultInfo() just measured at `pos`; returns the position after it. */
export function writeResultInfo(info: ResultInfo, buf: Uint8Array, pos: number): number {
  if (info !== measuredReply) throw new ProtocolError("ResultInfo: writeResultInfo without sizeResultInfo");
  measuredReply = undefined;
  pos = writeCidField(buf, pos, info.cid);
  if (errorField !== undefined) pos = copyField(buf, pos, errorField);
  if (typeField !== undefined) pos = copyField(buf, pos, typeField);
  const result = info.result;
  if (result.length !== 0) {
    buf[pos++] = 42;
    pos = writeVarint32(buf, pos, result.length);
    pos = copyField(buf, pos, result);
  }
  return pos;
}

export function encodeResultInfo(info: ResultInfo): Uint8Array {
  const buf = allocate(sizeResultInfo(info));
  writeResultInfo(info, buf, 0);
  return buf;
}

function wrongWireType(message: string, field: number, wireType: number): never {
  throw new ProtocolError(`${message}: field ${field} has wire type ${wireType}`);
}

function malformed(message: string, error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(`${message}: malformed protobuf (${(error as Error).message})`, { cause: error });
}

function expect(message: string, field: number, wireType: number, expected: number): void {
  if (wireType !== expected) wrongWireType(message, field, wireType);
}

const utf8Decoder = new TextDecoder("utf-8");

/** A string field's last bytes and value: the same handler, reply subject, caller and tags arrive call after call. */
interface StringSlot {
  bytes: Uint8Array;
  value: string;
}

function newSlot(): StringSlot {
  return { bytes: new Uint8Array(0), value: "" };
}

function fieldBounds(reader: Reader): number {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  reader.pos = end;
  return start;
}

/** A per-call string (the Cid): short ASCII ones without TextDecoder, the rest (uuids…) through it. */
function readFreshString(reader: Reader): string {
  const start = fieldBounds(reader);
  const end = reader.pos;
  const buf = reader.buf;
  return (end - start <= 16 ? asciiString(buf, start, end) : undefined) ?? utf8Decoder.decode(buf.subarray(start, end));
}

function readRepeatedString(reader: Reader, slot: StringSlot): string {
  const start = fieldBounds(reader);
  const end = reader.pos;
  const buf = reader.buf;
  const cached = slot.bytes;
  const length = end - start;
  if (cached.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (buf[start + i] !== cached[i]) {
        same = false;
        break;
      }
    }
    if (same) return slot.value;
  }
  const bytes = buf.slice(start, end);
  const value = utf8Decoder.decode(bytes);
  slot.bytes = bytes;
  slot.value = value;
  return value;
}

const requestSlots = { fn: newSlot(), replyTo: newSlot(), track: newSlot(), tag: newSlot(), caller: newSlot(), hostname: newSlot() };
const replySlots = { error: newSlot(), resultType: newSlot() };

export function decodeRPCInfo(bytes: Uint8Array): RPCInfo {
  const info = createRPCInfo();
  const reader = newReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const key = reader.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      switch (field) {
        case 1:
          expect("RPCInfo", field, wireType, 2);
          info.cid = readFreshString(reader);
          break;
        case 2:
          expect("RPCInfo", field, wireType, 2);
          info.fn = readRepeatedString(reader, requestSlots.fn);
          break;
        case 3:
          expect("RPCInfo", field, wireType, 2);
          info.replyTo = readRepeatedString(reader, requestSlots.replyTo);
          break;
        case 4:
          expect("RPCInfo", field, wireType, 2);
          info.track = readRepeatedString(reader, requestSlots.track);
          break;
        case 5: {
          expect("RPCInfo", field, wireType, 0);
          const start = reader.pos;
          const expired = readInt64AsNumber(reader);
          if (expired === undefined) {
            reader.pos = start;
            throw new ProtocolError(`RPCInfo: Expired ${BigInt.asIntN(64, readVarint64(reader))} is not a unix time in ms`);
          }
          info.expired = expired;
          break;
        }
        case 6:
          expect("RPCInfo", field, wireType, 0);
          info.reply = readInt64AsNumber(reader) !== 0;
          break;
        case 7:
          expect("RPCInfo", field, wireType, 2);
          info.argsType.push(readRepeatedString(reader, requestSlots.tag));
          break;
        case 8:
          expect("RPCInfo", field, wireType, 2);
          info.args.push(readBytesCopy(reader));
          break;
        case 9:
          expect("RPCInfo", field, wireType, 2);
          info.caller = readRepeatedString(reader, requestSlots.caller);
          break;
        case 10:
          expect("RPCInfo", field, wireType, 2);
          info.hostname = readRepeatedString(reader, requestSlots.hostname);
          break;
        default:
          if (field === 0) throw new ProtocolError("RPCInfo: field number 0");
          reader.skipType(wireType);
      }
    }
  } catch (error) {
    throw malformed("RPCInfo", error);
  }
  if (info.argsType.length !== info.args.length) {
    throw new ProtocolError(`RPCInfo: ${info.argsType.length} argument types but ${info.args.length} arguments`);
  }
  return info;
}

export function decodeResultInfo(bytes: Uint8Array): ResultInfo {
  const info = createResultInfo();
  const reader = newReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const key = reader.uint32();
      const field = key >>> 3;
      const wireType = key & 7;
      switch (field) {
        case 1:
          expect("ResultInfo", field, wireType, 2);
          info.cid = readFreshString(reader);
          break;
        case 2:
          expect("ResultInfo", field, wireType, 2);
          info.error = readRepeatedString(reader, replySlots.error);
          break;
        case 4:
          expect("ResultInfo", field, wireType, 2);
          info.resultType = readRepeatedString(reader, replySlots.resultType);
          break;
        case 5:
          expect("ResultInfo", field, wireType, 2);
          info.result = readBytesCopy(reader);
          break;
        default:
          if (field === 0) throw new ProtocolError("ResultInfo: field number 0");
          reader.skipType(wireType);
      }
    }
  } catch (error) {
    throw malformed("ResultInfo", error);
  }
  return info;
}
