/**
 * google.protobuf.Struct as a plain JSON object (`JsonObject`), the type protoc-gen-es gives a Struct field:
 * nobody wants to write `{ fields: { a: { kind: { case: "string_value", value: "x" } } } }`. On the wire it is
 * exactly the Struct message (map<string, Value> fields = 1) a Go peer's `structpb` reads; its JSON is the
 * object itself. Value and ListValue stay generated messages (as in protobuf-es), with their JSON in wkt.ts.
 *
 * Browser-safe on purpose (generated types use it): no `node:` imports, no Buffer.
 */
import type { MessageType, ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { compareByCodePoint, goJsonStringify } from "./gojson.js";
import { describe, fail } from "./scalar.js";
import { registerMessageType } from "./type-registry.js";
import { newReader, newWriter, readString, writeString, type Reader, type Writer } from "./wire.js";

export type JsonValue = number | string | boolean | null | JsonObject | JsonValue[];
export type JsonObject = { [key: string]: JsonValue };

const STRUCT = "google.protobuf.Struct";
/** Nesting bound for hostile input (protobuf-es' JSON recursion limit is the same 100). */
export const MAX_JSON_DEPTH = 100;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

// Keys of Value's oneof (null_value = 1 … list_value = 6) and of the map entry / list element (field 1, 2).
const NULL_KEY = (1 << 3) | 0;
const NUMBER_KEY = (2 << 3) | 1;
const STRING_KEY = (3 << 3) | 2;
const BOOL_KEY = (4 << 3) | 0;
const STRUCT_KEY = (5 << 3) | 2;
const LIST_KEY = (6 << 3) | 2;
const FIELD1_KEY = (1 << 3) | 2;
const FIELD2_KEY = (2 << 3) | 2;

export function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function tooDeep(path: string): never {
  throw new BadArgumentError(`${path}: JSON value nested deeper than ${MAX_JSON_DEPTH} levels`);
}

function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** A checked deep copy: only JSON values; `finite` refuses NaN/±Infinity (JSON has no way to write them). */
export function copyJson(value: unknown, path: string, finite: boolean, depth = 0): JsonValue {
  if (depth > MAX_JSON_DEPTH) tooDeep(path);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (finite && !Number.isFinite(value)) throw new BadArgumentError(`${path}: google.protobuf.Value cannot be NaN or Infinity in JSON`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => copyJson(item, `${path}[${i}]`, finite, depth + 1));
  if (!isJsonObject(value)) fail(path, "a JSON value", value);
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const inner = value[key];
    // As JSON.stringify: a key whose value is undefined is not there.
    if (inner !== undefined) setOwn(out, key, copyJson(inner, `${path}.${key}`, finite, depth + 1));
  }
  return out;
}

function writeValue(writer: Writer, value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) tooDeep(path);
  if (value === null) writer.uint32(NULL_KEY).int32(0);
  else if (typeof value === "number") writer.uint32(NUMBER_KEY).double(value);
  else if (typeof value === "string") writeString(writer.uint32(STRING_KEY), value);
  else if (typeof value === "boolean") writer.uint32(BOOL_KEY).bool(value);
  else if (Array.isArray(value)) {
    writer.uint32(LIST_KEY).fork();
    writeList(writer, value, path, depth + 1);
    writer.ldelim();
  } else if (isJsonObject(value)) {
    writer.uint32(STRUCT_KEY).fork();
    writeStruct(writer, value, path, depth + 1);
    writer.ldelim();
  } else fail(path, "a JSON value", value);
}

function writeList(writer: Writer, list: readonly unknown[], path: string, depth: number): void {
  for (let i = 0; i < list.length; i++) {
    writer.uint32(FIELD1_KEY).fork();
    writeValue(writer, list[i], `${path}[${i}]`, depth);
    writer.ldelim();
  }
}

/** Keys in code-point order, as Go's deterministic marshalling writes map entries. */
function writeStruct(writer: Writer, object: JsonObject, path: string, depth: number): void {
  for (const key of Object.keys(object).sort(compareByCodePoint)) {
    const value = object[key];
    if (value === undefined) continue;
    writer.uint32(FIELD1_KEY).fork();
    writeString(writer.uint32(FIELD1_KEY), key);
    writer.uint32(FIELD2_KEY).fork();
    writeValue(writer, value, `${path}.${key}`, depth);
    writer.ldelim();
    writer.ldelim();
  }
}

function lengthEnd(reader: Reader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  return end;
}

/** A Value with no kind set (which protobuf's JSON cannot write either) reads as null. */
function readValue(reader: Reader, end: number, depth: number): JsonValue {
  if (depth > MAX_JSON_DEPTH) tooDeep(STRUCT);
  let out: JsonValue = null;
  while (reader.pos < end) {
    const key = reader.uint32();
    if (key >>> 3 === 0) throw new RangeError("field number 0");
    if (key === NULL_KEY) {
      reader.int32();
      out = null;
    } else if (key === NUMBER_KEY) out = reader.double();
    else if (key === STRING_KEY) out = readString(reader);
    else if (key === BOOL_KEY) out = reader.bool();
    else if (key === STRUCT_KEY) out = readStruct(reader, lengthEnd(reader), depth + 1);
    else if (key === LIST_KEY) out = readList(reader, lengthEnd(reader), depth + 1);
    else reader.skipType(key & 7);
  }
  if (reader.pos !== end) throw new RangeError("google.protobuf.Value overruns its length");
  return out;
}

