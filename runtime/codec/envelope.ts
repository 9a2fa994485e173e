/**
 * mqant's RPC envelopes (`rpcpb.RPCInfo` request, `rpcpb.ResultInfo` reply), byte-identical to what Go
 * mqant writes: proto3, fields in number order, empty/zero fields omitted. Hand-written (measured faster) because every
 * call goes through here twice; the reflective codec in message.ts would cost an allocation per field.
 */
import { ProtocolError } from "../errors.js";
import { slabAllocator } from "./slab.js";

export { createResultInfo, createRPCInfo, type ResultInfo, type RPCInfo } from "./envelope-types.js";
import { createRPCInfo, type ResultInfo, type RPCInfo } from "./envelope-types.js";

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
let errorCodeField: Uint8Array | undefined;
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
  errorCodeField = info.error !== "" && info.errorCode !== undefined && info.errorCode !== "" ? stringField(122, info.errorCode) : undefined;
  typeField = info.resultType !== "" ? stringField(34, info.resultType) : undefined;
  const result = info.result;
  if (errorField !== undefined) size += errorField.length;
  if (typeField !== undefined) size += typeField.length;
  if (result.length !== 0) size += 1 + varintSize(result.length) + result.length;
  if (errorCodeField !== undefined) size += errorCodeField.length;
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
  if (errorCodeField !== undefined) pos = copyField(buf, pos, errorCodeField);
  return pos;
}

export function encodeResultInfo(info: ResultInfo): Uint8Array {
  const buf = allocate(sizeResultInfo(info));
  writeResultInfo(info, buf, 0);
  return buf;
}

export { decodeRPCInfo, decodeResultInfo } from "./envelope-decode.js";
