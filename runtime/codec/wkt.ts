/**
 * Canonical proto3 JSON of the well-known types mqgen maps (what protoc-gen-es, Go's protojson and the
 * JSON spec use): Timestamp as an RFC 3339 string, Duration as "1.5s", wrappers as their bare value, Empty
 * as {}, Value as any JSON value, ListValue as an array, FieldMask as "a.b,cD", Any as the packed message's
 * JSON plus "@type". Applied where such a message is a field of another message; on the wire (binary) they
 * are plain messages, exactly what a Go mqant peer's generated code reads. Struct is a JSON object
 * throughout (struct.ts).
 */
import { BadArgumentError } from "../errors.js";
import type { Fields } from "./wire.js";
import { describe, scalarFromJson, scalarToJson } from "./scalar.js";
import type { MessageType, ScalarKind } from "../descriptor.js";
import { copyJson, isJsonObject, MAX_JSON_DEPTH, structMessage } from "./struct.js";
import type { JsonValue } from "./struct.js";
import { messageTypeNamed } from "./type-registry.js";

export interface WktJson {
  toJson(message: Fields): unknown;
  fromJson(json: unknown, path: string): Fields;
}

const MAX_SECONDS = 315_576_000_000n;
/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range the JSON mapping allows. */
const MIN_TIMESTAMP = -62_135_596_800n;
const MAX_TIMESTAMP = 253_402_300_799n;

function bad(path: string, expected: string, json: unknown): never {
  throw new BadArgumentError(`${path}: expected ${expected}, got ${JSON.stringify(json) ?? String(json)}`);
}

/** 0, 3, 6 or 9 fractional digits, as protobuf's JSON printers write them. */
function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const nine = String(nanos).padStart(9, "0");
  if (nanos % 1_000_000 === 0) return `.${nine.slice(0, 3)}`;
  if (nanos % 1000 === 0) return `.${nine.slice(0, 6)}`;
  return `.${nine}`;
}

const timestamp: WktJson = {
  toJson(m) {
    const seconds = BigInt((m["seconds"] as bigint | undefined) ?? 0n);
    const nanos = Number(m["nanos"] ?? 0);
    if (seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP || nanos < 0 || nanos > 999_999_999) {
      throw new BadArgumentError(`google.protobuf.Timestamp out of range: ${seconds}s ${nanos}ns`);
    }
    const iso = new Date(Number(seconds) * 1000).toISOString();
    return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
  },
  fromJson(json, path) {
    const match = typeof json === "string" ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(json) : null;
    if (match === null) return bad(path, "an RFC 3339 timestamp string", json);
    const [, base = "", digits = "", zone = "Z"] = match;
    const ms = Date.parse(`${base}${zone}`);
    if (Number.isNaN(ms)) return bad(path, "an RFC 3339 timestamp string", json);
    const seconds = BigInt(Math.floor(ms / 1000));
    if (seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP) return bad(path, "a timestamp between 0001-01-01 and 9999-12-31", json);
    return { seconds, nanos: Number(digits.padEnd(9, "0")) };
  },
};

