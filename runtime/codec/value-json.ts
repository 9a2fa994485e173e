/**
 * The JSON form of mqant argument values (the HTTP gateway's typed routes read and write it): the protobuf
 * JSON mapping's rules for scalars — 64-bit integers as numbers or decimal strings, floats with
 * "NaN"/"Infinity", bytes as base64 — and objects for `map`/`mapstr`. Each codec of values.ts carries
 * its part as `fromJson`/`toJson`, so no second mapper guesses a codec's type.
 */
import { BadArgumentError } from "../errors.js";
import { decodeBase64, encodeBase64 } from "./base64.js";

export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A value of JSON type `kind` ("string", "boolean"), else BadArgumentError. */
export function typedFromJson<T>(value: unknown, kind: "string" | "boolean"): T {
  if (typeof value !== kind) throw new BadArgumentError(`expected a ${kind}, got ${describeJson(value)}`);
  return value as T;
}

/** Integers as numbers or decimal strings (64-bit ones usually as strings), within [min, max]. */
export function integerFromJson(value: unknown, min: bigint, max: bigint, asBigint: true): bigint;
export function integerFromJson(value: unknown, min: bigint, max: bigint, asBigint: false): number;
export function integerFromJson(value: unknown, min: bigint, max: bigint, asBigint: boolean): number | bigint {
  let parsed: bigint;
  if (typeof value === "number" && Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) throw new BadArgumentError(`${value} loses precision; send it as a string`);
    parsed = BigInt(value);
  } else if (typeof value === "string" && /^-?\d+$/.test(value)) {
    parsed = BigInt(value);
  } else {
    throw new BadArgumentError(`expected an integer, got ${describeJson(value)}`);
  }
  if (parsed < min || parsed > max) throw new BadArgumentError(`${parsed} is out of range`);
  return asBigint ? parsed : Number(parsed);
}

export function floatFromJson(value: unknown): number {
  if (typeof value === "number") return value;
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  throw new BadArgumentError(`expected a number, got ${describeJson(value)}`);
}

/** Standard or URL-safe base64. */
export function bytesFromJson(value: unknown): Uint8Array {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    throw new BadArgumentError(`expected base64 bytes, got ${describeJson(value)}`);
  }
  return decodeBase64(value);
}

export function mapFromJson(value: unknown): Record<string, unknown> {
  if (!isJsonObject(value)) throw new BadArgumentError(`expected a JSON object, got ${describeJson(value)}`);
  return value;
}

export function mapstrFromJson(value: unknown): Record<string, string> {
  if (!isJsonObject(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw new BadArgumentError(`expected an object of strings, got ${describeJson(value)}`);
  }
  return value as Record<string, string>;
}

/** JSON for values without a message type: int64 as strings, bytes as base64, like the protobuf mapping. */
export function jsonOf(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (value === Number.POSITIVE_INFINITY) return "Infinity";
    if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
    return value;
  }
  if (value instanceof Uint8Array) return encodeBase64(value);
  if (Array.isArray(value)) return value.map(jsonOf);
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner === undefined) continue;
      if (key === "__proto__") Object.defineProperty(out, key, { value: jsonOf(inner), enumerable: true, writable: true, configurable: true });
      else out[key] = jsonOf(inner);
    }
    return out;
  }
  return value;
}
