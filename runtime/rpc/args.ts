/**
 * Untyped argument encoding, as mqant's `Args2Bytes` / `Bytes2Args` (rpc/util/argsutil.go): the tag is
 * picked from the JS type of each value, and decoding goes by the tag alone. Used by `call(target, fn,
 * args)` and untyped `register(fn, handler)`; generated code uses the typed ValueCodecs instead.
 *
 * JS cannot express every Go type (int32 vs int64, float32, map[string]string, proto messages), so
 * explicit wrappers pick those tags: `Int32(n)`, `Int64(b)`, `Float32(n)`, `Float64(n)`, `MapStr(o)`,
 * `Proto(typeName, bytes)`, `Marshal(name, bytes)`, `Typed(codec, value)`, and `TraceSpan` values.
 */
import type { ArgSerializer, ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
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
} from "../codec/values.js";
import { TraceSpan, encodeTraceSpan, parseTraceSpan } from "./trace.js";

/** An argument already encoded: sent with exactly this tag and these bytes. */
export class EncodedArg {
  readonly tag: string;
  readonly bytes: Uint8Array;
  constructor(tag: string, bytes: Uint8Array) {
    this.tag = tag;
    this.bytes = bytes;
  }
}

/**
 * A protobuf (`proto@…`) or custom-marshalled (`marshal@…`) value whose schema the receiver does not
 * know: the bytes as they travel, plus the type name after the `@`. What untyped decoding yields for
 * those tags (mqant also hands back raw bytes there), and re-encodes to the same tag and bytes.
 */
export class EncodedMessage extends EncodedArg {
  readonly kind: "proto" | "marshal";
  readonly typeName: string;
  constructor(kind: "proto" | "marshal", typeName: string, bytes: Uint8Array) {
    super(`${kind}@${typeName}`, bytes);
    this.kind = kind;
    this.typeName = typeName;
  }
}

/** Go `int32`: tag `int`. */
export function Int32(value: number): EncodedArg {
  return new EncodedArg("int", int32Codec.encode(value));
}

/** Go `int64`: tag `long`. */
export function Int64(value: bigint | number): EncodedArg {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new BadArgumentError(`long: ${value} is not a safe integer; pass a bigint`);
  }
  return new EncodedArg("long", int64Codec.encode(typeof value === "number" ? BigInt(value) : value));
}

/** Go `float32`: tag `float`. */
export function Float32(value: number): EncodedArg {
  return new EncodedArg("float", floatCodec.encode(value));
}

/** Go `float64`: tag `double` (plain non-integer numbers get this tag anyway). */
export function Float64(value: number): EncodedArg {
  return new EncodedArg("double", doubleCodec.encode(value));
}

/** Go `map[string]string`: tag `mapstr`. */
export function MapStr(value: Readonly<Record<string, string>>): EncodedArg {
  return new EncodedArg("mapstr", mapstrCodec.encode({ ...value }));
}

/** A protobuf message already encoded: tag `proto@<typeName>` (Go servers decode by parameter type). */
export function Proto(typeName: string, bytes: Uint8Array): EncodedMessage {
  return new EncodedMessage("proto", typeName, bytes);
}

/** A value of a Go `mqrpc.Marshaler`: tag `marshal@<name>`. */
export function Marshal(name: string, bytes: Uint8Array): EncodedMessage {
  return new EncodedMessage("marshal", name, bytes);
}

/** Any value through any ValueCodec, e.g. `Typed(ChatMessage.codec, msg)`. */
export function Typed<T>(codec: ValueCodec<T>, value: T): EncodedArg {
  return new EncodedArg(codec.tag, codec.encode(value));
}

const EMPTY = new Uint8Array(0);

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What Go would call the type, for mqant's error text. */
function jsTypeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

function unsupported(value: unknown): BadArgumentError {
  return new BadArgumentError(
    `Args2Bytes [${jsTypeName(value)}] not registered to app.addrpcserialize(...) structure type or not *mqrpc.marshaler pointer type`,
  );
}

