/**
 * Reflective proto3 codec over the field tables generated code emits (see MessageType in descriptor.ts).
 * Binary output is byte-identical to protoc/protobufjs for the same message: fields in field-number
 * order, zero values of implicit-presence fields omitted, repeated scalars packed, map entries with key
 * and value always written (in sorted key order, like Go's deterministic marshalling).
 *
 * Browser-safe on purpose (the generated gate client uses it): no `node:` imports, no Buffer.
 */
import protobuf from "protobufjs/minimal.js";
import type { EnumType, FieldDescriptor, FieldType, MessageType, ScalarKind, ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { compareByCodePoint, decodeBase64, encodeBase64, goJsonStringify, setOwn } from "./values.js";

type Writer = protobuf.Writer;
type Reader = protobuf.Reader;
type Fields = Record<string, unknown>;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

// ---------------------------------------------------------------------------------------------------
// Wire helpers shared with the hand-written RPC envelope codec.

/** protobufjs takes any `{low, high}` as a Long; this keeps all 64 bits without the long package. */
function longBits(value: bigint): { low: number; high: number; unsigned: boolean } {
  const unsigned = BigInt.asUintN(64, value);
  return { low: Number(unsigned & 0xffffffffn), high: Number(unsigned >> 32n), unsigned: false };
}

export function writeVarint64(writer: Writer, value: bigint): Writer {
  return writer.uint64(longBits(value) as unknown as number);
}

export function newWriter(): Writer {
  // The base Writer (not Node's BufferWriter) so output is a plain Uint8Array everywhere.
  return new protobuf.Writer();
}

// The two 32-bit halves of the last varint read; module state avoids an allocation per read.
let varintLow = 0;
let varintHigh = 0;

function readVarint64Halves(reader: Reader): void {
  const buf = reader.buf;
  const len = reader.len;
  let pos = reader.pos;
  let low = 0;
  let high = 0;
  let byte = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= len) throw new RangeError("varint runs past the end of the buffer");
    byte = buf[pos++];
    low |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      reader.pos = pos;
      varintLow = low >>> 0;
      varintHigh = 0;
      return;
    }
  }
  if (pos >= len) throw new RangeError("varint runs past the end of the buffer");
  byte = buf[pos++];
  low |= (byte & 0x0f) << 28;
  high = (byte & 0x7f) >> 4;
  if (byte >= 0x80) {
    let done = false;
    for (let shift = 3; shift <= 31; shift += 7) {
      if (pos >= len) throw new RangeError("varint runs past the end of the buffer");
      byte = buf[pos++];
      high |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        done = true;
        break;
      }
    }
    if (!done) throw new RangeError("varint longer than 10 bytes");
  }
  reader.pos = pos;
  varintLow = low >>> 0;
  varintHigh = high >>> 0;
}

/** Reads a varint as an unsigned 64-bit value (protobufjs would give a Long or a lossy number). */
export function readVarint64(reader: Reader): bigint {
  readVarint64Halves(reader);
  return varintHigh === 0 ? BigInt(varintLow) : (BigInt(varintHigh) << 32n) | BigInt(varintLow);
}

/** Reads an int64 varint as a number; undefined when it is outside the safe-integer range. */
export function readInt64AsNumber(reader: Reader): number | undefined {
  readVarint64Halves(reader);
  const value = (varintHigh | 0) * 4294967296 + varintLow;
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A copy, so decoded values never alias the (possibly pooled) network buffer. */
export function readBytesCopy(reader: Reader): Uint8Array {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  reader.pos = end;
  const buf = reader.buf;
  if (length <= 8) {
    // Many arguments and results are a few bytes: a loop beats making a view to copy from.
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = buf[start + i] as number;
    return out;
  }
  // new Uint8Array(view) copies into a plain Uint8Array even when the input is a Node Buffer.
  return new Uint8Array(buf.subarray(start, end));
}

const fromCharCode = String.fromCharCode;

function asciiTail(b: Uint8Array, p: number, n: number): string {
  switch (n) {
    case 1:
      return fromCharCode(b[p] as number);
    case 2:
      return fromCharCode(b[p] as number, b[p + 1] as number);
    case 3:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number);
    case 4:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number);
    case 5:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number, b[p + 4] as number);
    case 6:
      return fromCharCode(b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number, b[p + 4] as number, b[p + 5] as number);
    case 7:
      return fromCharCode(
        b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number, b[p + 4] as number, b[p + 5] as number, b[p + 6] as number,
      );
    default:
      return "";
  }
}

