/**
 * What a message table needs to know about each protobuf scalar kind — wire type, zero value, binary
 * read/write, proto3 JSON form, range checks and map-key handling (map keys sort by code point, as Go's
 * deterministic marshalling does) — as one table keyed by kind, so a kind is described in one place.
 */
import type { FieldType, ScalarKind } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { compareByCodePoint, decodeBase64, encodeBase64 } from "./values.js";
import { readBytesCopy, readInt64AsNumber, readString, readVarint64, writeString, writeVarint64, type Reader, type Writer } from "./wire.js";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}

export function fail(path: string, expected: string, value: unknown): never {
  throw new BadArgumentError(`${path}: expected ${expected}, got ${describe(value)}`);
}

/** A map key's text form (the object key) to its value, and the order keys are written in. */
export interface MapKeyForm {
  fromString(key: string, path: string): unknown;
  readonly compare: (a: string, b: string) => number;
}

/** Everything the message runtime needs of one scalar kind; one row per kind in `SCALARS`. */
export interface ScalarType {
  readonly wireType: number;
  zero(): unknown;
  isZero(value: unknown): boolean;
  /** Encoding validation: the value's JS type must match the field, so garbage never reaches the wire. */
  check(value: unknown, path: string): void;
  write(writer: Writer, value: unknown): void;
  read(reader: Reader): unknown;
  /** Protobuf JSON mapping input; accepts what protobuf's JSON parsers accept. */
  fromJson(value: unknown, path: string): unknown;
  toJson(value: unknown): unknown;
  /** Undefined for kinds that cannot be map keys (float, double, bytes). */
  readonly mapKey: MapKeyForm | undefined;
}

/**
 * What a kind shares with the others of its JavaScript type: sint/sfixed32 are int32, fixed32 is uint32,
 * sint/sfixed64 are int64, fixed64 is uint64 — same range, zero value and JSON form, another wire form.
 */
type Value = Omit<ScalarType, "wireType" | "write" | "read" | "mapKey">;

function integer(name: "int32" | "uint32", min: number, max: number): Value {
  return {
    zero: () => 0,
    // -0 is written, as Go's protobuf does: only +0 is the default.
    isZero: (value) => Object.is(value, 0),
    check(value, path) {
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) fail(path, `an integer in ${name} range`, value);
    },
    fromJson(value, path) {
      const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
      if (typeof number !== "number" || !Number.isInteger(number) || number < min || number > max) fail(path, `an integer in ${name} range`, value);
      return number;
    },
    toJson: (value) => value,
  };
}

function long(name: "int64" | "uint64", min: bigint, max: bigint): Value {
  return {
    zero: () => 0n,
    isZero: (value) => value === 0n,
    check(value, path) {
      if (typeof value !== "bigint" || value < min || value > max) fail(path, `a bigint in ${name} range`, value);
    },
    fromJson(value, path) {
      let big: bigint | undefined;
      if (typeof value === "bigint") big = value;
      else if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
      else if (typeof value === "string" && /^-?\d+$/.test(value)) big = BigInt(value);
      if (big === undefined || big < min || big > max) fail(path, `an integer (or decimal string) in ${name} range`, value);
      return big;
    },
    toJson: (value) => (value as bigint).toString(),
  };
}

function floating(round: (value: number) => number): Value {
  return {
    zero: () => 0,
    // -0 is written, as Go's protobuf does: only +0 is the default.
    isZero: (value) => Object.is(value, 0),
    check(value, path) {
      if (typeof value !== "number") fail(path, "a number", value);
    },
    fromJson(value, path) {
      if (typeof value === "number") return round(value);
      if (value === "NaN") return NaN;
      if (value === "Infinity") return Infinity;
      if (value === "-Infinity") return -Infinity;
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
      return fail(path, "a number", value);
    },
    toJson(value) {
      const number = value as number;
      if (Number.isNaN(number)) return "NaN";
      if (number === Infinity) return "Infinity";
      if (number === -Infinity) return "-Infinity";
      return number;
    },
  };
}

/** bool and string: the JSON form is the value itself. */
function plain(type: "boolean" | "string", zero: boolean | string): Value {
  const expected = type === "boolean" ? "a boolean" : "a string";
  return {
    zero: () => zero,
    isZero: (value) => value === zero,
    check(value, path) {
      if (typeof value !== type) fail(path, expected, value);
    },
    fromJson(value, path) {
      if (typeof value !== type) fail(path, expected, value);
      return value;
    },
    toJson: (value) => value,
  };
}

const BOOL = plain("boolean", false);
const STRING = plain("string", "");

const BYTES: Value = {
  zero: () => new Uint8Array(0),
  isZero: (value) => (value as Uint8Array).length === 0,
  check(value, path) {
    if (!(value instanceof Uint8Array)) fail(path, "a Uint8Array", value);
  },
  fromJson(value, path) {
    if (value instanceof Uint8Array) return new Uint8Array(value);
    if (typeof value !== "string") fail(path, "a base64 string", value);
    try {
      return decodeBase64(value);
    } catch {
      return fail(path, "a base64 string", value);
    }
  },
  toJson: (value) => encodeBase64(value as Uint8Array),
};

const INT32 = integer("int32", INT32_MIN, INT32_MAX);
const UINT32 = integer("uint32", 0, UINT32_MAX);
const INT64 = long("int64", INT64_MIN, INT64_MAX);
const UINT64 = long("uint64", 0n, UINT64_MAX);

function integerKey(value: Value): MapKeyForm {
  return {
    fromString(key, path) {
      if (!/^-?\d+$/.test(key)) fail(path, `an integer map key`, key);
      return value.fromJson(key, path);
    },
    compare(a, b) {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    },
  };
}

