/**
 * What a message table needs to know about each protobuf scalar kind: wire type, zero value, binary
 * read/write, proto3 JSON form, range checks and map-key handling (map keys sort by code point, as Go's
 * deterministic marshalling does).
 */
import type { FieldType, ScalarKind } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { compareByCodePoint, decodeBase64, encodeBase64 } from "./values.js";
import { readBytesCopy, readInt64AsNumber, readString, readVarint64, writeString, writeVarint64, type Reader, type Writer } from "./wire.js";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

export function scalarWireType(scalar: ScalarKind): number {
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

export function fieldWireType(type: FieldType): number {
  if (type.kind === "scalar") return scalarWireType(type.scalar);
  if (type.kind === "enum") return WIRE_VARINT;
  return WIRE_LENGTH;
}

export function scalarZero(scalar: ScalarKind): unknown {
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

export function isZeroScalar(scalar: ScalarKind, value: unknown): boolean {
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

export function writeScalar(writer: Writer, scalar: ScalarKind, value: unknown): void {
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

export function readScalar(reader: Reader, scalar: ScalarKind): unknown {
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

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "Uint8Array";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return typeof value;
}

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;
export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
export const UINT64_MAX = (1n << 64n) - 1n;

export function fail(path: string, expected: string, value: unknown): never {
  throw new BadArgumentError(`${path}: expected ${expected}, got ${describe(value)}`);
}

/** Protobuf JSON mapping input for one scalar; accepts what protobuf's JSON parsers accept. */
export function scalarFromJson(scalar: ScalarKind, value: unknown, path: string): unknown {
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

export function scalarToJson(scalar: ScalarKind, value: unknown): unknown {
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
export function checkScalar(scalar: ScalarKind, value: unknown, path: string): void {
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

export function mapKeyFromString(scalar: ScalarKind, key: string, path: string): unknown {
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

export function compareMapKeys(scalar: ScalarKind): (a: string, b: string) => number {
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

/** The zero value of a field type (proto3 implicit presence). */
export function zeroOf(type: FieldType): unknown {
  if (type.kind === "scalar") return scalarZero(type.scalar);
  if (type.kind === "enum") return 0;
  return type.message().create();
}

export function isZeroValue(type: FieldType, value: unknown, path: string): boolean {
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

export function checkEnum(value: unknown, path: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    fail(path, "an enum number", value);
  }
}