/**
 * Bytes `start..end` as a string when they are all ASCII, else undefined. Made with fromCharCode eight
 * characters at a time: for ids and other short strings that is several times cheaper than a TextDecoder
 * call (which also needs a view of the bytes made first).
 */
export function asciiString(b: Uint8Array, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) if ((b[i] as number) >= 0x80) return undefined;
  let out = "";
  let p = start;
  for (; p + 8 <= end; p += 8) {
    out += fromCharCode(
      b[p] as number, b[p + 1] as number, b[p + 2] as number, b[p + 3] as number,
      b[p + 4] as number, b[p + 5] as number, b[p + 6] as number, b[p + 7] as number,
    );
  }
  return p < end ? out + asciiTail(b, p, end - p) : out;
}

export function readString(reader: Reader): string {
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  reader.pos = end;
  const buf = reader.buf;
  if (length < 48) {
    // Short ASCII strings (ids, tags, handler names) dominate; skip TextDecoder's call overhead.
    let ascii = "";
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      ascii += String.fromCharCode(c);
    }
    return ascii;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const isWellFormed: (value: string) => boolean =
  typeof nativeIsWellFormed === "function" ? (value) => nativeIsWellFormed.call(value) : (value) => !LONE_SURROGATE.test(value);

export function writeString(writer: Writer, value: string): Writer {
  // protobufjs' own UTF-8 writer is the fast path, but it writes a lone surrogate as invalid UTF-8
  // (which Go's protobuf rejects); TextEncoder writes U+FFFD there instead.
  return isWellFormed(value) ? writer.string(value) : writer.bytes(utf8Encoder.encode(value));
}

export function newReader(bytes: Uint8Array): Reader {
  return new protobuf.Reader(bytes);
}

// ---------------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

function scalarWireType(scalar: ScalarKind): number {
  switch (scalar) {
    case "double":
      return WIRE_FIXED64;
    case "float":
      return WIRE_FIXED32;
    case "string":
    case "bytes":
      return WIRE_LENGTH;
    default:
      return WIRE_VARINT;
  }
}

function fieldWireType(type: FieldType): number {
  if (type.kind === "scalar") return scalarWireType(type.scalar);
  if (type.kind === "enum") return WIRE_VARINT;
  return WIRE_LENGTH;
}

function scalarZero(scalar: ScalarKind): unknown {
  switch (scalar) {
    case "bool":
      return false;
    case "int64":
    case "uint64":
      return 0n;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function isZeroScalar(scalar: ScalarKind, value: unknown): boolean {
  switch (scalar) {
    case "bool":
      return value === false;
    case "int64":
    case "uint64":
      return value === 0n;
    case "string":
      return value === "";
    case "bytes":
      return (value as Uint8Array).length === 0;
    default:
      // -0 is written, as Go's protobuf does: only +0 is the default.
      return Object.is(value, 0);
  }
}

function writeScalar(writer: Writer, scalar: ScalarKind, value: unknown): void {
  switch (scalar) {
    case "bool":
      writer.bool(value as boolean);
      return;
    case "int32":
      writer.int32(value as number);
      return;
    case "uint32":
      writer.uint32(value as number);
      return;
    case "int64":
    case "uint64":
      writeVarint64(writer, value as bigint);
      return;
    case "float":
      writer.float(value as number);
      return;
    case "double":
      writer.double(value as number);
      return;
    case "string":
      writeString(writer, value as string);
      return;
    case "bytes":
      writer.bytes(value as Uint8Array);
      return;
  }
}

function readScalar(reader: Reader, scalar: ScalarKind): unknown {
  switch (scalar) {
    case "bool":
      return readInt64AsNumber(reader) !== 0;
    case "int32":
      return reader.int32();
    case "uint32":
      return reader.uint32();
    case "int64":
      return BigInt.asIntN(64, readVarint64(reader));
    case "uint64":
      return readVarint64(reader);
    case "float":
      return reader.float();
    case "double":
      return reader.double();
    case "string":
      return readString(reader);
    case "bytes":
      return readBytesCopy(reader);
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function fail(path: string, expected: string, value: unknown): never {
  throw new BadArgumentError(`${path}: expected ${expected}, got ${describe(value)}`);
}

/** Protobuf JSON mapping input for one scalar; accepts what protobuf's JSON parsers accept. */
function scalarFromJson(scalar: ScalarKind, value: unknown, path: string): unknown {
  switch (scalar) {
    case "bool":
      if (typeof value !== "boolean") fail(path, "a boolean", value);
      return value;
    case "string":
      if (typeof value !== "string") fail(path, "a string", value);
      return value;
    case "bytes":
      if (value instanceof Uint8Array) return new Uint8Array(value);
      if (typeof value !== "string") fail(path, "a base64 string", value);
      try {
        return decodeBase64(value);
      } catch {
        return fail(path, "a base64 string", value);
      }
    case "int32":
    case "uint32": {
      const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      const [min, max] = scalar === "int32" ? [INT32_MIN, INT32_MAX] : [0, UINT32_MAX];
      if (typeof number !== "number" || !Number.isInteger(number) || number < min || number > max) {
        fail(path, `an integer in ${scalar} range`, value);
      }
      return number;
    }
    case "int64":
    case "uint64": {
      let big: bigint | undefined;
      if (typeof value === "bigint") big = value;
      else if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
      else if (typeof value === "string" && /^-?\d+$/.test(value)) big = BigInt(value);
      const [min, max] = scalar === "int64" ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
      if (big === undefined || big < min || big > max) fail(path, `an integer (or decimal string) in ${scalar} range`, value);
      return big;
    }
    case "float":
    case "double": {
      if (typeof value === "number") return scalar === "float" ? Math.fround(value) : value;
      if (value === "NaN") return NaN;
      if (value === "Infinity") return Infinity;
      if (value === "-Infinity") return -Infinity;
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
      return fail(path, "a number", value);
    }
  }
}

function scalarToJson(scalar: ScalarKind, value: unknown): unknown {
  switch (scalar) {
    case "int64":
    case "uint64":
      return (value as bigint).toString();
    case "bytes":
      return encodeBase64(value as Uint8Array);
    case "float":
    case "double": {
      const number = value as number;
      if (Number.isNaN(number)) return "NaN";
      if (number === Infinity) return "Infinity";
      if (number === -Infinity) return "-Infinity";
      return number;
    }
    default:
      return value;
  }
}

/** Encoding validation: the value's JS type must match the field, so garbage never reaches the wire. */
function checkScalar(scalar: ScalarKind, value: unknown, path: string): void {
  switch (scalar) {
    case "bool":
      if (typeof value !== "boolean") fail(path, "a boolean", value);
      return;
    case "string":
      if (typeof value !== "string") fail(path, "a string", value);
      return;
    case "bytes":
      if (!(value instanceof Uint8Array)) fail(path, "a Uint8Array", value);
      return;
    case "int32":
      if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        fail(path, "an integer in int32 range", value);
      }
      return;
    case "uint32":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
        fail(path, "an integer in uint32 range", value);
      }
      return;
    case "int64":
      if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) fail(path, "a bigint in int64 range", value);
      return;
    case "uint64":
      if (typeof value !== "bigint" || value < 0n || value > UINT64_MAX) fail(path, "a bigint in uint64 range", value);
      return;
    case "float":
    case "double":
      if (typeof value !== "number") fail(path, "a number", value);
      return;
  }
}

function mapKeyFromString(scalar: ScalarKind, key: string, path: string): unknown {
  switch (scalar) {
    case "string":
      return key;
    case "bool":
      if (key !== "true" && key !== "false") fail(path, 'map key "true" or "false"', key);
      return key === "true";
    case "int32":
    case "uint32":
    case "int64":
    case "uint64":
      if (!/^-?\d+$/.test(key)) fail(path, `an integer map key`, key);
      return scalarFromJson(scalar, key, path);
    default:
      return fail(path, "a valid map key type", scalar);
  }
}

function compareMapKeys(scalar: ScalarKind): (a: string, b: string) => number {
  switch (scalar) {
    case "int32":
    case "uint32":
    case "int64":
    case "uint64":
      return (a, b) => {
        const x = BigInt(a);
        const y = BigInt(b);
        return x < y ? -1 : x > y ? 1 : 0;
      };
    case "bool":
      return (a, b) => (a === b ? 0 : a === "false" ? -1 : 1);
    default:
      // Go sorts string keys by their UTF-8 bytes.
      return compareByCodePoint;
  }
}

// ---------------------------------------------------------------------------------------------------

interface FieldPlan {
  readonly desc: FieldDescriptor;
  readonly name: string;
  /** Key (tag) of a single element on the wire. */
  readonly key: number;
  readonly wireType: number;
  readonly packable: boolean;
}

function isPackable(type: FieldType): boolean {
  return type.kind === "enum" || (type.kind === "scalar" && type.scalar !== "string" && type.scalar !== "bytes");
}

class ReflectMessageType<T extends object> implements MessageType<T> {
  readonly typeName: string;
  readonly codec: ValueCodec<T>;
  readonly jsonCodec: ValueCodec<T>;
  private readonly fieldThunk: () => FieldDescriptor[];
  private planCache: { fields: readonly FieldDescriptor[]; ordered: FieldPlan[]; byNumber: Map<number, FieldPlan>; byName: Map<string, FieldPlan> } | undefined;

  constructor(typeName: string, fields: () => FieldDescriptor[]) {
    this.typeName = typeName;
    this.fieldThunk = fields;
    const proto = `proto@${typeName}`;
    this.codec = {
      tag: proto,
      encode: (value) => this.encode(value),
      decode: (bytes, tag) => {
        if (tag === "null") return this.create();
        if (!tag.startsWith("proto@") && !tag.startsWith("marshal@")) {
          throw new BadArgumentError(`${typeName}: cannot decode tag "${tag}" (expected "proto@…", "marshal@…" or "null")`);
        }
        return this.decode(bytes);
      },
      clone: (value) => this.clone(value),
    };
    this.jsonCodec = {
      tag: "map",
      encode: (value) => utf8Encoder.encode(goJsonStringify(this.toJson(value))),
      decode: (bytes, tag) => {
        if (tag === "null") return this.create();
        // mqant json-decodes a `bytes` argument into a struct parameter, so accept that too.
        if (tag !== "map" && tag !== "bytes") {
          throw new BadArgumentError(`${typeName}: cannot decode tag "${tag}" as JSON (expected "map", "bytes" or "null")`);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(utf8Decoder.decode(bytes));
        } catch (error) {
          throw new BadArgumentError(`${typeName}: invalid JSON (${(error as Error).message})`, { cause: error });
        }
        return this.fromJson(parsed);
      },
      clone: (value) => this.clone(value),
    };
  }

  /** Resolved lazily: field tables may refer to messages defined later in the same file. */
  private get plan() {
    if (this.planCache === undefined) {
      const fields = this.fieldThunk();
      const ordered = [...fields]
        .sort((a, b) => a.no - b.no)
        .map((desc): FieldPlan => {
          const packable = desc.cardinality === "repeated" && isPackable(desc.type);
          const wireType = desc.cardinality === "map" ? WIRE_LENGTH : fieldWireType(desc.type);
          return { desc, name: desc.name, key: ((desc.no << 3) | wireType) >>> 0, wireType, packable };
        });
      this.planCache = {
        fields,
        ordered,
        byNumber: new Map(ordered.map((plan) => [plan.desc.no, plan])),
        byName: new Map(ordered.map((plan) => [plan.name, plan])),
      };
    }
    return this.planCache;
  }

  get fields(): readonly FieldDescriptor[] {
    return this.plan.fields;
  }

  create(init?: Partial<T>): T {
    const message: Fields = {};
    for (const { desc } of this.plan.ordered) {
      if (desc.cardinality === "repeated") message[desc.name] = [];
      else if (desc.cardinality === "map") message[desc.name] = {};
      else if (desc.cardinality === "singular" && desc.type.kind !== "message") message[desc.name] = zeroOf(desc.type);
    }
    if (init !== undefined) {
      for (const key of Object.keys(init)) {
        const value = (init as Fields)[key];
        if (value !== undefined) message[key] = value;
      }
    }
    return message as T;
  }

  encode(message: T): Uint8Array {
    const writer = newWriter();
    this.encodeTo(message as Fields, writer, this.typeName);
    return writer.finish();
  }

  /** @internal */
  encodeTo(message: Fields, writer: Writer, path: string): void {
    if (typeof message !== "object" || message === null) fail(path, "an object", message);
    for (const plan of this.plan.ordered) {
      const { desc } = plan;
      const value = message[desc.name];
      if (value === undefined || value === null) continue;
      const fieldPath = `${path}.${desc.name}`;
      switch (desc.cardinality) {
        case "singular":
        case "optional":
          if (desc.cardinality === "singular" && desc.type.kind !== "message" && isZeroValue(desc.type, value, fieldPath)) continue;
          writer.uint32(plan.key);
          writeValue(writer, desc.type, value, fieldPath);
          break;
        case "repeated": {
          if (!Array.isArray(value)) fail(fieldPath, "an array", value);
          if (value.length === 0) continue;
          if (plan.packable) {
            writer.uint32(((desc.no << 3) | WIRE_LENGTH) >>> 0).fork();
            for (let i = 0; i < value.length; i++) writePackable(writer, desc.type, value[i], `${fieldPath}[${i}]`);
            writer.ldelim();
          } else {
            for (let i = 0; i < value.length; i++) {
              writer.uint32(plan.key);
              writeValue(writer, desc.type, value[i], `${fieldPath}[${i}]`);
            }
          }
          break;
        }
        case "map": {
          if (typeof value !== "object" || Array.isArray(value)) fail(fieldPath, "an object", value);
          const keyScalar = desc.mapKey ?? "string";
          const keys = Object.keys(value).sort(compareMapKeys(keyScalar));
          const valueKey = ((2 << 3) | fieldWireType(desc.type)) >>> 0;
          for (const key of keys) {
            const entryPath = `${fieldPath}[${JSON.stringify(key)}]`;
            const entryValue = (value as Fields)[key];
            writer.uint32(plan.key).fork();
            writer.uint32(((1 << 3) | scalarWireType(keyScalar)) >>> 0);
            writeScalar(writer, keyScalar, mapKeyFromString(keyScalar, key, entryPath));
            writer.uint32(valueKey);
            writeValue(writer, desc.type, entryValue ?? zeroOf(desc.type), entryPath);
            writer.ldelim();
          }
          break;
        }
      }
    }
  }

  decode(bytes: Uint8Array): T {
    if (!(bytes instanceof Uint8Array)) throw new BadArgumentError(`${this.typeName}: expected bytes, got ${describe(bytes)}`);
    const reader = newReader(bytes);
    const message = this.create() as Fields;
    try {
      this.decodeFrom(reader, bytes.length, message);
    } catch (error) {
      if (error instanceof BadArgumentError) throw error;
      throw new BadArgumentError(`${this.typeName}: malformed protobuf (${(error as Error).message})`, { cause: error });
    }
    return message as T;
  }

  /** @internal */
  decodeFrom(reader: Reader, end: number, message: Fields): void {
    const { byNumber } = this.plan;
    while (reader.pos < end) {
      const key = reader.uint32();
      const number = key >>> 3;
      const wireType = key & 7;
      if (number === 0) throw new RangeError("field number 0");
      const plan = byNumber.get(number);
      if (plan === undefined) {
        reader.skipType(wireType);
        continue;
      }
      const { desc } = plan;
      if (desc.cardinality === "repeated") {
        const list = (message[desc.name] ??= []) as unknown[];
        if (plan.packable && wireType === WIRE_LENGTH) {
          const packedEnd = lengthEnd(reader);
          while (reader.pos < packedEnd) list.push(readValue(reader, desc.type));
          if (reader.pos !== packedEnd) throw new RangeError(`packed field ${desc.name} overruns its length`);
        } else if (wireType === plan.wireType) {
          list.push(readValue(reader, desc.type));
        } else {
          reader.skipType(wireType);
        }
      } else if (desc.cardinality === "map") {
        if (wireType !== WIRE_LENGTH) {
          reader.skipType(wireType);
          continue;
        }
        const map = (message[desc.name] ??= {}) as Fields;
        const entryEnd = lengthEnd(reader);
        const keyScalar = desc.mapKey ?? "string";
        let entryKey: unknown = scalarZero(keyScalar);
        let entryValue: unknown = undefined;
        while (reader.pos < entryEnd) {
          const entryTag = reader.uint32();
          if (entryTag >>> 3 === 1 && (entryTag & 7) === scalarWireType(keyScalar)) entryKey = readScalar(reader, keyScalar);
          else if (entryTag >>> 3 === 2 && (entryTag & 7) === fieldWireType(desc.type)) {
            entryValue = readValue(reader, desc.type);
          } else reader.skipType(entryTag & 7);
        }
        if (reader.pos !== entryEnd) throw new RangeError(`map entry of ${desc.name} overruns its length`);
        setOwn(map, String(entryKey), entryValue ?? zeroOf(desc.type));
      } else if (wireType !== plan.wireType) {
        // Go's protobuf keeps a field with an unexpected wire type as unknown; so do we.
        reader.skipType(wireType);
      } else if (desc.type.kind === "message") {
        const existing = message[desc.name];
        message[desc.name] = readMessage(reader, desc.type.message(), existing as Fields | undefined);
      } else {
        message[desc.name] = readValue(reader, desc.type);
      }
    }
    if (reader.pos !== end) throw new RangeError(`${this.typeName} overruns its length`);
  }

  toJson(message: T): Record<string, unknown> {
    return this.toJsonFields(message as Fields);
  }

  private toJsonFields(message: Fields): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const { desc } of this.plan.ordered) {
      const value = message[desc.name];
      if (value === undefined || value === null) continue;
      switch (desc.cardinality) {
        case "singular":
          if (desc.type.kind !== "message" && isZeroValue(desc.type, value, desc.name)) continue;
          json[desc.name] = valueToJson(desc.type, value);
          break;
        case "optional":
          json[desc.name] = valueToJson(desc.type, value);
          break;
        case "repeated":
          if ((value as unknown[]).length === 0) continue;
          json[desc.name] = (value as unknown[]).map((item) => valueToJson(desc.type, item));
          break;
        case "map": {
          const keys = Object.keys(value as Fields);
          if (keys.length === 0) continue;
          const out: Record<string, unknown> = {};
          for (const key of keys) setOwn(out, key, valueToJson(desc.type, (value as Fields)[key]));
          json[desc.name] = out;
          break;
        }
      }
    }
    return json;
  }

  fromJson(json: unknown): T {
    return this.fromJsonAt(json, this.typeName) as T;
  }

  /** @internal */
  fromJsonAt(json: unknown, path: string): Fields {
    if (typeof json !== "object" || json === null || Array.isArray(json) || json instanceof Uint8Array) {
      fail(path, "an object", json);
    }
    const message = this.create() as Fields;
    const { byName } = this.plan;
    for (const key of Object.keys(json)) {
      const plan = byName.get(key);
      // Unknown keys are ignored, as Go's encoding/json does for mqant's JSON arguments.
      if (plan === undefined) continue;
      const value = (json as Fields)[key];
      if (value === null || value === undefined) continue;
      const { desc } = plan;
      const fieldPath = `${path}.${desc.name}`;
      switch (desc.cardinality) {
        case "singular":
        case "optional":
          message[desc.name] = valueFromJson(desc.type, value, fieldPath);
          break;
        case "repeated":
          if (!Array.isArray(value)) fail(fieldPath, "an array", value);
          message[desc.name] = value.map((item, index) => valueFromJson(desc.type, item, `${fieldPath}[${index}]`));
          break;
        case "map": {
          if (typeof value !== "object" || Array.isArray(value)) fail(fieldPath, "an object", value);
          const out: Fields = {};
          const keyScalar = desc.mapKey ?? "string";
          for (const mapKey of Object.keys(value)) {
            const entryPath = `${fieldPath}[${JSON.stringify(mapKey)}]`;
            mapKeyFromString(keyScalar, mapKey, entryPath);
            setOwn(out, mapKey, valueFromJson(desc.type, (value as Fields)[mapKey], entryPath));
          }
          message[desc.name] = out;
          break;
        }
      }
    }
    return message;
  }

  clone(message: T): T {
    return this.cloneFields(message as Fields) as T;
  }

  /** @internal */
  cloneFields(message: Fields): Fields {
    const out: Fields = {};
    for (const { desc } of this.plan.ordered) {
      const value = message[desc.name];
      if (value === undefined) continue;
      if (value === null) {
        out[desc.name] = null;
        continue;
      }
      switch (desc.cardinality) {
        case "singular":
        case "optional":
          out[desc.name] = cloneOne(desc.type, value);
          break;
        case "repeated":
          out[desc.name] = (value as unknown[]).map((item) => cloneOne(desc.type, item));
          break;
        case "map": {
          const copy: Fields = {};
          for (const key of Object.keys(value as Fields)) setOwn(copy, key, cloneOne(desc.type, (value as Fields)[key]));
          out[desc.name] = copy;
          break;
        }
      }
    }
    return out;
  }
}