// Go sorts string keys by their UTF-8 bytes.
const STRING_KEY: MapKeyForm = { fromString: (key) => key, compare: compareByCodePoint };
const BOOL_KEY: MapKeyForm = {
  fromString(key, path) {
    if (key !== "true" && key !== "false") fail(path, 'map key "true" or "false"', key);
    return key === "true";
  },
  compare: (a, b) => (a === b ? 0 : a === "false" ? -1 : 1),
};

function writeFixed64(writer: Writer, value: unknown): void {
  const bits = BigInt.asUintN(64, value as bigint);
  writer.fixed32(Number(bits & 0xffffffffn));
  writer.fixed32(Number(bits >> 32n));
}

function readFixed64(reader: Reader): bigint {
  const low = BigInt(reader.fixed32());
  return (BigInt(reader.fixed32()) << 32n) | low;
}

/** The one table of scalar kinds: wire form, zero value, checks, JSON and map keys, by kind. */
export const SCALARS: Readonly<Record<ScalarKind, ScalarType>> = {
  bool: { ...BOOL, wireType: WIRE_VARINT, mapKey: BOOL_KEY, write: (w, v) => void w.bool(v as boolean), read: (r) => readInt64AsNumber(r) !== 0 },
  int32: { ...INT32, wireType: WIRE_VARINT, mapKey: integerKey(INT32), write: (w, v) => void w.int32(v as number), read: (r) => r.int32() },
  uint32: { ...UINT32, wireType: WIRE_VARINT, mapKey: integerKey(UINT32), write: (w, v) => void w.uint32(v as number), read: (r) => r.uint32() },
  int64: { ...INT64, wireType: WIRE_VARINT, mapKey: integerKey(INT64), write: (w, v) => writeVarint64(w, v as bigint), read: (r) => BigInt.asIntN(64, readVarint64(r)) },
  uint64: { ...UINT64, wireType: WIRE_VARINT, mapKey: integerKey(UINT64), write: (w, v) => writeVarint64(w, v as bigint), read: (r) => readVarint64(r) },
  sint32: { ...INT32, wireType: WIRE_VARINT, mapKey: integerKey(INT32), write: (w, v) => void w.sint32(v as number), read: (r) => r.sint32() },
  sint64: {
    ...INT64,
    wireType: WIRE_VARINT,
    mapKey: integerKey(INT64),
    write: (w, v) => writeVarint64(w, BigInt.asUintN(64, ((v as bigint) << 1n) ^ ((v as bigint) >> 63n))),
    read(r) {
      const zigzag = readVarint64(r);
      return (zigzag >> 1n) ^ -(zigzag & 1n);
    },
  },
  fixed32: { ...UINT32, wireType: WIRE_FIXED32, mapKey: integerKey(UINT32), write: (w, v) => void w.fixed32(v as number), read: (r) => r.fixed32() },
  sfixed32: { ...INT32, wireType: WIRE_FIXED32, mapKey: integerKey(INT32), write: (w, v) => void w.sfixed32(v as number), read: (r) => r.sfixed32() },
  fixed64: { ...UINT64, wireType: WIRE_FIXED64, mapKey: integerKey(UINT64), write: writeFixed64, read: readFixed64 },
  sfixed64: { ...INT64, wireType: WIRE_FIXED64, mapKey: integerKey(INT64), write: writeFixed64, read: (r) => BigInt.asIntN(64, readFixed64(r)) },
  float: { ...floating(Math.fround), wireType: WIRE_FIXED32, mapKey: undefined, write: (w, v) => void w.float(v as number), read: (r) => r.float() },
  double: { ...floating((value) => value), wireType: WIRE_FIXED64, mapKey: undefined, write: (w, v) => void w.double(v as number), read: (r) => r.double() },
  string: { ...STRING, wireType: WIRE_LENGTH, mapKey: STRING_KEY, write: (w, v) => writeString(w, v as string), read: readString },
  bytes: { ...BYTES, wireType: WIRE_LENGTH, mapKey: undefined, write: (w, v) => void w.bytes(v as Uint8Array), read: readBytesCopy },
};

/** A map key kind's text form; a kind that cannot be a key (float, double, bytes) is a BadArgumentError. */
export function mapKeyForm(kind: ScalarKind, path: string): MapKeyForm {
  return SCALARS[kind].mapKey ?? fail(path, "a valid map key type", kind);
}

export function fieldWireType(type: FieldType): number {
  if (type.kind === "scalar") return SCALARS[type.scalar].wireType;
  if (type.kind === "enum") return WIRE_VARINT;
  return WIRE_LENGTH;
}

/** Protobuf JSON mapping input for one scalar (the wrapper well-known types use it too). */
export function scalarFromJson(kind: ScalarKind, value: unknown, path: string): unknown {
  return SCALARS[kind].fromJson(value, path);
}

export function scalarToJson(kind: ScalarKind, value: unknown): unknown {
  return SCALARS[kind].toJson(value);
}

// ---------------------------------------------------------------------------------------------------

/** The zero value of a field type (proto3 implicit presence). */
export function zeroOf(type: FieldType): unknown {
  if (type.kind === "scalar") return SCALARS[type.scalar].zero();
  if (type.kind === "enum") return 0;
  return type.message().create();
}

export function isZeroValue(type: FieldType, value: unknown, path: string): boolean {
  if (type.kind === "scalar") {
    const scalar = SCALARS[type.scalar];
    scalar.check(value, path);
    return scalar.isZero(value);
  }
  if (type.kind === "enum") {
    checkEnum(value, path);
    return value === 0;
  }
  return false;
}

export function checkEnum(value: unknown, path: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    fail(path, "an enum number", value);
  }
}
