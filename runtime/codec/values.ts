/**
 * Scalar ValueCodecs: one mqant argument/result value <-> the bytes mqant puts in RPCInfo.Args /
 * ResultInfo.Result. Layouts follow mqant v1.5.3 `utils/params_bytes.go` as confirmed by the captured
 * vectors: integers big-endian, floats little-endian (mqant's own asymmetry), maps as Go encoding/json.
 *
 * Browser-safe on purpose (no `node:` imports, no Buffer): the generated gate client uses these too.
 */
import type { ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { goJsonStringify } from "./gojson.js";
import { bytesFromJson, floatFromJson, integerFromJson, jsonOf, mapFromJson, mapstrFromJson, typedFromJson } from "./value-json.js";

export { compareByCodePoint, goJsonStringify } from "./gojson.js";
export { decodeBase64, encodeBase64 } from "./base64.js";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

/** Every codec also accepts mqant's `null` tag (a Go nil argument) and yields its zero value. */
function checkTag(codecName: string, expected: string, actual: string): boolean {
  if (actual === expected) return true;
  if (actual === "null") return false;
  throw new BadArgumentError(`${codecName}: cannot decode tag "${actual}" (expected "${expected}" or "null")`);
}

function checkLength(codecName: string, bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) {
    throw new BadArgumentError(`${codecName}: expected ${expected} bytes, got ${bytes.length}`);
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "Uint8Array";
  return typeof value;
}

/**
 * UTF-8 of a string. Short ASCII strings (names, ids, most RPC arguments) are copied by hand into a small
 * array: TextEncoder allocates a fresh ArrayBuffer outside the heap per call, which costs more than the copy.
 */
function encodeUtf8(value: string): Uint8Array {
  const length = value.length;
  if (length <= 64) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return utf8Encoder.encode(value);
      out[i] = code;
    }
    return out;
  }
  return utf8Encoder.encode(value);
}

export const stringCodec: ValueCodec<string> = {
  tag: "string",
  fromJson: (json) => typedFromJson<string>(json, "string"),
  toJson: (value) => value,
  encode(value) {
    if (typeof value !== "string") throw new BadArgumentError(`string: expected a string, got ${describe(value)}`);
    return encodeUtf8(value);
  },
  decode(bytes, tag) {
    if (!checkTag("string", "string", tag)) return "";
    return decodeUtf8(bytes);
  },
  clone: (value) => value,
  onWire(value) {
    if (typeof value !== "string") throw new BadArgumentError(`string: expected a string, got ${describe(value)}`);
    // Only a lone surrogate changes on the way (UTF-8 has no form for it: U+FFFD arrives); any surrogate
    // sends the string the long way, which is exact.
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdfff) return decodeUtf8(encodeUtf8(value));
    }
    return value;
  },
};

/** The reverse of encodeUtf8: very short ASCII by hand (TextDecoder's call costs more), the rest decoded. */
function decodeUtf8(bytes: Uint8Array): string {
  const length = bytes.length;
  if (length <= 16) {
    let out = "";
    for (let i = 0; i < length; i++) {
      const byte = bytes[i] as number;
      if (byte >= 0x80) return utf8Decoder.decode(bytes);
      out += String.fromCharCode(byte);
    }
    return out;
  }
  return utf8Decoder.decode(bytes);
}

export const boolCodec: ValueCodec<boolean> = {
  tag: "bool",
  fromJson: (json) => typedFromJson<boolean>(json, "boolean"),
  toJson: (value) => value,
  encode(value) {
    if (typeof value !== "boolean") throw new BadArgumentError(`bool: expected a boolean, got ${describe(value)}`);
    return Uint8Array.of(value ? 1 : 0);
  },
  decode(bytes, tag) {
    if (!checkTag("bool", "bool", tag)) return false;
    checkLength("bool", bytes, 1);
    // Go's BytesToBool is `b[0] != 0`.
    return bytes[0] !== 0;
  },
  clone: (value) => value,
};