function lengthEnd(reader: Reader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  return end;
}

function zeroOf(type: FieldType): unknown {
  if (type.kind === "scalar") return scalarZero(type.scalar);
  if (type.kind === "enum") return 0;
  return type.message().create();
}

function isZeroValue(type: FieldType, value: unknown, path: string): boolean {
  if (type.kind === "scalar") {
    checkScalar(type.scalar, value, path);
    return isZeroScalar(type.scalar, value);
  }
  if (type.kind === "enum") {
    checkEnum(value, path);
    return value === 0;
  }
  return false;
}

function checkEnum(value: unknown, path: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    fail(path, "an enum number", value);
  }
}

function asReflect(type: MessageType<object>): ReflectMessageType<object> | undefined {
  return type instanceof ReflectMessageType ? type : undefined;
}

function writeValue(writer: Writer, type: FieldType, value: unknown, path: string): void {
  if (type.kind === "scalar") {
    checkScalar(type.scalar, value, path);
    writeScalar(writer, type.scalar, value);
  } else if (type.kind === "enum") {
    checkEnum(value, path);
    writer.int32(value as number);
  } else {
    const messageType = type.message();
    const reflect = asReflect(messageType);
    if (reflect !== undefined) {
      writer.fork();
      reflect.encodeTo(value as Fields, writer, path);
      writer.ldelim();
    } else {
      writer.bytes(messageType.encode(value as object));
    }
  }
}

