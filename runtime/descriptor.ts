/**
 * The contract between generated code and the runtime. Generated modules export a ModuleDescriptor
 * (wire names, argument codecs, schema hashes) and thin typed wrappers over RpcCaller / ModuleServer.
 * Types (and one symbol, BIND_CALLER), so generated code stays a thin, readable layer; it sits at the root
 * of the runtime because every room reads it.
 */
import type { ServiceNode } from "./registry/types.js";

/** mqant Register (one call at a time per module instance) or RegisterGO (concurrent, bounded). */
export type HandlerMode = "serial" | "concurrent";

/**
 * Encodes one value to the bytes of one mqant argument (or result) and back.
 * `tag` is the mqant ArgsType tag written on the wire: "string", "int", "long", "proto@chat.Message", ...
 */
export interface ValueCodec<T> {
  readonly tag: string;
  encode(value: T): Uint8Array;
  /** `tag` is the tag that arrived on the wire; a codec may accept several (e.g. "null"). */
  decode(bytes: Uint8Array, tag: string): T;
  /** Deep copy used by the in-process fast path so caller and handler never share mutable state. */
  clone(value: T): T;
  /**
   * The value exactly as `decode(encode(value))` gives it (what an in-process call hands over, so it refuses
   * and converts as a call over NATS does), without making the bytes. Absent, the round trip is made.
   */
  onWire?(value: T): T;
  /**
   * The value as JSON (the HTTP gateway's typed routes): protobuf's JSON mapping for messages, 64-bit
   * integers as decimal strings, bytes as base64. Codecs without it are mapped generically.
   */
  toJson?(value: T): unknown;
  /** The value from JSON; throws BadArgumentError saying what was expected. */
  fromJson?(json: unknown): T;
}

export interface ParamDescriptor<T = unknown> {
  readonly name: string;
  readonly codec: ValueCodec<T>;
}

/**
 * One handler, typed by its TypeScript signature: `HandlerDescriptor<[name: string], string>` takes a string
 * and answers one. The codecs carry the types, so a typed call or registration needs no cast; the defaults
 * describe any handler (the HTTP gateway, middleware and schema checks read descriptors that way).
 */
export interface HandlerDescriptor<Args extends readonly unknown[] = readonly unknown[], Result = unknown> {
  /** Method name in TypeScript (`sayHi`). */
  readonly method: string;
  /** Name registered on the wire (`/say/hi`, `HD_say`). */
  readonly wireName: string;
  readonly mode: HandlerMode;
  /** Callable from gate clients (wire name starts with `HD_`; first wire argument is the session). */
  readonly gate: boolean;
  readonly params: { readonly [K in keyof Args]: ParamDescriptor<Args[K]> };
  readonly result: ValueCodec<Result>;
  /** Default per-call timeout from the schema, in ms. */
  readonly timeoutMs?: number;
  /** Safe to retry on another node when the chosen node vanished before answering. */
  readonly retrySafe: boolean;
  /** Hash of this handler's wire contract (name, params, result types). */
  readonly hash: string;
}

export interface PushDescriptor {
  /** Name in TypeScript (`message`). */
  readonly name: string;
  /** MQTT topic the gate publishes it on. */
  readonly topic: string;
  readonly codec: ValueCodec<unknown>;
}

/** How an event reaches subscribers: every subscription, or one subscriber per subscribing module type. */
export type EventDelivery = "broadcast" | "balanced";

export interface EventDescriptor {
  /** Module type that declares (and emits) the event. */
  readonly module: string;
  /** Name in TypeScript (`itemChanged`). */
  readonly name: string;
  /** NATS subject the event travels on (the schema's `subject`, default `mqgen.event.<module>.<name>`). */
  readonly subject: string;
  readonly delivery: EventDelivery;
  /** The message's protobuf codec: an event travels as the message's bytes, nothing around them. */
  readonly codec: ValueCodec<unknown>;
}

export interface ModuleDescriptor {
  /** Module type as used in routing (`helloworld`). */
  readonly type: string;
  readonly version: string;
  /** Hash of the whole module's wire contract; advertised in registry metadata as `schema`. */
  readonly schemaHash: string;
  readonly handlers: Readonly<Record<string, HandlerDescriptor>>;
  readonly pushes: Readonly<Record<string, PushDescriptor>>;
  /** Events the module declares (absent in descriptors generated before events existed). */
  readonly events?: Readonly<Record<string, EventDescriptor>>;
}

