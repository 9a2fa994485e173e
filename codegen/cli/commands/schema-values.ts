/**
 * JSON ↔ wire values by the schema's types, for `mqgen call`: the handler's params and result are looked up
 * in the schema model and turned into the runtime's codecs (messages through the runtime's reflective
 * MessageType, so their bytes are exactly what generated code sends). JSON follows protobuf's mapping:
 * int64 from a decimal string or an integer number (exactly, never through a float past 2^53), bytes from
 * base64, enums by name or number.
 */
import { decodeBase64 } from "../../../runtime/codec/base64.js";
import { defineEnum, defineMessage } from "../../../runtime/codec/message.js";
import {
  boolCodec,
  bytesCodec,
  doubleCodec,
  floatCodec,
  int32Codec,
  int64Codec,
  mapCodec,
  mapstrCodec,
  stringCodec,
  uint32Codec,
  uint64Codec,
  voidCodec,
} from "../../../runtime/codec/values.js";
import type { EnumType, FieldDescriptor, FieldType, MessageType, ScalarKind, ValueCodec } from "../../../runtime/descriptor.js";
import { BadArgumentError } from "../../../runtime/errors.js";
import type { HandlerModel, ModuleModel, SchemaModel, TypeRef } from "../../model.js";

const SCALAR_CODECS: Record<ScalarKind, ValueCodec<unknown>> = {
  bool: boolCodec as ValueCodec<unknown>,
  int32: int32Codec as ValueCodec<unknown>,
  int64: int64Codec as ValueCodec<unknown>,
  uint32: uint32Codec as ValueCodec<unknown>,
  uint64: uint64Codec as ValueCodec<unknown>,
  float: floatCodec as ValueCodec<unknown>,
  double: doubleCodec as ValueCodec<unknown>,
  string: stringCodec as ValueCodec<unknown>,
  bytes: bytesCodec as ValueCodec<unknown>,
};

/** One param or result: how to read it from JSON, encode it, and show a decoded one as JSON. */
export interface TypedValue {
  readonly codec: ValueCodec<unknown>;
  fromJson(value: unknown, what: string): unknown;
  toJson(value: unknown): unknown;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `the string ${JSON.stringify(value)}` : typeof value;
}

function integer(value: unknown, what: string, min: bigint, max: bigint): bigint {
  let parsed: bigint;
  if (typeof value === "number" && Number.isInteger(value)) {
    if (!Number.isSafeInteger(value)) throw new BadArgumentError(`${what}: ${value} is past 2^53 as a JSON number; pass it as a string`);
    parsed = BigInt(value);
  } else if (typeof value === "string" && /^-?\d+$/.test(value.trim())) parsed = BigInt(value.trim());
  else throw new BadArgumentError(`${what}: expected an integer (number or decimal string), got ${describe(value)}`);
  if (parsed < min || parsed > max) throw new BadArgumentError(`${what}: ${parsed} is out of range`);
  return parsed;
}

function scalarFromJson(kind: ScalarKind, value: unknown, what: string): unknown {
  switch (kind) {
    case "string":
      if (typeof value !== "string") throw new BadArgumentError(`${what}: expected a string, got ${describe(value)}`);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new BadArgumentError(`${what}: expected true or false, got ${describe(value)}`);
      return value;
    case "int32":
      return Number(integer(value, what, -(2n ** 31n), 2n ** 31n - 1n));
    case "uint32":
      return Number(integer(value, what, 0n, 2n ** 32n - 1n));
    case "int64":
      return integer(value, what, -(2n ** 63n), 2n ** 63n - 1n);
    case "uint64":
      return integer(value, what, 0n, 2n ** 64n - 1n);
    case "float":
    case "double":
      if (typeof value === "number") return value;
      if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
      throw new BadArgumentError(`${what}: expected a number, got ${describe(value)}`);
    case "bytes":
      if (typeof value !== "string") throw new BadArgumentError(`${what}: expected base64 text, got ${describe(value)}`);
      try {
        return decodeBase64(value);
      } catch (err) {
        throw new BadArgumentError(`${what}: not base64 (${err instanceof Error ? err.message : String(err)})`);
      }
  }
}

function scalarToJson(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  return value;
}

/** Message and enum types of a model, built on first use. */
export class SchemaTypes {
  private readonly messages = new Map<string, MessageType<object>>();
  private readonly enums = new Map<string, EnumType>();