function writePackable(writer: Writer, type: FieldType, value: unknown, path: string): void {
  if (type.kind === "enum") {
    checkEnum(value, path);
    writer.int32(value as number);
  } else if (type.kind === "scalar") {
    checkScalar(type.scalar, value, path);
    writeScalar(writer, type.scalar, value);
  }
}

function readValue(reader: Reader, type: FieldType): unknown {
  if (type.kind === "scalar") return readScalar(reader, type.scalar);
  if (type.kind === "enum") return reader.int32();
  return readMessage(reader, type.message(), undefined);
}

/** A repeated occurrence of a singular message field merges into the earlier one (proto semantics). */
function readMessage(reader: Reader, type: MessageType<object>, existing: Fields | undefined): Fields {
  const end = lengthEnd(reader);
  const reflect = asReflect(type);
  if (reflect === undefined) {
    const bytes = new Uint8Array(reader.buf.subarray(reader.pos, end));
    reader.pos = end;
    return type.decode(bytes) as Fields;
  }
  const message = existing ?? (reflect.create() as Fields);
  reflect.decodeFrom(reader, end, message);
  return message;
}

function valueToJson(type: FieldType, value: unknown): unknown {
  if (type.kind === "scalar") return scalarToJson(type.scalar, value);
  if (type.kind === "enum") {
    const name = enumName(type.enum, value as number);
    return name ?? value;
  }
  return type.message().toJson(value as object);
}

