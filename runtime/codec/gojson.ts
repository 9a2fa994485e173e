/**
 * Go encoding/json, byte for byte (Go 1.19, HTML escaping on: what mqant's json.Marshal writes), for
 * mqant's `map`/`mapstr` arguments, and Go's map-key order (by code point).
 */
import { BadArgumentError } from "../errors.js";
import { encodeBase64 } from "./base64.js";

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
