/**
 * Scalar ValueCodecs: one mqant argument/result value <-> the bytes mqant puts in RPCInfo.Args /
 * ResultInfo.Result. Layouts follow mqant v1.5.3 `utils/params_bytes.go` as confirmed by the captured
 * vectors: integers big-endian, floats little-endian (mqant's own asymmetry), maps as Go encoding/json.
 *
 * Browser-safe on purpose (no `node:` imports, no Buffer): the generated gate client uses these too.
 */
import type { ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";

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
  encode(value) {
    if (typeof value !== "string") throw new BadArgumentError(`string: expected a string, got ${describe(value)}`);
    return encodeUtf8(value);
  },
  decode(bytes, tag) {
    if (!checkTag("string", "string", tag)) return "";
    return decodeUtf8(bytes);
  },
  clone: (value) => value,
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

// ---------------------------------------------------------------------------------------------------
// Go encoding/json, byte for byte (Go 1.19, HTML escaping on: what mqant's json.Marshal writes).

const HEX = "0123456789abcdef";

function goQuote(text: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let escape: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      if (c === 0x22) escape = '\\"';
      else if (c === 0x5c) escape = "\\\\";
      else if (c === 0x0a) escape = "\\n";
      else if (c === 0x0d) escape = "\\r";
      else if (c === 0x09) escape = "\\t";
      // Go 1.19 writes \b and \f as \u0008 / \u000c, and <, >, & as \u003c / \u003e / \u0026.
      else escape = "\\u00" + HEX[c >> 4] + HEX[c & 0xf];
    } else if (c === 0x2028 || c === 0x2029) {
      escape = c === 0x2028 ? "\\u2028" : "\\u2029";
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const isPair =
        c <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
      if (isPair) {
        i++;
        continue;
      }
      // A lone surrogate is invalid UTF-8 to Go, which writes the replacement character escaped.
      escape = "\\ufffd";
    }
    if (escape !== undefined) {
      out += text.slice(start, i) + escape;
      start = i + 1;
    }
  }
  return out + text.slice(start) + '"';
}

/** Go orders map keys by their UTF-8 bytes, i.e. by code point, not by UTF-16 unit. */
export function compareByCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function goFloat(value: number, path: string): string {
  if (!Number.isFinite(value)) {
    throw new BadArgumentError(`json: unsupported value: ${String(value).replace("Infinity", "Inf")} at ${path}`);
  }
  // Go switches to exponent notation at the same thresholds as JavaScript (1e-6, 1e21) and writes
  // the same shortest digits; it keeps the sign of negative zero.
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

function goJsonValue(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case "string":
      return goQuote(value);
    case "number":
      return goFloat(value, path);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return "null";
  const object = value as object;
  if (object instanceof Uint8Array) return '"' + encodeBase64(object) + '"';
  if (seen.has(object)) throw new BadArgumentError(`json: unsupported value: encountered a cycle at ${path}`);
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return goJsonValue(toJSON.call(object), path, seen);
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      const parts = object.map((item, index) => goJsonValue(item, `${path}[${index}]`, seen) ?? "null");
      return "[" + parts.join(",") + "]";
    }
    const entries: string[] = [];
    const source = object instanceof Map ? Object.fromEntries(object) : (object as Record<string, unknown>);
    for (const key of Object.keys(source).sort(compareByCodePoint)) {
      const encoded = goJsonValue(source[key], `${path}.${key}`, seen);
      if (encoded !== undefined) entries.push(goQuote(key) + ":" + encoded);
    }
    return "{" + entries.join(",") + "}";
  } finally {
    seen.delete(object);
  }
}

/**
 * JSON text exactly as Go's json.Marshal writes it: object keys sorted, no spaces, `<>&` and
 * U+2028/U+2029 escaped, non-ASCII written as is, bigint as a bare integer, Uint8Array as base64.
 */
export function goJsonStringify(value: unknown): string {
  return goJsonValue(value, "$", new Set()) ?? "null";
}

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
export const voidCodec: ValueCodec<undefined> = {
  tag: "null",
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

// ---------------------------------------------------------------------------------------------------
// Base64 without Buffer (browser-safe); Go's []byte JSON and the protobuf JSON mapping use it.

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_LOOKUP = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  // The URL-safe alphabet decodes too, as the protobuf JSON mapping requires.
  table["-".charCodeAt(0)] = 62;
  table["_".charCodeAt(0)] = 63;
  return table;
})();

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + BASE64_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + "==";
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + "=";
  }
  return out;
}

/** Standard or URL-safe base64, padding optional; throws BadArgumentError on anything else. */
export function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x3d) end--;
  if (text.length - end > 2 || end % 4 === 1) throw new BadArgumentError(`invalid base64 text of length ${text.length}`);
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? BASE64_LOOKUP[c] : -1;
    if (v < 0) throw new BadArgumentError(`invalid base64 character ${JSON.stringify(text[i])} at ${i}`);
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}