function readList(reader: Reader, end: number, depth: number): JsonValue[] {
  const out: JsonValue[] = [];
  while (reader.pos < end) {
    const key = reader.uint32();
    if (key >>> 3 === 0) throw new RangeError("field number 0");
    if (key === FIELD1_KEY) out.push(readValue(reader, lengthEnd(reader), depth));
    else reader.skipType(key & 7);
  }
  if (reader.pos !== end) throw new RangeError("google.protobuf.ListValue overruns its length");
  return out;
}

function readStruct(reader: Reader, end: number, depth: number): JsonObject {
  const out: JsonObject = {};
  while (reader.pos < end) {
    const key = reader.uint32();
    if (key >>> 3 === 0) throw new RangeError("field number 0");
    if (key !== FIELD1_KEY) {
      reader.skipType(key & 7);
      continue;
    }
    const entryEnd = lengthEnd(reader);
    let name = "";
    let value: JsonValue = null;
    while (reader.pos < entryEnd) {
      const entryKey = reader.uint32();
      if (entryKey === FIELD1_KEY) name = readString(reader);
      else if (entryKey === FIELD2_KEY) value = readValue(reader, lengthEnd(reader), depth);
      else reader.skipType(entryKey & 7);
    }
    if (reader.pos !== entryEnd) throw new RangeError("map entry of google.protobuf.Struct overruns its length");
    setOwn(out, name, value);
  }
  if (reader.pos !== end) throw new RangeError("google.protobuf.Struct overruns its length");
  return out;
}

function encodeStruct(value: JsonObject): Uint8Array {
  if (!isJsonObject(value)) fail(STRUCT, "a JSON object", value);
  const writer = newWriter();
  writeStruct(writer, value, STRUCT, 0);
  return writer.finish();
}

function decodeStruct(bytes: Uint8Array): JsonObject {
  if (!(bytes instanceof Uint8Array)) throw new BadArgumentError(`${STRUCT}: expected bytes, got ${describe(bytes)}`);
  try {
    return readStruct(newReader(bytes), bytes.length, 0);
  } catch (error) {
    if (error instanceof BadArgumentError) throw error;
    throw new BadArgumentError(`${STRUCT}: malformed protobuf (${(error as Error).message})`, { cause: error });
  }
}

function structFromJson(json: unknown, path = STRUCT): JsonObject {
  if (!isJsonObject(json)) fail(path, "a JSON object", json);
  return copyJson(json, path, false) as JsonObject;
}

const structToJson = (value: JsonObject): JsonObject => copyJson(value, STRUCT, true) as JsonObject;

const protoCodec: ValueCodec<JsonObject> = {
  tag: `proto@${STRUCT}`,
  encode: encodeStruct,
  decode(bytes, tag) {
    if (tag === "null") return {};
    if (!tag.startsWith("proto@") && !tag.startsWith("marshal@")) {
      throw new BadArgumentError(`${STRUCT}: cannot decode tag "${tag}" (expected "proto@…", "marshal@…" or "null")`);
    }
    return decodeStruct(bytes);
  },
  clone: (value) => copyJson(value, STRUCT, false) as JsonObject,
  toJson: structToJson,
  fromJson: (json) => (json === undefined || json === null ? {} : structFromJson(json)),
};

const jsonCodec: ValueCodec<JsonObject> = {
  tag: "map",
  encode: (value) => utf8Encoder.encode(goJsonStringify(structToJson(value))),
  decode(bytes, tag) {
    if (tag === "null") return {};
    if (tag !== "map" && tag !== "bytes") throw new BadArgumentError(`${STRUCT}: cannot decode tag "${tag}" as JSON (expected "map", "bytes" or "null")`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8Decoder.decode(bytes));
    } catch (error) {
      throw new BadArgumentError(`${STRUCT}: invalid JSON (${(error as Error).message})`, { cause: error });
    }
    return structFromJson(parsed);
  },
  clone: protoCodec.clone,
  toJson: structToJson,
  fromJson: protoCodec.fromJson,
};

/** The MessageType generated code names `Struct` (`export type Struct = JsonObject`). */
export const structMessage: MessageType<JsonObject> = {
  typeName: STRUCT,
  fields: [],
  create: (init) => (init === undefined ? {} : (copyJson(init, STRUCT, false) as JsonObject)),
  encode: encodeStruct,
  decode: decodeStruct,
  toJson: structToJson,
  fromJson: (json) => structFromJson(json),
  clone: protoCodec.clone,
  codec: protoCodec,
  jsonCodec,
};
registerMessageType(structMessage);