export const int32Codec: ValueCodec<number> = {
  tag: "int",
  fromJson: (json) => integerFromJson(json, -(2n ** 31n), 2n ** 31n - 1n, false),
  toJson: (value) => value,
  encode(value) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new BadArgumentError(`int: expected an integer in int32 range, got ${String(value)}`);
    }
    const out = new Uint8Array(4);
    viewOf(out).setInt32(0, value, false);
    return out;
  },
  decode(bytes, tag) {
    if (!checkTag("int", "int", tag)) return 0;
    checkLength("int", bytes, 4);
    return viewOf(bytes).getInt32(0, false);
  },
  clone: (value) => value,
};

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export const int64Codec: ValueCodec<bigint> = {
  tag: "long",
  fromJson: (json) => integerFromJson(json, INT64_MIN, INT64_MAX, true),
  toJson: (value) => value.toString(),
  encode(value) {
    if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) {
      throw new BadArgumentError(`long: expected a bigint in int64 range, got ${describe(value)} ${String(value)}`);
    }
    const out = new Uint8Array(8);
    viewOf(out).setBigInt64(0, value, false);
    return out;
  },
  decode(bytes, tag) {
    if (!checkTag("long", "long", tag)) return 0n;
    checkLength("long", bytes, 8);
    return viewOf(bytes).getBigInt64(0, false);
  },
  clone: (value) => value,
};

/** mqant has no unsigned tag: unsigned values travel as `long`. */
export const uint32Codec: ValueCodec<number> = {
  tag: "long",
  fromJson(json) {
    // Parsed wide, then the codec's own range check names the range.
    const value = integerFromJson(json, INT64_MIN, UINT64_MAX, false);
    uint32Codec.encode(value);
    return value;
  },
  toJson: (value) => value,
  encode(value) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new BadArgumentError(`uint32: expected an integer in 0..4294967295, got ${String(value)}`);
    }
    const out = new Uint8Array(8);
    viewOf(out).setBigInt64(0, BigInt(value), false);
    return out;
  },
  decode(bytes, tag) {
    if (!checkTag("uint32", "long", tag)) return 0;
    checkLength("uint32", bytes, 8);
    const value = viewOf(bytes).getBigInt64(0, false);
    if (value < 0n || value > 0xffffffffn) {
      throw new BadArgumentError(`uint32: value ${value} out of range 0..4294967295`);
    }
    return Number(value);
  },
  clone: (value) => value,
};

/** Travels as the int64 with the same 64 bits, as Go's `int64(u)` conversion does. */
export const uint64Codec: ValueCodec<bigint> = {
  tag: "long",
  fromJson(json) {
    const value = integerFromJson(json, INT64_MIN, UINT64_MAX, true);
    uint64Codec.encode(value);
    return value;
  },
  toJson: (value) => value.toString(),
  encode(value) {
    if (typeof value !== "bigint" || value < 0n || value > UINT64_MAX) {
      throw new BadArgumentError(`uint64: expected a bigint in 0..2^64-1, got ${describe(value)} ${String(value)}`);
    }
    const out = new Uint8Array(8);
    viewOf(out).setBigUint64(0, value, false);
    return out;
  },
  decode(bytes, tag) {
    if (!checkTag("uint64", "long", tag)) return 0n;
    checkLength("uint64", bytes, 8);
    return viewOf(bytes).getBigUint64(0, false);
  },
  clone: (value) => value,
};

export const floatCodec: ValueCodec<number> = {
  tag: "float",
  fromJson: floatFromJson,
  toJson: jsonOf,
  encode(value) {
    if (typeof value !== "number") throw new BadArgumentError(`float: expected a number, got ${describe(value)}`);
    const out = new Uint8Array(4);
    viewOf(out).setFloat32(0, value, true);
    return out;
  },
  decode(bytes, tag) {
    if (!checkTag("float", "float", tag)) return 0;
    checkLength("float", bytes, 4);
    return viewOf(bytes).getFloat32(0, true);
  },
  clone: (value) => value,
};