/** How a call picks its node. */
export interface SelectOptions {
  /** Only nodes whose version equals this. */
  readonly version?: string;
  /** Only nodes whose metadata has all these key/value pairs. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Drop nodes for which this returns false. */
  readonly filter?: (node: ServiceNode) => boolean;
  /** Strategy name or function; defaults to the app's (random). */
  readonly strategy?: StrategyName | Strategy;
}

export type StrategyName = "random" | "roundRobin" | "weighted";

/** Picks one node from the candidates that passed the filters; called once per call. */
export type Strategy = (nodes: readonly ServiceNode[]) => ServiceNode;

export interface CallOptions {
  /** Per-call timeout in ms (default: the handler's schema timeout, then the app's RPC timeout, 10 s). */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
  /** Send to this node id (`type@16hex` or just the 16 hex) instead of selecting one. */
  readonly node?: string;
  readonly select?: SelectOptions;
}

/** What a handler receives besides its arguments. */
export interface CallContext {
  /** Wire name of the handler being run. */
  readonly handler: string;
  /** Absolute deadline, unix ms, from RPCInfo.Expired. */
  readonly deadline: number;
  /** Fires at the deadline, or when the app stops. */
  readonly signal: AbortSignal;
  /** Caller host name (RPCInfo.caller). */
  readonly caller: string;
  readonly traceId: string;
  readonly spanId: string;
  /**
   * The module's logger with this call's trace and span ids on every line; the runtime always sets it
   * when the app has a logger (a hand-made context in a unit test may leave it out).
   */
  readonly log?: CallLogger | undefined;
}

/** The part of a pino logger a handler uses (structural, so this file stays free of node-only imports). */
export interface CallLogger {
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
  child(bindings: Record<string, unknown>): CallLogger;
}

