/**
 * proto3 JSON of table-driven messages (mqant's JSON arguments and the gate's `map` payloads): field names
 * as declared, enums by name, 64-bit integers as strings, bytes as base64, zero values omitted.
 */
import type { EnumType, FieldDescriptor, FieldType } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { SCALARS, checkEnum, fail, isZeroValue, mapKeyForm, type ScalarType } from "./scalar.js";
import { setOwn } from "./values.js";
import { fieldValue, setFieldValue } from "./oneof.js";
import { readsJsonNull, wktJson } from "./wkt.js";
import type { Fields } from "./wire.js";

/**
 * A field of a message plan, as json.ts reads it: `jsonName` is its name in JSON (`desc.jsonName ??
 * desc.name`), `scalar` the row of a scalar field's kind.
 */
type PlannedField = { readonly desc: FieldDescriptor; readonly jsonName: string; readonly scalar: ScalarType | undefined };

const NULL_VALUE = "google.protobuf.NullValue";

export function messageToJson(ordered: readonly PlannedField[], message: Fields): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const { desc, jsonName, scalar } of ordered) {
    const value = fieldValue(message, desc);
    if (value === undefined || value === null) continue;
    switch (desc.cardinality) {
      case "singular":
        if (scalar !== undefined) {
          scalar.check(value, desc.name);
          if (!scalar.isZero(value)) setOwn(json, jsonName, scalar.toJson(value));
          continue;
        }
        if (desc.type.kind !== "message" && isZeroValue(desc.type, value, desc.name)) continue;
        setOwn(json, jsonName, valueToJson(desc.type, value));
        break;
      case "optional":
        setOwn(json, jsonName, valueToJson(desc.type, value));
        break;
      case "repeated":
        if ((value as unknown[]).length === 0) continue;
        setOwn(json, jsonName, (value as unknown[]).map(scalar !== undefined ? (item) => scalar.toJson(item) : (item) => valueToJson(desc.type, item)));
        break;
      case "map": {
        const keys = Object.keys(value as Fields);
        if (keys.length === 0) continue;
        const out: Record<string, unknown> = {};
        for (const key of keys) setOwn(out, key, valueToJson(desc.type, (value as Fields)[key]));
        setOwn(json, jsonName, out);
        break;
      }
    }
  }
  return json;
}

export function messageFromJson(message: Fields, byName: ReadonlyMap<string, PlannedField>, json: unknown, path: string): Fields {
  if (typeof json !== "object" || json === null || Array.isArray(json) || json instanceof Uint8Array) {
    fail(path, "an object", json);
  }
  for (const key of Object.keys(json)) {
    const plan = byName.get(key);
    // Refused, as proto3 JSON parsers and the HTTP gateway do: Go's encoding/json would drop `userid` for
    // `userId` without a word, and the handler would run on an empty field.
    if (plan === undefined) throw new BadArgumentError(unknownKeyText(path, key, byName));
    const value = (json as Fields)[key];
    const { desc } = plan;
    // JSON null means "absent", except for a google.protobuf.Value, where it is the null value.
    if (value === undefined || (value === null && !nullIsValue(desc))) continue;
    const fieldPath = `${path}.${desc.name}`;
    switch (desc.cardinality) {
      case "singular":
      case "optional":
        setFieldValue(message, desc, valueFromJson(desc.type, value, fieldPath));
        break;
      case "repeated":
        if (!Array.isArray(value)) fail(fieldPath, "an array", value);
        setFieldValue(message, desc, value.map((item, index) => valueFromJson(desc.type, item, `${fieldPath}[${index}]`)));
        break;
      case "map": {
        if (typeof value !== "object" || value === null || Array.isArray(value)) fail(fieldPath, "an object", value);
        const out: Fields = {};
        const keyScalar = desc.mapKey ?? "string";
        for (const mapKey of Object.keys(value)) {
          const entryPath = `${fieldPath}[${JSON.stringify(mapKey)}]`;
          mapKeyForm(keyScalar, entryPath).fromString(mapKey, entryPath);
          setOwn(out, mapKey, valueFromJson(desc.type, (value as Fields)[mapKey], entryPath));
        }
        setFieldValue(message, desc, out);
        break;
      }
    }
  }
  return message;
}

function unknownKeyText(path: string, key: string, byName: ReadonlyMap<string, PlannedField>): string {
  const names = [...new Set([...byName.values()].map((plan) => plan.jsonName))];
  const lower = key.toLowerCase();
  const near = [...byName.keys()].find((name) => name.toLowerCase() === lower);
  const hint = near === undefined ? "" : ` (did you mean ${JSON.stringify(near)}?)`;
  const known = names.length === 0 ? "it has no fields" : `known: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`;
  return `${path}: unknown field ${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)}${hint}; ${known}`;
}

function nullIsValue(desc: FieldDescriptor): boolean {
  if (desc.cardinality !== "singular" && desc.cardinality !== "optional") return false;
  if (desc.type.kind === "message") return readsJsonNull(desc.type.message().typeName);
  return desc.type.kind === "enum" && readsJsonNull(desc.type.enum.typeName);
}

function valueToJson(type: FieldType, value: unknown): unknown {
  if (type.kind === "scalar") return SCALARS[type.scalar].toJson(value);
  if (type.kind === "enum") {
    if (type.enum.typeName === NULL_VALUE) return null;
    const name = enumName(type.enum, value as number);
    return name ?? value;
  }
  const messageType = type.message();
  const wkt = wktJson(messageType.typeName);
  return wkt !== undefined ? wkt.toJson(value as Fields) : messageType.toJson(value as object);
}

function valueFromJson(type: FieldType, value: unknown, path: string): unknown {
  if (type.kind === "scalar") return SCALARS[type.scalar].fromJson(value, path);
  if (type.kind === "enum") {
    if (value === null && type.enum.typeName === NULL_VALUE) return 0;
    if (typeof value === "string") {
      const { byName } = enumTables(type.enum);
      const number = byName.get(value);
      if (number === undefined) fail(path, `a value of enum ${type.enum.typeName} (${[...byName.keys()].join(", ")})`, value);
      return number;
    }
    checkEnum(value, path);
    return value;
  }
  const messageType = type.message();
  const wkt = wktJson(messageType.typeName);
  if (wkt !== undefined) return messageType.create(wkt.fromJson(value, path) as never);
  // Table-driven types report the field path of a bad value; others get it prefixed to their message.
  const reflect = messageType as Partial<{ fromJsonAt(json: unknown, path: string): Fields }>;
  if (typeof reflect.fromJsonAt === "function") return reflect.fromJsonAt(value, path);
  try {
    return messageType.fromJson(value);
  } catch (error) {
    throw new BadArgumentError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

interface EnumTables {
  /** Number → JSON name (the schema's name, also for a value whose TypeScript key was escaped). */
  readonly byNumber: Map<number, string>;
  /** JSON name → number. */
  readonly byName: Map<string, number>;
}

const enumTableCache = new WeakMap<EnumType, EnumTables>();

function enumTables(type: EnumType): EnumTables {
  let tables = enumTableCache.get(type);
  if (tables === undefined) {
    tables = { byNumber: new Map(), byName: new Map() };
    for (const [key, number] of Object.entries(type.values)) {
      const name = type.protoNames?.[key] ?? key;
      // The first name wins for aliases, as protoc's JSON printer does.
      if (!tables.byNumber.has(number)) tables.byNumber.set(number, name);
      tables.byName.set(name, number);
    }
    enumTableCache.set(type, tables);
  }
  return tables;
}

function enumName(type: EnumType, value: number): string | undefined {
  return enumTables(type).byNumber.get(value);
}
