/**
 * Reflective proto3 codec over the field tables generated code emits (see MessageType in descriptor.ts).
 * Binary output is byte-identical to protoc/protobufjs for the same message: fields in field-number
 * order, zero values of implicit-presence fields omitted, repeated scalars packed, map entries with key
 * and value always written (in key order by code point, like Go's deterministic marshalling). The scalar
 * kinds are in scalar.ts, proto3 JSON in json.ts, the wire helpers in wire.ts.
 *
 * Browser-safe on purpose (the generated gate client uses it): no `node:` imports, no Buffer.
 */
import type { EnumType, FieldDescriptor, FieldType, MessageType, ScalarKind, ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { compareByCodePoint, goJsonStringify, int32Codec, setOwn } from "./values.js";
import { newReader, newWriter, type Fields, type Reader, type Writer } from "./wire.js";
import { SCALARS, WIRE_LENGTH, checkEnum, describe, fail, fieldWireType, isZeroValue, mapKeyForm, zeroOf, type ScalarType } from "./scalar.js";
import { messageFromJson, messageToJson } from "./json.js";
import { fieldValue, setFieldValue } from "./oneof.js";
import { registerMessageType } from "./type-registry.js";
import type { OneofValue } from "./oneof.js";

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

export { asciiString, newReader, newWriter, readBytesCopy, readInt64AsNumber, readString, readVarint64, writeString, writeVarint64 } from "./wire.js";

export interface FieldPlan {
  readonly desc: FieldDescriptor;
  readonly name: string;
  /** Name in JSON: the schema's, where the property had to be escaped, or its json_name. */
  readonly jsonName: string;
  /** Key (tag) of a single element on the wire. */
  readonly key: number;
  readonly wireType: number;
  readonly packable: boolean;
  /** The row of a scalar field's (or map value's) kind, looked up once here rather than per value. */
  readonly scalar: ScalarType | undefined;
}

function isPackable(type: FieldType): boolean {
  return type.kind === "enum" || (type.kind === "scalar" && type.scalar !== "string" && type.scalar !== "bytes");
}

class ReflectMessageType<T extends object> implements MessageType<T> {
  readonly typeName: string;
  readonly codec: ValueCodec<T>;
  readonly jsonCodec: ValueCodec<T>;
  private readonly fieldThunk: () => FieldDescriptor[];
  private planCache: { fields: readonly FieldDescriptor[]; ordered: FieldPlan[]; byNumber: Map<number, FieldPlan>; byName: Map<string, FieldPlan> } | undefined;

  constructor(typeName: string, fields: () => FieldDescriptor[]) {
    this.typeName = typeName;
    this.fieldThunk = fields;
    const proto = `proto@${typeName}`;
    this.codec = {
      tag: proto,
      encode: (value) => this.encode(value),
      decode: (bytes, tag) => {
        if (tag === "null") return this.create();
        if (!tag.startsWith("proto@") && !tag.startsWith("marshal@")) {
          throw new BadArgumentError(`${typeName}: cannot decode tag "${tag}" (expected "proto@…", "marshal@…" or "null")`);
        }
        return this.decode(bytes);
      },
      clone: (value) => this.clone(value),
      toJson: (value) => this.toJson(value),
      // An absent message argument is the empty message, as Go's zero value.
      fromJson: (json) => (json === undefined || json === null ? this.create() : this.fromJson(json)),
    };
    this.jsonCodec = {
      tag: "map",
      encode: (value) => utf8Encoder.encode(goJsonStringify(this.toJson(value))),
      decode: (bytes, tag) => {
        if (tag === "null") return this.create();
        // mqant json-decodes a `bytes` argument into a struct parameter, so accept that too.
        if (tag !== "map" && tag !== "bytes") {
          throw new BadArgumentError(`${typeName}: cannot decode tag "${tag}" as JSON (expected "map", "bytes" or "null")`);
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(utf8Decoder.decode(bytes));
        } catch (error) {
          throw new BadArgumentError(`${typeName}: invalid JSON (${(error as Error).message})`, { cause: error });
        }
        return this.fromJson(parsed);
      },
      clone: (value) => this.clone(value),
      toJson: (value) => this.toJson(value),
      fromJson: (json) => (json === undefined || json === null ? this.create() : this.fromJson(json)),
    };
  }

  /** Resolved lazily: field tables may refer to messages defined later in the same file. */
  private get plan() {
    if (this.planCache === undefined) {
      const fields = this.fieldThunk();
      const ordered = [...fields]
        .sort((a, b) => a.no - b.no)
        .map((desc): FieldPlan => {
          const packable = desc.cardinality === "repeated" && isPackable(desc.type);
          const wireType = desc.cardinality === "map" ? WIRE_LENGTH : fieldWireType(desc.type);
          const scalar = desc.type.kind === "scalar" ? SCALARS[desc.type.scalar] : undefined;
          return { desc, name: desc.name, jsonName: desc.jsonName ?? desc.name, key: ((desc.no << 3) | wireType) >>> 0, wireType, packable, scalar };
        });
      this.planCache = {
        fields,
        ordered,
        byNumber: new Map(ordered.map((plan) => [plan.desc.no, plan])),
        // JSON accepts the JSON name and the property name, as protobuf's JSON parsers accept both names.
        byName: new Map(ordered.flatMap((plan): [string, FieldPlan][] => (plan.jsonName === plan.name ? [[plan.name, plan]] : [[plan.jsonName, plan], [plan.name, plan]]))),
      };
    }
    return this.planCache;
  }

  get fields(): readonly FieldDescriptor[] {
    return this.plan.fields;
  }

  create(init?: Partial<T>): T {
    const message: Fields = {};
    for (const { desc } of this.plan.ordered) {
      if (desc.oneof !== undefined) message[desc.oneof] ??= { case: undefined };
      else if (desc.cardinality === "repeated") message[desc.name] = [];
      else if (desc.cardinality === "map") message[desc.name] = {};
      else if (desc.cardinality === "singular" && desc.type.kind !== "message") message[desc.name] = zeroOf(desc.type);
    }
    if (init !== undefined) {
      for (const key of Object.keys(init)) {
        const value = (init as Fields)[key];
        if (value !== undefined) message[key] = value;
      }
    }
    return message as T;
  }

  encode(message: T): Uint8Array {
    const writer = newWriter();
    this.encodeTo(message as Fields, writer, this.typeName);
    return writer.finish();
  }

  /** @internal */
  encodeTo(message: Fields, writer: Writer, path: string): void {
    if (typeof message !== "object" || message === null) fail(path, "an object", message);
    for (const plan of this.plan.ordered) {
      const { desc, scalar } = plan;
      const value = fieldValue(message, desc);
      if (value === undefined || value === null) continue;
      const fieldPath = `${path}.${desc.name}`;
      switch (desc.cardinality) {
        case "singular":
        case "optional":
          if (scalar !== undefined) {
            scalar.check(value, fieldPath);
            if (desc.cardinality === "singular" && scalar.isZero(value)) continue;
            writer.uint32(plan.key);
            scalar.write(writer, value);
            break;
          }
          if (desc.cardinality === "singular" && desc.type.kind !== "message" && isZeroValue(desc.type, value, fieldPath)) continue;
          writer.uint32(plan.key);
          writeValue(writer, desc.type, value, fieldPath);
          break;
        case "repeated": {
          if (!Array.isArray(value)) fail(fieldPath, "an array", value);
          if (value.length === 0) continue;
          if (plan.packable) {
            writer.uint32(((desc.no << 3) | WIRE_LENGTH) >>> 0).fork();
            if (scalar !== undefined) {
              for (let i = 0; i < value.length; i++) {
                scalar.check(value[i], `${fieldPath}[${i}]`);
                scalar.write(writer, value[i]);
              }
            } else {
              for (let i = 0; i < value.length; i++) writeEnum(writer, value[i], `${fieldPath}[${i}]`);
            }
            writer.ldelim();
          } else {
            for (let i = 0; i < value.length; i++) {
              writer.uint32(plan.key);
              writeValue(writer, desc.type, value[i], `${fieldPath}[${i}]`);
            }
          }
          break;
        }
        case "map": {
          if (typeof value !== "object" || Array.isArray(value)) fail(fieldPath, "an object", value);
          const keyScalar = desc.mapKey ?? "string";
          const keyType = SCALARS[keyScalar];
          const keys = Object.keys(value).sort(keyType.mapKey?.compare ?? compareByCodePoint);
          const valueKey = ((2 << 3) | fieldWireType(desc.type)) >>> 0;
          for (const key of keys) {
            const entryPath = `${fieldPath}[${JSON.stringify(key)}]`;
            const entryValue = (value as Fields)[key];
            writer.uint32(plan.key).fork();
            writer.uint32(((1 << 3) | keyType.wireType) >>> 0);
            keyType.write(writer, mapKeyForm(keyScalar, entryPath).fromString(key, entryPath));
            writer.uint32(valueKey);
            writeValue(writer, desc.type, entryValue ?? zeroOf(desc.type), entryPath);
            writer.ldelim();
          }
          break;
        }
      }
    }
  }

  decode(bytes: Uint8Array): T {
    if (!(bytes instanceof Uint8Array)) throw new BadArgumentError(`${this.typeName}: expected bytes, got ${describe(bytes)}`);
    const reader = newReader(bytes);
    const message = this.create() as Fields;
    try {
      this.decodeFrom(reader, bytes.length, message);
    } catch (error) {
      if (error instanceof BadArgumentError) throw error;
      throw new BadArgumentError(`${this.typeName}: malformed protobuf (${(error as Error).message})`, { cause: error });
    }
    return message as T;
  }

  /** @internal */
  decodeFrom(reader: Reader, end: number, message: Fields): void {
    const { byNumber } = this.plan;
    while (reader.pos < end) {
      const key = reader.uint32();
      const number = key >>> 3;
      const wireType = key & 7;
      if (number === 0) throw new RangeError("field number 0");
      const plan = byNumber.get(number);
      if (plan === undefined) {
        reader.skipType(wireType);
        continue;
      }
      const { desc } = plan;
      if (desc.cardinality === "repeated") {
        const list = (message[desc.name] ??= []) as unknown[];
        if (plan.packable && wireType === WIRE_LENGTH) {
          const packedEnd = lengthEnd(reader);
          const { scalar } = plan;
          if (scalar !== undefined) while (reader.pos < packedEnd) list.push(scalar.read(reader));
          else while (reader.pos < packedEnd) list.push(reader.int32());
          if (reader.pos !== packedEnd) throw new RangeError(`packed field ${desc.name} overruns its length`);
        } else if (wireType === plan.wireType) {
          list.push(readValue(reader, desc.type));
        } else {
          reader.skipType(wireType);
        }
      } else if (desc.cardinality === "map") {
        if (wireType !== WIRE_LENGTH) {
          reader.skipType(wireType);
          continue;
        }
        const map = (message[desc.name] ??= {}) as Fields;
        const entryEnd = lengthEnd(reader);
        const keyType = SCALARS[desc.mapKey ?? "string"];
        let entryKey: unknown = keyType.zero();
        let entryValue: unknown = undefined;
        while (reader.pos < entryEnd) {
          const entryTag = reader.uint32();
          if (entryTag >>> 3 === 1 && (entryTag & 7) === keyType.wireType) entryKey = keyType.read(reader);
          else if (entryTag >>> 3 === 2 && (entryTag & 7) === fieldWireType(desc.type)) {
            entryValue = readValue(reader, desc.type);
          } else reader.skipType(entryTag & 7);
        }
        if (reader.pos !== entryEnd) throw new RangeError(`map entry of ${desc.name} overruns its length`);
        setOwn(map, String(entryKey), entryValue ?? zeroOf(desc.type));
      } else if (wireType !== plan.wireType) {
        // Go's protobuf keeps a field with an unexpected wire type as unknown; so do we.
        reader.skipType(wireType);
      } else if (desc.type.kind === "message") {
        const existing = fieldValue(message, desc);
        setFieldValue(message, desc, readMessage(reader, desc.type.message(), existing as Fields | undefined));
      } else {
        setFieldValue(message, desc, plan.scalar !== undefined ? plan.scalar.read(reader) : reader.int32());
      }
    }
    if (reader.pos !== end) throw new RangeError(`${this.typeName} overruns its length`);
  }

  toJson(message: T): Record<string, unknown> {
    return messageToJson(this.plan.ordered, message as Fields);
  }

  fromJson(json: unknown): T {
    return this.fromJsonAt(json, this.typeName) as T;
  }

  /** @internal */
  fromJsonAt(json: unknown, path: string): Fields {
    return messageFromJson(this.create() as Fields, this.plan.byName, json, path);
  }

  clone(message: T): T {
    return this.cloneFields(message as Fields) as T;
  }

  /** @internal */
  cloneFields(message: Fields): Fields {
    const out: Fields = {};
    for (const { desc } of this.plan.ordered) {
      if (desc.oneof !== undefined) {
        const slot = message[desc.oneof] as OneofValue | undefined;
        if (slot?.case === desc.name) out[desc.oneof] = { case: desc.name, value: cloneOne(desc.type, slot.value) };
        else out[desc.oneof] ??= { case: undefined };
        continue;
      }
      const value = message[desc.name];
      if (value === undefined) continue;
      if (value === null) {
        out[desc.name] = null;
        continue;
      }
      switch (desc.cardinality) {
        case "singular":
        case "optional":
          out[desc.name] = cloneOne(desc.type, value);
          break;
        case "repeated":
          out[desc.name] = (value as unknown[]).map((item) => cloneOne(desc.type, item));
          break;
        case "map": {
          const copy: Fields = {};
          for (const key of Object.keys(value as Fields)) setOwn(copy, key, cloneOne(desc.type, (value as Fields)[key]));
          out[desc.name] = copy;
          break;
        }
      }
    }
    return out;
  }
}

function lengthEnd(reader: Reader): number {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError(`length ${length} runs past the end of the buffer`);
  return end;
}

function asReflect(type: MessageType<object>): ReflectMessageType<object> | undefined {
  return type instanceof ReflectMessageType ? type : undefined;
}

function writeValue(writer: Writer, type: FieldType, value: unknown, path: string): void {
  if (type.kind === "scalar") {
    const scalar = SCALARS[type.scalar];
    scalar.check(value, path);
    scalar.write(writer, value);
  } else if (type.kind === "enum") {
    writeEnum(writer, value, path);
  } else {
    const messageType = type.message();
    const reflect = asReflect(messageType);
    if (reflect !== undefined) {
      writer.fork();
      reflect.encodeTo(value as Fields, writer, path);
      writer.ldelim();
    } else {
      writer.bytes(messageType.encode(value as object));
    }
  }
}

function writeEnum(writer: Writer, value: unknown, path: string): void {
  checkEnum(value, path);
  writer.int32(value as number);
}

function readValue(reader: Reader, type: FieldType): unknown {
  if (type.kind === "scalar") return SCALARS[type.scalar].read(reader);
  if (type.kind === "enum") return reader.int32();
  return readMessage(reader, type.message(), undefined);
}

/** A repeated occurrence of a singular message field merges into the earlier one (proto semantics). */
function readMessage(reader: Reader, type: MessageType<object>, existing: Fields | undefined): Fields {
  const end = lengthEnd(reader);
  const reflect = asReflect(type);
  if (reflect === undefined) {
    const bytes = new Uint8Array(reader.buf.subarray(reader.pos, end));
    reader.pos = end;
    return type.decode(bytes) as Fields;
  }
  const message = existing ?? (reflect.create() as Fields);
  reflect.decodeFrom(reader, end, message);
  return message;
}

function cloneOne(type: FieldType, value: unknown): unknown {
  if (type.kind === "message") {
    const messageType = type.message();
    const reflect = asReflect(messageType);
    return reflect !== undefined ? reflect.cloneFields(value as Fields) : messageType.clone(value as object);
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

/** One row of a generated field table; rows keep the tables short to read and cheap to type-check. */
export function field(
  no: number,
  name: string,
  type: FieldType,
  cardinality: FieldDescriptor["cardinality"] = "singular",
  mapKey?: ScalarKind,
  jsonName?: string,
): FieldDescriptor {
  const base: FieldDescriptor = mapKey === undefined ? { no, name, type, cardinality } : { no, name, type, cardinality, mapKey };
  return jsonName === undefined || jsonName === name ? base : { ...base, jsonName };
}

/** The field type of each scalar kind (a row of SCALARS), shared by every generated field table. */
export const scalar = Object.fromEntries(
  (Object.keys(SCALARS) as ScalarKind[]).map((kind): [ScalarKind, FieldType] => [kind, { kind: "scalar", scalar: kind }]),
) as Readonly<Record<ScalarKind, FieldType>>;

/** A message type from a field table; `fields` is a thunk so messages may refer to each other. */
export function defineMessage<T extends object>(typeName: string, fields: () => FieldDescriptor[]): MessageType<T> {
  const type = new ReflectMessageType<T>(typeName, fields);
  registerMessageType(type as MessageType<object>);
  return type;
}

/**
 * An enum: `values` maps names to numbers (the const object generated code also exports); `protoNames`
 * gives the schema name of a value whose key generated code had to escape, for JSON.
 */
export function defineEnum<const V extends Record<string, number>>(
  typeName: string,
  values: V,
  protoNames?: Readonly<Partial<Record<keyof V & string, string>>>,
): EnumType<V[keyof V]> & { readonly values: V } {
  const frozen = Object.freeze({ ...values }) as V;
  // The int32 codec as the enum's: an enum argument is an int32 on the wire (open, like protobuf's enums).
  const codec = int32Codec as ValueCodec<V[keyof V]>;
  if (protoNames === undefined) return Object.freeze({ typeName, values: frozen, codec });
  return Object.freeze({ typeName, values: frozen, protoNames: Object.freeze({ ...protoNames }) as Record<string, string>, codec });
}