/** Client side, as used by generated stubs. Implemented by the app's RPC client. */
export interface RpcCaller {
  /** Untyped call: `target` is a module type or `type@nodeId`; arguments are tagged by their JS type. */
  call(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<unknown>;
  /** Fire-and-forget (Reply=false). Resolves once the request is published. */
  callNR(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<void>;
  /**
   * Typed call through a descriptor: arguments encoded with the param codecs, result decoded with the
   * result codec; the argument and result types are the descriptor's.
   */
  callHandler<A extends readonly unknown[], R>(
    module: ModuleDescriptor,
    handler: HandlerDescriptor<A, R>,
    args: NoInfer<A>,
    options?: CallOptions,
  ): Promise<R>;
  callHandlerNR<A extends readonly unknown[]>(
    module: ModuleDescriptor,
    handler: HandlerDescriptor<A, unknown>,
    args: NoInfer<A>,
    options?: CallOptions,
  ): Promise<void>;
}

export type RawHandler = (args: unknown[], ctx: CallContext) => unknown;

/**
 * A handler registered through its descriptor: the arguments arrive decoded by the descriptor's codecs, in
 * an array of their own (so mutable, as RawHandler's), typed by the descriptor.
 */
export type TypedHandler<A extends readonly unknown[], R> = (args: { -readonly [K in keyof A]: A[K] }, ctx: CallContext) => R | Promise<R>;

/** Server side, as used by generated `register…` functions. Implemented by a running module's RPC server. */
export interface ModuleServer {
  /** mqant Register: calls run one at a time. Untyped: arguments decoded by their wire tags. */
  register(fn: string, handler: RawHandler): void;
  /** mqant RegisterGO: calls run concurrently, bounded by Rpc.MaxCoroutine. */
  registerGo(fn: string, handler: RawHandler): void;
  /** Typed registration: the handler's mode, wire name and param codecs come from the descriptor. */
  registerHandler<A extends readonly unknown[], R>(
    module: ModuleDescriptor,
    handler: HandlerDescriptor<A, R>,
    fn: NoInfer<TypedHandler<A, R>>,
  ): void;
}

/**
 * Values that need the receiving app's RPC client (a gate Session whose `bind()` calls back to its gate)
 * implement this; the server hands them its caller after decoding and before the handler runs.
 */
export const BIND_CALLER: unique symbol = Symbol.for("mqgen.bindCaller");
export interface CallerBindable {
  [BIND_CALLER](caller: RpcCaller): void;
}

/**
 * mqant's RPCSerialize (app.AddRPCSerialize): a named codec for values the built-in tags do not cover,
 * e.g. the gate's `SESSION`. Tried before the built-in tags when encoding untyped arguments.
 */
export interface ArgSerializer {
  readonly name: string;
  /** Tags this serializer decodes. */
  readonly tags: readonly string[];
  /** The tag and bytes for a value it handles, or undefined to let the next serializer try. */
  serialize(value: unknown): { tag: string; bytes: Uint8Array } | undefined;
  deserialize(tag: string, bytes: Uint8Array): unknown;
}

/** A reply as it travels in ResultInfo, before decoding. */
export interface RawResult {
  readonly resultType: string;
  readonly result: Uint8Array;
  /** "" on success. */
  readonly error: string;
}

/*
 * Message and enum descriptors. Generated code describes each schema message as a plain field table and
 * the runtime encodes it reflectively (the protobuf-es model), which keeps generated files small and fast
 * to type-check. `defineMessage` / `defineEnum` (runtime/codec/message.ts) turn a table into a MessageType.
 */
export type ScalarKind =
  | "bool"
  | "int32"
  | "int64"
  | "uint32"
  | "uint64"
  | "float"
  | "double"
  | "string"
  | "bytes"
  | "sint32"
  | "sint64"
  | "fixed32"
  | "fixed64"
  | "sfixed32"
  | "sfixed64";

export type FieldType =
  | { readonly kind: "scalar"; readonly scalar: ScalarKind }
  | { readonly kind: "enum"; readonly enum: EnumType }
  /** A thunk, so messages can refer to each other in any order and recursively. */
  | { readonly kind: "message"; readonly message: () => MessageType<object> };

export interface FieldDescriptor {
  /** Protobuf field number. */
  readonly no: number;
  /** Property name in TypeScript, and in JSON unless `jsonName` is set (the schema's field name). */
  readonly name: string;
  /** Name in JSON when it differs from the property (an escaped name like `constructor$`, or `json_name`). */
  readonly jsonName?: string;
  /**
   * The oneof this field belongs to: the message's `<oneof>` property holds `{ case: "<name>", value }`
   * (or `{ case: undefined }`) instead of a property of its own.
   */
  readonly oneof?: string;
  readonly type: FieldType;
  /**
   * singular: always present (scalars default to zero values; singular message fields are optional
   * properties); optional: `name?: T`; repeated: `T[]`; map: `Record<string, T>` keyed by `mapKey`.
   */
  readonly cardinality: "singular" | "optional" | "repeated" | "map";
  readonly mapKey?: ScalarKind;
}

/** An enum as a const object of name → number; TypeScript sees the union `E` of its numbers. */
export interface EnumType<E extends number = number> {
  readonly typeName: string;
  readonly values: Readonly<Record<string, number>>;
  /** Schema names of values whose TypeScript key was escaped (`__proto__$` → `__proto__`), used in JSON. */
  readonly protoNames?: Readonly<Record<string, string>>;
  /**
   * As an RPC argument or result: mqant has no enum type, so the number travels as an int32 (tag `int`).
   * Numbers the enum does not name pass through, as protobuf's open enums keep them.
   */
  readonly codec: ValueCodec<E>;
}

export interface MessageType<T extends object> {
  /** Fully qualified schema name (`chat.Message`). */
  readonly typeName: string;
  readonly fields: readonly FieldDescriptor[];
  /** A message with every singular field at its zero value, overridden by `init`. */
  create(init?: Partial<T>): T;
  encode(message: T): Uint8Array;
  /** Throws BadArgumentError on malformed bytes. */
  decode(bytes: Uint8Array): T;
  /** Protobuf JSON mapping: int64 as decimal strings, bytes as base64, enums by name. */
  toJson(message: T): Record<string, unknown>;
  /** Throws BadArgumentError naming the field on a value of the wrong type. */
  fromJson(json: unknown): T;
  clone(message: T): T;
  /** As an RPC argument/result: tag `proto@<typeName>`; decodes any `proto@…`/`marshal@…` tag and `null`. */
  readonly codec: ValueCodec<T>;
  /** As a JSON object on the wire: tag `map` (gate-facing handlers receive JSON objects). */
  readonly jsonCodec: ValueCodec<T>;
}
