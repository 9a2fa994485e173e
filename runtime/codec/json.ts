/**
 * proto3 JSON of table-driven messages (mqant's JSON arguments and the gate's `map` payloads): field names
 * as declared, enums by name, 64-bit integers as strings, bytes as base64, zero values omitted.
 */
import type { EnumType, FieldDescriptor, FieldType } from "../descriptor.js";

/** A field of a message plan, as json.ts reads it. */
type PlannedField = { readonly desc: FieldDescriptor };
import { BadArgumentError } from "../errors.js";
import { checkEnum, fail, isZeroValue, mapKeyFromString, scalarFromJson, scalarToJson } from "./scalar.js";
import { setOwn } from "./values.js";
import type { Fields } from "./wire.js";

export function messageToJson(ordered: readonly PlannedField[], message: Fields): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const { desc } of ordered) {
    const value = message[desc.name];
    if (value === undefined || value === null) continue;
    switch (desc.cardinality) {
      case "singular":
        if (desc.type.kind !== "message" && isZeroValue(desc.type, value, desc.name)) continue;
        json[desc.name] = valueToJson(desc.type, value);
        break;
      case "optional":
        json[desc.name] = valueToJson(desc.type, value);
        break;
      case "repeated":
        if ((value as unknown[]).length === 0) continue;
        json[desc.name] = (value as unknown[]).map((item) => valueToJson(desc.type, item));
        break;
      case "map": {
        const keys = Object.keys(value as Fields);
        if (keys.length === 0) continue;
        const out: Record<string, unknown> = {};
        for (const key of keys) setOwn(out, key, valueToJson(desc.type, (value as Fields)[key]));
        json[desc.name] = out;
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
    // Unknown keys are ignored, as Go's encoding/json does for mqant's JSON arguments.
    if (plan === undefined) continue;
    const value = (json as Fields)[key];
    if (value === null || value === undefined) continue;
    const { desc } = plan;
    const fieldPath = `${path}.${desc.name}`;
    switch (desc.cardinality) {
      case "singular":
      case "optional":
        message[desc.name] = valueFromJson(desc.type, value, fieldPath);
        break;
      case "repeated":
        if (!Array.isArray(value)) fail(fieldPath, "an array", value);
        message[desc.name] = value.map((item, index) => valueFromJson(desc.type, item, `${fieldPath}[${index}]`));
        break;
      case "map": {
        if (typeof value !== "object" || Array.isArray(value)) fail(fieldPath, "an object", value);
        const out: Fields = {};
        const keyScalar = desc.mapKey ?? "string";
        for (const mapKey of Object.keys(value)) {
          const entryPath = `${fieldPath}[${JSON.stringify(mapKey)}]`;
          mapKeyFromString(keyScalar, mapKey, entryPath);
          setOwn(out, mapKey, valueFromJson(desc.type, (value as Fields)[mapKey], entryPath));
        }
        message[desc.name] = out;
        break;
      }
    }
  }
  return message;
}

function valueToJson(type: FieldType, value: unknown): unknown {
  if (type.kind === "scalar") return scalarToJson(type.scalar, value);
  if (type.kind === "enum") {
    const name = enumName(type.enum, value as number);
    return name ?? value;
  }
  return type.message().toJson(value as object);
}

function valueFromJson(type: FieldType, value: unknown, path: string): unknown {
  if (type.kind === "scalar") return scalarFromJson(type.scalar, value, path);
  if (type.kind === "enum") {
    if (typeof value === "string") {
      const number = type.enum.values[value];
      if (number === undefined || !Object.hasOwn(type.enum.values, value)) {
        fail(path, `a value of enum ${type.enum.typeName} (${Object.keys(type.enum.values).join(", ")})`, value);
      }
      return number;
    }
    checkEnum(value, path);
    return value;
  }
  const messageType = type.message();
  // Table-driven types report the field path of a bad value; others get it prefixed to their message.
  const reflect = messageType as Partial<{ fromJsonAt(json: unknown, path: string): Fields }>;
  if (typeof reflect.fromJsonAt === "function") return reflect.fromJsonAt(value, path);
  try {
    return messageType.fromJson(value);
  } catch (error) {
    throw new BadArgumentError(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

const enumNames = new WeakMap<EnumType, Map<number, string>>();

function enumName(type: EnumType, value: number): string | undefined {
  let names = enumNames.get(type);
  if (names === undefined) {
    names = new Map();
    // The first name wins for aliases, as protoc's JSON printer does.
    for (const [name, number] of Object.entries(type.values)) if (!names.has(number)) names.set(number, name);
    enumNames.set(type, names);
  }
  return names.get(value);
}