function valueFromJson(type: FieldType, value: unknown, path: string): unknown {
  if (type.kind === "scalar") return scalarFromJson(type.scalar, value, path);
  if (type.kind === "enum") {
    if (typeof value === "string") {
      const number = type.enum.values[value];
      if (number === undefined || !Object.hasOwn(type.enum.values, value)) {
        fail(path, `a value of enum ${type.enum.typeName} (${Object.keys(type.enum.values).join(", ")})`, value);
      }
      return number;
    }
    checkEnum(value, path);
    return value;
  }
  const messageType = type.message();
  const reflect = asReflect(messageType);
  if (reflect !== undefined) return reflect.fromJsonAt(value, path);
  try {
    return messageType.fromJson(value);
  } catch (error) {
    throw new BadArgumentError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

function cloneOne(type: FieldType, value: unknown): unknown {
  if (type.kind === "message") {
    const messageType = type.message();
    const reflect = asReflect(messageType);
    return reflect !== undefined ? reflect.cloneFields(value as Fields) : messageType.clone(value as object);
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

const enumNames = new WeakMap<EnumType, Map<number, string>>();

function enumName(type: EnumType, value: number): string | undefined {
  let names = enumNames.get(type);
  if (names === undefined) {
    names = new Map();
    // The first name wins for aliases, as protoc's JSON printer does.
    for (const [name, number] of Object.entries(type.values)) if (!names.has(number)) names.set(number, name);
    enumNames.set(type, names);
  }
  return names.get(value);
}

/** One row of a generated field table; rows keep the tables short to read and cheap to type-check. */
export function field(
  no: number,
  name: string,
  type: FieldType,
  cardinality: FieldDescriptor["cardinality"] = "singular",
  mapKey?: ScalarKind,
): FieldDescriptor {
  return mapKey === undefined ? { no, name, type, cardinality } : { no, name, type, cardinality, mapKey };
}

/** The field type of each scalar kind, shared by every generated field table. */
export const scalar: Readonly<Record<ScalarKind, FieldType>> = {
  bool: { kind: "scalar", scalar: "bool" },
  int32: { kind: "scalar", scalar: "int32" },
  int64: { kind: "scalar", scalar: "int64" },
  uint32: { kind: "scalar", scalar: "uint32" },
  uint64: { kind: "scalar", scalar: "uint64" },
  float: { kind: "scalar", scalar: "float" },
  double: { kind: "scalar", scalar: "double" },
  string: { kind: "scalar", scalar: "string" },
  bytes: { kind: "scalar", scalar: "bytes" },
};

/** A message type from a field table; `fields` is a thunk so messages may refer to each other. */
export function defineMessage<T extends object>(typeName: string, fields: () => FieldDescriptor[]): MessageType<T> {
  return new ReflectMessageType<T>(typeName, fields);
}

/** An enum: `values` maps names to numbers (the const object generated code also exports). */
export function defineEnum<const V extends Record<string, number>>(
  typeName: string,
  values: V,
): EnumType & { readonly values: V } {
  return Object.freeze({ typeName, values: Object.freeze({ ...values }) as V });
}
