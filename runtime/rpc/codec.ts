/**
 * mqant's RPC envelopes (`rpcpb.RPCInfo` request, `rpcpb.ResultInfo` reply), byte-identical to what Go
 * mqant writes: proto3, fields in number order, empty/zero fields omitted. Hand-written because every
 * call goes through here twice; the reflective codec in message.ts would cost an allocation per field.
 */
import { ProtocolError } from "../errors.js";
import type protobuf from "protobufjs/minimal.js";
import { newReader, readBytesCopy, readInt64AsNumber, readVarint64 } from "./message.js";
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
 * Writes a per-call string field (the Cid) assuming ASCII, which ids always are, in one pass; -1 when a
 * character is not ASCII (the caller then encodes the field through TextEncoder instead).
 */
function writeAsciiField(buf: Uint8Array, pos: number, key: number, value: string): number {
  buf[pos++] = key;
  pos = writeVarint32(buf, pos, value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) return -1;
    buf[pos++] = code;
  }
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

/** Reused between calls: encoding is synchronous, so one scratch list of type-tag fields is enough. */
const tagFields: Uint8Array[] = [];

/** The fields that stay the same from call to call of one caller and handler, and their total size. */
interface StaticFields {
  readonly fn: string;
  readonly replyTo: string;
  readonly track: string;
  readonly caller: string;
  readonly hostname: string;
  readonly fnField: Uint8Array | undefined;
  readonly replyToField: Uint8Array | undefined;
  readonly trackField: Uint8Array | undefined;
  readonly callerField: Uint8Array | undefined;
  readonly hostnameField: Uint8Array | undefined;
  readonly size: number;
}

function staticFields(info: RPCInfo): StaticFields {
  const fnField = info.fn !== "" ? stringField(18, info.fn) : undefined;
  const replyToField = info.replyTo !== "" ? stringField(26, info.replyTo) : undefined;
  const trackField = info.track !== "" ? stringField(34, info.track) : undefined;
  const callerField = info.caller !== "" ? stringField(74, info.caller) : undefined;
  const hostnameField = info.hostname !== "" ? stringField(82, info.hostname) : undefined;
  const size =
    (fnField?.length ?? 0) + (replyToField?.length ?? 0) + (trackField?.length ?? 0) + (callerField?.length ?? 0) + (hostnameField?.length ?? 0);
  return { fn: info.fn, replyTo: info.replyTo, track: info.track, caller: info.caller, hostname: info.hostname, fnField, replyToField, trackField, callerField, hostnameField, size };
}

/** The last call's static fields: consecutive calls usually share them, which saves five cache lookups. */
let lastStatic: StaticFields = staticFields({ cid: "", fn: "", replyTo: "", track: "", expired: 0, reply: false, argsType: [], args: [], caller: "", hostname: "" });

export function encodeRPCInfo(info: RPCInfo): Uint8Array {
  return encodeRPCInfoWith(info, true);
}

function encodeRPCInfoWith(info: RPCInfo, cidIsAscii: boolean): Uint8Array {
  const argsType = info.argsType;
  const args = info.args;
  if (argsType.length !== args.length) {
    throw new ProtocolError(`RPCInfo: ${argsType.length} argument types but ${args.length} arguments`);
  }
  if (!Number.isSafeInteger(info.expired)) throw new ProtocolError(`RPCInfo: expired must be an integer (unix ms), got ${info.expired}`);
  let size = 0;
  let cidField: Uint8Array | undefined;
  if (info.cid !== "") {
    if (cidIsAscii) {
      size += 1 + varintSize(info.cid.length) + info.cid.length;
    } else {
      cidField = buildStringField(10, info.cid);
      size += cidField.length;
    }
  }
  if (
    info.fn !== lastStatic.fn ||
    info.replyTo !== lastStatic.replyTo ||
    info.track !== lastStatic.track ||
    info.caller !== lastStatic.caller ||
    info.hostname !== lastStatic.hostname
  ) {
    lastStatic = staticFields(info);
  }
  const { fnField, replyToField, trackField, callerField, hostnameField } = lastStatic;
  size += lastStatic.size;
  if (info.expired !== 0) size += 1 + int64Size(info.expired);
  if (info.reply) size += 2;
  tagFields.length = argsType.length;
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

  const buf = allocate(size);
  let pos = 0;
  if (cidField !== undefined) {
    buf.set(cidField, pos);
    pos += cidField.length;
  } else if (info.cid !== "") {
    pos = writeAsciiField(buf, pos, 10, info.cid);
    if (pos < 0) return encodeRPCInfoWith(info, false);
  }
  if (fnField !== undefined) {
    buf.set(fnField, pos);
    pos += fnField.length;
  }
  if (replyToField !== undefined) {
    buf.set(replyToField, pos);
    pos += replyToField.length;
  }
  if (trackField !== undefined) {
    buf.set(trackField, pos);
    pos += trackField.length;
  }
  if (info.expired !== 0) {
    buf[pos++] = 40;
    pos = writeInt64(buf, pos, info.expired);
  }
  if (info.reply) {
    buf[pos++] = 48;
    buf[pos++] = 1;
  }
  for (let i = 0; i < tagFields.length; i++) {
    const field = tagFields[i] as Uint8Array;
    buf.set(field, pos);
    pos += field.length;
  }
  tagFields.length = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as Uint8Array;
    buf[pos++] = 66;
    pos = writeVarint32(buf, pos, arg.length);
    buf.set(arg, pos);
    pos += arg.length;
  }
  if (callerField !== undefined) {
    buf.set(callerField, pos);
    pos += callerField.length;
  }
  if (hostnameField !== undefined) buf.set(hostnameField, pos);
  return buf;
}

export function encodeResultInfo(info: ResultInfo): Uint8Array {
  return encodeResultInfoWith(info, true);
}

function encodeResultInfoWith(info: ResultInfo, cidIsAscii: boolean): Uint8Array {
  let size = 0;
  let cidField: Uint8Array | undefined;
  if (info.cid !== "") {
    if (cidIsAscii) {
      size += 1 + varintSize(info.cid.length) + info.cid.length;
    } else {
      cidField = buildStringField(10, info.cid);
      size += cidField.length;
    }
  }
  // Error texts often carry per-call detail, so they are not cached.
  const errorField = info.error !== "" ? buildStringField(18, info.error) : undefined;
  const typeField = info.resultType !== "" ? stringField(34, info.resultType) : undefined;
  const result = info.result;
  if (errorField !== undefined) size += errorField.length;
  if (typeField !== undefined) size += typeField.length;
  if (result.length !== 0) size += 1 + varintSize(result.length) + result.length;

  const buf = allocate(size);
  let pos = 0;
  if (cidField !== undefined) {
    buf.set(cidField, pos);
    pos += cidField.length;
  } else if (info.cid !== "") {
    pos = writeAsciiField(buf, pos, 10, info.cid);
    if (pos < 0) return encodeResultInfoWith(info, false);
  }
  if (errorField !== undefined) {
    buf.set(errorField, pos);
    pos += errorField.length;
  }
  if (typeField !== undefined) {
    buf.set(typeField, pos);
    pos += typeField.length;
  }
  if (result.length !== 0) {
    buf[pos++] = 42;
    pos = writeVarint32(buf, pos, result.length);
    buf.set(result, pos);
  }
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

/** A per-call string (the Cid); TextDecoder gives what readString gives, faster for ids. */
function readFreshString(reader: Reader): string {
  const start = fieldBounds(reader);
  return utf8Decoder.decode(reader.buf.subarray(start, reader.pos));
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