const duration: WktJson = {
  toJson(m) {
    const seconds = BigInt((m["seconds"] as bigint | undefined) ?? 0n);
    const nanos = Number(m["nanos"] ?? 0);
    if (seconds < -MAX_SECONDS || seconds > MAX_SECONDS || Math.abs(nanos) > 999_999_999 || (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
      throw new BadArgumentError(`google.protobuf.Duration out of range: ${seconds}s ${nanos}ns`);
    }
    const negative = seconds < 0n || nanos < 0;
    const abs = seconds < 0n ? -seconds : seconds;
    return `${negative ? "-" : ""}${abs}${fraction(Math.abs(nanos))}s`;
  },
  fromJson(json, path) {
    const match = typeof json === "string" ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
    if (match === null) return bad(path, 'a duration string like "1.5s"', json);
    const [, minus, whole = "0", digits = ""] = match;
    const seconds = BigInt(whole);
    if (seconds > MAX_SECONDS) return bad(path, "a duration within ±315576000000s", json);
    const nanos = Number(digits.padEnd(9, "0"));
    return minus ? { seconds: -seconds, nanos: nanos === 0 ? 0 : -nanos } : { seconds, nanos };
  },
};

const empty: WktJson = {
  toJson: () => ({}),
  fromJson(json, path) {
    if (typeof json !== "object" || json === null || Array.isArray(json)) return bad(path, "an object", json);
    return {};
  },
};

function wrapper(scalar: ScalarKind): WktJson {
  return {
    toJson: (m) => scalarToJson(scalar, m["value"]),
    fromJson: (json, path) => ({ value: scalarFromJson(scalar, json, path) }),
  };
}

const VALUE = "google.protobuf.Value";

interface OneofSlot {
  readonly case?: string | undefined;
  readonly value?: unknown;
}

function valueToJson(m: Fields, depth: number): JsonValue {
  if (depth > MAX_JSON_DEPTH) throw new BadArgumentError(`${VALUE} nested deeper than ${MAX_JSON_DEPTH} levels`);
  const kind = (m["kind"] ?? {}) as OneofSlot;
  switch (kind.case) {
    case "null_value":
      return null;
    case "number_value":
      if (typeof kind.value !== "number" || !Number.isFinite(kind.value)) {
        throw new BadArgumentError(`${VALUE} cannot be NaN or Infinity in JSON (got ${describe(kind.value)})`);
      }
      return kind.value;
    case "string_value":
    case "bool_value":
      return copyJson(kind.value, VALUE, true);
    case "struct_value":
      return structMessage.toJson(kind.value as never) as JsonValue;
    case "list_value":
      return listToJson(kind.value as Fields, depth + 1);
    default:
      throw new BadArgumentError(`${VALUE} must have a value to be written as JSON (its kind is not set)`);
  }
}

function listToJson(m: Fields, depth: number): JsonValue[] {
  const values = (m["values"] ?? []) as Fields[];
  return values.map((item) => valueToJson(item, depth));
}

function valueFromJson(json: unknown, path: string, depth: number): Fields {
  if (depth > MAX_JSON_DEPTH) throw new BadArgumentError(`${path}: JSON value nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (json === null) return { kind: { case: "null_value", value: 0 } };
  switch (typeof json) {
    case "number":
      return { kind: { case: "number_value", value: json } };
    case "string":
      return { kind: { case: "string_value", value: json } };
    case "boolean":
      return { kind: { case: "bool_value", value: json } };
    default:
      if (Array.isArray(json)) return { kind: { case: "list_value", value: listFromJson(json, path, depth + 1) } };
      if (isJsonObject(json)) return { kind: { case: "struct_value", value: copyJson(json, path, false, depth + 1) } };
      return bad(path, "a JSON value", json);
  }
}

function listFromJson(json: unknown, path: string, depth: number): Fields {
  if (!Array.isArray(json)) return bad(path, "a JSON array", json);
  return { values: json.map((item, i) => valueFromJson(item, `${path}[${i}]`, depth)) };
}

/** protobuf's lowerCamelCase of a field path (`user.display_name` → `user.displayName`). */
function protoCamelCase(snake: string): string {
  let upperNext = false;
  let out = "";
  for (const c of snake) {
    if (c === "_") upperNext = true;
    else if (c >= "0" && c <= "9") {
      out += c;
      upperNext = false;
    } else {
      out += upperNext ? c.toUpperCase() : c;
      upperNext = false;
    }
  }
  return out;
}

const protoSnakeCase = (camel: string): string => camel.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

const fieldMask: WktJson = {
  toJson(m) {
    const paths = (m["paths"] ?? []) as string[];
    return paths
      .map((path) => {
        const camel = protoCamelCase(path);
        // A path like "a__b" or "aB" has no JSON form that reads back as itself.
        if (protoSnakeCase(camel) !== path) throw new BadArgumentError(`google.protobuf.FieldMask path "${path}" has no lowerCamelCase JSON form that reads back as itself`);
        return camel;
      })
      .join(",");
  },
  fromJson(json, path) {
    if (typeof json !== "string") return bad(path, 'a field mask string like "user.displayName,photo"', json);
    if (json === "") return { paths: [] };
    return {
      paths: json.split(",").map((p) => {
        if (p.includes("_")) return bad(path, "lowerCamelCase path names", json);
        return protoSnakeCase(p);
      }),
    };
  },
};

/** Packed types whose JSON is not an object of fields sit under "value" inside an Any. */
const OWN_JSON_FORM = new Set([
  "google.protobuf.Any",
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.FieldMask",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

function typeNameOfUrl(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

function packedType(url: string, path: string): MessageType<object> {
  const name = typeNameOfUrl(url);
  const type = name === "" ? undefined : messageTypeNamed(name);
  if (type === undefined) {
    throw new BadArgumentError(`${path}: google.protobuf.Any holds "${url.slice(0, 200)}", a message no generated types loaded in this process define, so it has no JSON form here`);
  }
  return type;
}

/** How many Any are being read or written inside each other right now (hostile input nests them). */
let anyDepth = 0;

function nested<T>(path: string, run: () => T): T {
  if (anyDepth >= MAX_JSON_DEPTH) throw new BadArgumentError(`${path}: google.protobuf.Any nested deeper than ${MAX_JSON_DEPTH} levels`);
  anyDepth++;
  try {
    return run();
  } finally {
    anyDepth--;
  }
}

const any: WktJson = {
  toJson: (m) => nested("google.protobuf.Any", () => anyToJson(m)),
  fromJson: (json, path) => nested(path, () => anyFromJson(json, path)),
};

function anyToJson(m: Fields): unknown {
  const url = String(m["type_url"] ?? "");
  if (url === "") return {};
  const type = packedType(url, "google.protobuf.Any");
  const packed = type.decode((m["value"] as Uint8Array | undefined) ?? new Uint8Array(0));
  const json = messageJson(type, packed);
  // protobuf-es writes "@type" after the packed fields; JSON readers take the keys in any order.
  const out: Record<string, unknown> = OWN_JSON_FORM.has(type.typeName) ? { value: json } : { ...(json as Record<string, unknown>) };
  out["@type"] = url;
  return out;
}

function anyFromJson(json: unknown, path: string): Fields {
  if (!isJsonObject(json)) return bad(path, "an object", json);
  if (Object.keys(json).length === 0) return { type_url: "", value: new Uint8Array(0) };
  const url = json["@type"];
  if (typeof url !== "string" || url === "") return bad(path, 'an object with a non-empty "@type"', json);
  const type = packedType(url, path);
  let packed: object;
  if (OWN_JSON_FORM.has(type.typeName) && Object.prototype.hasOwnProperty.call(json, "value")) {
    packed = messageFromJson(type, json["value"], `${path}.value`);
  } else {
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(json)) if (key !== "@type") Object.defineProperty(rest, key, { value: json[key], enumerable: true, writable: true, configurable: true });
    packed = messageFromJson(type, rest, path);
  }
  return { type_url: url, value: type.encode(packed) };
}

function messageJson(type: MessageType<object>, message: object): unknown {
  const wkt = WKT_JSON.get(type.typeName);
  return wkt !== undefined ? wkt.toJson(message as Fields) : type.toJson(message);
}

function messageFromJson(type: MessageType<object>, json: unknown, path: string): object {
  const wkt = WKT_JSON.get(type.typeName);
  if (wkt !== undefined) return type.create(wkt.fromJson(json, path) as never);
  try {
    return type.fromJson(json);
  } catch (error) {
    throw new BadArgumentError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

const WKT_JSON: ReadonlyMap<string, WktJson> = new Map([
  [VALUE, { toJson: (m) => valueToJson(m, 0), fromJson: (json, path) => valueFromJson(json, path, 0) }],
  ["google.protobuf.ListValue", { toJson: (m) => listToJson(m, 0), fromJson: (json, path) => listFromJson(json, path, 0) }],
  ["google.protobuf.FieldMask", fieldMask],
  ["google.protobuf.Any", any],
  ["google.protobuf.Timestamp", timestamp],
  ["google.protobuf.Duration", duration],
  ["google.protobuf.Empty", empty],
  ["google.protobuf.DoubleValue", wrapper("double")],
  ["google.protobuf.FloatValue", wrapper("float")],
  ["google.protobuf.Int64Value", wrapper("int64")],
  ["google.protobuf.UInt64Value", wrapper("uint64")],
  ["google.protobuf.Int32Value", wrapper("int32")],
  ["google.protobuf.UInt32Value", wrapper("uint32")],
  ["google.protobuf.BoolValue", wrapper("bool")],
  ["google.protobuf.StringValue", wrapper("string")],
  ["google.protobuf.BytesValue", wrapper("bytes")],
]);

/** The canonical JSON form of a well-known type, if `typeName` is one mqgen maps. */
export function wktJson(typeName: string): WktJson | undefined {
  return WKT_JSON.get(typeName);
}

/** The well-known types mqgen maps (the generator refuses the others by name). */
export const MAPPED_WELL_KNOWN_TYPES: readonly string[] = [...WKT_JSON.keys(), structMessage.typeName];

/** A field of this type reads JSON `null` as a value (Value's null_value, NullValue's only value), not as "absent". */
export function readsJsonNull(typeName: string): boolean {
  return typeName === VALUE || typeName === "google.protobuf.NullValue";
}