  constructor(private readonly model: SchemaModel) {}

  findHandler(moduleType: string, name: string): { module: ModuleModel; handler: HandlerModel } | undefined {
    const module = this.model.modules.find((m) => m.type === moduleType);
    if (module === undefined) return undefined;
    const handler = module.handlers.find((h) => h.method === name || h.wireName === name);
    return handler === undefined ? undefined : { module, handler };
  }

  hasModule(moduleType: string): boolean {
    return this.model.modules.some((m) => m.type === moduleType);
  }

  private enumType(fullName: string): EnumType {
    let type = this.enums.get(fullName);
    if (type === undefined) {
      const model = this.model.enums.find((e) => e.fullName === fullName);
      if (model === undefined) throw new BadArgumentError(`schema has no enum ${fullName}`);
      type = defineEnum(fullName, Object.fromEntries(model.values.map((v) => [v.name, v.number])));
      this.enums.set(fullName, type);
    }
    return type;
  }

  messageType(fullName: string): MessageType<object> {
    let type = this.messages.get(fullName);
    if (type === undefined) {
      const model = this.model.messages.find((m) => m.fullName === fullName);
      if (model === undefined) throw new BadArgumentError(`schema has no message ${fullName}`);
      type = defineMessage<object>(fullName, () =>
        model.fields.map((f): FieldDescriptor => {
          const fieldType = this.fieldType(f.type, `${fullName}.${f.name}`);
          return f.mapKey === undefined ? { no: f.no, name: f.name, type: fieldType, cardinality: f.cardinality } : { no: f.no, name: f.name, type: fieldType, cardinality: f.cardinality, mapKey: f.mapKey };
        }),
      );
      this.messages.set(fullName, type);
    }
    return type;
  }

  private fieldType(ref: TypeRef, what: string): FieldType {
    if (ref.kind === "scalar") return { kind: "scalar", scalar: ref.scalar };
    if (ref.kind === "ref" && ref.resolved !== undefined) {
      const fullName = ref.resolved.fullName;
      if (ref.resolved.target === "enum") return { kind: "enum", enum: this.enumType(fullName) };
      return { kind: "message", message: () => this.messageType(fullName) };
    }
    throw new BadArgumentError(`${what}: type ${ref.kind} cannot be a message field`);
  }

  /** The codec and JSON mapping of a param or result type. */
  value(ref: TypeRef): TypedValue {
    switch (ref.kind) {
      case "scalar": {
        const kind = ref.scalar;
        return { codec: SCALAR_CODECS[kind], fromJson: (v, what) => scalarFromJson(kind, v, what), toJson: scalarToJson };
      }
      case "void":
        return { codec: voidCodec as ValueCodec<unknown>, fromJson: () => undefined, toJson: () => null };
      case "map":
        return {
          codec: mapCodec as ValueCodec<unknown>,
          fromJson: (v, what) => {
            if (v === null || typeof v !== "object" || Array.isArray(v)) throw new BadArgumentError(`${what}: expected a JSON object`);
            return v;
          },
          toJson: (v) => v,
        };
      case "mapstr":
        return {
          codec: mapstrCodec as ValueCodec<unknown>,
          fromJson: (v, what) => {
            if (v === null || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
              throw new BadArgumentError(`${what}: expected a JSON object of strings`);
            }
            return v;
          },
          toJson: (v) => v,
        };
      case "ref": {
        const resolved = ref.resolved;
        if (resolved === undefined) throw new BadArgumentError(`unresolved type ${ref.name}`);
        if (resolved.target === "enum") {
          const type = this.enumType(resolved.fullName);
          return {
            codec: int32Codec as ValueCodec<unknown>,
            fromJson: (v, what) => {
              if (typeof v === "string" && type.values[v] !== undefined) return type.values[v];
              if (typeof v === "number" && Number.isInteger(v)) return v;
              throw new BadArgumentError(`${what}: expected one of ${Object.keys(type.values).join(", ")}`);
            },
            toJson: (v) => Object.entries(type.values).find(([, n]) => n === v)?.[0] ?? v,
          };
        }
        const type = this.messageType(resolved.fullName);
        return {
          codec: type.codec as ValueCodec<unknown>,
          fromJson: (v, what) => {
            try {
              return type.fromJson(v);
            } catch (err) {
              throw new BadArgumentError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
            }
          },
          toJson: (v) => type.toJson(v as object),
        };
      }
    }
  }
}