/** One value to its mqant tag and bytes. Serializers are tried first (mqant AddRPCSerialize). */
export function encodeArg(value: unknown, serializers: readonly ArgSerializer[] = []): EncodedArg {
  for (const serializer of serializers) {
    const encoded = serializer.serialize(value);
    if (encoded !== undefined) return new EncodedArg(encoded.tag, encoded.bytes);
  }
  switch (typeof value) {
    case "undefined":
      return new EncodedArg("null", EMPTY);
    case "string":
      return new EncodedArg("string", stringCodec.encode(value));
    case "boolean":
      return new EncodedArg("bool", boolCodec.encode(value));
    case "bigint":
      return new EncodedArg("long", int64Codec.encode(value));
    case "number":
      // -0 would lose its sign as an int.
      if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0)) {
        return new EncodedArg("int", int32Codec.encode(value));
      }
      return new EncodedArg("double", doubleCodec.encode(value));
    case "object": {
      if (value === null) return new EncodedArg("null", EMPTY);
      if (value instanceof EncodedArg) return value;
      if (value instanceof TraceSpan) return new EncodedArg("trace", encodeTraceSpan(value));
      if (value instanceof Uint8Array) return new EncodedArg("bytes", bytesCodec.encode(value));
      if (value instanceof Map) return new EncodedArg("map", mapCodec.encode(Object.fromEntries(value)));
      if (!Array.isArray(value) && isPlainObject(value)) {
        return new EncodedArg("map", mapCodec.encode(value as Record<string, unknown>));
      }
      throw unsupported(value);
    }
    default:
      throw unsupported(value);
  }
}

export interface EncodedArgs {
  readonly argsType: string[];
  readonly args: Uint8Array[];
}

/** All arguments of a call; a failure names its position as mqant does (`args[1] error …`). */
export function encodeArgs(values: readonly unknown[], serializers: readonly ArgSerializer[] = []): EncodedArgs {
  const argsType: string[] = [];
  const args: Uint8Array[] = [];
  for (let i = 0; i < values.length; i++) {
    let encoded: EncodedArg;
    try {
      encoded = encodeArg(values[i], serializers);
    } catch (error) {
      throw new BadArgumentError(`args[${i}] error ${(error as Error).message}`, { cause: error });
    }
    argsType.push(encoded.tag);
    args.push(encoded.bytes);
  }
  return { argsType, args };
}

/**
 * One argument by its tag: `int`→number, `long`→bigint, `float`/`double`→number, `bytes`→Uint8Array,
 * `map`/`mapstr`→object, `null`→null, `trace`→TraceSpan with a new span id (mqant ExtractSpan),
 * `proto@X`/`marshal@X`→EncodedMessage. Serializers' tags are looked up first.
 */
export function decodeArg(tag: string, bytes: Uint8Array, serializers: readonly ArgSerializer[] = []): unknown {
  for (const serializer of serializers) {
    if (serializer.tags.includes(tag)) return serializer.deserialize(tag, bytes);
  }
  switch (tag) {
    case "null":
      return null;
    case "string":
      return stringCodec.decode(bytes, tag);
    case "bool":
      return boolCodec.decode(bytes, tag);
    case "int":
      return int32Codec.decode(bytes, tag);
    case "long":
      return int64Codec.decode(bytes, tag);
    case "float":
      return floatCodec.decode(bytes, tag);
    case "double":
      return doubleCodec.decode(bytes, tag);
    case "bytes":
      return bytesCodec.decode(bytes, tag);
    case "map":
      return mapCodec.decode(bytes, tag);
    case "mapstr":
      return mapstrCodec.decode(bytes, tag);
    case "trace":
      return parseTraceSpan(bytes).extractSpan();
  }
  if (tag.startsWith("proto@")) return new EncodedMessage("proto", tag.slice(6), new Uint8Array(bytes));
  if (tag.startsWith("marshal@")) return new EncodedMessage("marshal", tag.slice(8), new Uint8Array(bytes));
  throw new BadArgumentError(`Bytes2Args [${tag}] not registered to app.addrpcserialize(...) structure type`);
}

export function decodeArgs(
  argsType: readonly string[],
  args: readonly Uint8Array[],
  serializers: readonly ArgSerializer[] = [],
): unknown[] {
  if (argsType.length !== args.length) {
    throw new BadArgumentError(`${argsType.length} argument types but ${args.length} arguments`);
  }
  const values: unknown[] = [];
  for (let i = 0; i < args.length; i++) values.push(decodeArg(argsType[i], args[i], serializers));
  return values;
}