export const doubleCodec: ValueCodec<number> = {
  tag: "double",
  fromJson: floatFromJson,
  toJson: jsonOf,
  encode(value) {
    if (typeof value !== "number") throw new BadArgumentError(`double: expected a number, got ${describe(value)}`);
    const out = new Uint8Array(8);
    viewOf(out).setFloat64(0, value, true);
    return out;
  },
  decode(bytes, tag) {
    if (!checkTag("double", "double", tag)) return 0;
    checkLength("double", bytes, 8);
    return viewOf(bytes).getFloat64(0, true);
  },
  clone: (value) => value,
};

export const bytesCodec: ValueCodec<Uint8Array> = {
  tag: "bytes",
  fromJson: bytesFromJson,
  toJson: jsonOf,
  encode(value) {
    if (!(value instanceof Uint8Array)) throw new BadArgumentError(`bytes: expected a Uint8Array, got ${describe(value)}`);
    return value;
  },
  decode(bytes, tag) {
    if (!checkTag("bytes", "bytes", tag)) return new Uint8Array(0);
    // A plain copy: the input may be a view into a larger network buffer (or a Node Buffer).
    return new Uint8Array(bytes);
  },
  clone: (value) => new Uint8Array(value),
};

function parseJsonObject(codecName: string, bytes: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    throw new BadArgumentError(`${codecName}: invalid JSON (${(error as Error).message})`, { cause: error });
  }
  // Go unmarshals JSON null into a nil map, which reads as empty.
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BadArgumentError(`${codecName}: expected a JSON object, got ${describe(parsed)}`);
  }
  return parsed as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Adds a key; unlike `object[key] = value` it cannot replace the prototype through "__proto__". */
export function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** Deep copy of JSON-like data (plain objects, arrays, Uint8Array, Map, scalars). */
export function cloneValue<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => cloneValue(item)) as T;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, cloneValue(v)])) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, cloneValue((value as Record<string, unknown>)[key]));
  return out as T;
}

export const mapCodec: ValueCodec<Record<string, unknown>> = {
  tag: "map",
  fromJson: (json) => cloneValue(mapFromJson(json)),
  toJson: (value) => jsonOf(value),
  encode(value) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      throw new BadArgumentError(`map: expected an object, got ${describe(value)}`);
    }
    return utf8Encoder.encode(goJsonStringify(value));
  },
  decode(bytes, tag) {
    if (!checkTag("map", "map", tag)) return {};
    return parseJsonObject("map", bytes);
  },
  clone: (value) => cloneValue(value),
};

export const mapstrCodec: ValueCodec<Record<string, string>> = {
  tag: "mapstr",
  fromJson: (json) => ({ ...mapstrFromJson(json) }),
  toJson: (value) => ({ ...value }),
  encode(value) {
    if (!isPlainObject(value)) throw new BadArgumentError(`mapstr: expected a plain object, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (typeof value[key] !== "string") {
        throw new BadArgumentError(`mapstr: value of key "${key}" is ${describe(value[key])}, expected string`);
      }
    }
    return utf8Encoder.encode(goJsonStringify(value));
  },
  decode(bytes, tag) {
    if (!checkTag("mapstr", "mapstr", tag)) return {};
    const parsed = parseJsonObject("mapstr", bytes);
    for (const key of Object.keys(parsed)) {
      if (typeof parsed[key] !== "string") {
        throw new BadArgumentError(`mapstr: value of key "${key}" is ${describe(parsed[key])}, expected string`);
      }
    }
    return parsed as Record<string, string>;
  },
  clone: (value) => ({ ...value }),
};

/** A handler without a result: mqant sends ResultType `null` with an empty Result. */
export const voidCodec: ValueCodec<void> = {
  tag: "null",
  fromJson: () => undefined,
  toJson: () => null,
  encode() {
    return new Uint8Array(0);
  },
  decode(bytes, tag) {
    if (tag !== "null") throw new BadArgumentError(`null: cannot decode tag "${tag}" (expected "null")`);
    if (bytes.length !== 0) throw new BadArgumentError(`null: expected 0 bytes, got ${bytes.length}`);
    return undefined;
  },
  clone: () => undefined,
};
