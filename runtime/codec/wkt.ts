/**
 * Canonical proto3 JSON of the well-known types mqgen maps (what protoc-gen-es, Go's protojson and the
 * JSON spec use): Timestamp as an RFC 3339 string, Duration as "1.5s", wrappers as their bare value, Empty
 * as {}. Applied where such a message is a field of another message; on the wire (binary) they are plain
 * messages, exactly what a Go mqant peer's generated code reads.
 */
import { BadArgumentError } from "../errors.js";
import type { Fields } from "./wire.js";
import { scalarFromJson, scalarToJson } from "./scalar.js";
import type { ScalarKind } from "../descriptor.js";

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

const WKT_JSON: ReadonlyMap<string, WktJson> = new Map([
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
export const MAPPED_WELL_KNOWN_TYPES: readonly string[] = [...WKT_JSON.keys()];
