/**
 * The one plain intermediate model both schema languages are parsed into. Plain objects only (no class
 * instances), so handlebars can read them and tests can compare them; every node carries its source position
 * so diagnostics point at the schema, not at generated code.
 */
import type { ScalarKind, HandlerMode } from "../runtime/descriptor.js";

export type { ScalarKind, HandlerMode };

export interface SourcePos {
  /** Path relative to the schema directory's parent as given on the command line, with `/` separators. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

export const SCALAR_KINDS: readonly ScalarKind[] = [
  "bool",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "float",
  "double",
  "string",
  "bytes",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
];

/**
 * A type as written in a schema. `ref` names a message or enum, resolved by the validator (`resolved`), which
 * is why it is the only mutable part of the model. `map` / `mapstr` are mqant's untyped JSON objects and are
 * only valid as handler params or results; `void` only as a result.
 */
export type TypeRef =
  | { readonly kind: "scalar"; readonly scalar: ScalarKind }
  | {
      readonly kind: "ref";
      /** As written: `SayReply`, `common.Page`, `.pkg.Msg` (proto fully qualified). */
      readonly name: string;
      /** Package the name is looked up from (the referencing file's package). */
      readonly scope: string;
      resolved?: { readonly target: "message" | "enum"; readonly fullName: string };
    }
  | { readonly kind: "map" }
  | { readonly kind: "mapstr" }
  | { readonly kind: "void" };

export type Cardinality = "singular" | "optional" | "repeated" | "map";

const MAP_KEY_KINDS: readonly string[] = ["bool", "int32", "int64", "uint32", "uint64", "string", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64"];

/** The scalar kinds protobuf allows as map keys (both schema languages share the rule). */
export function isMapKeyKind(kind: string): kind is ScalarKind {
  return MAP_KEY_KINDS.includes(kind);
}

/** Field numbers (inclusive ranges) and names a message keeps from reuse (`reserved`). */
export interface ReservedModel {
  readonly numbers: readonly (readonly [number, number])[];
  readonly names: readonly string[];
}

export interface FieldModel {
  readonly name: string;
  readonly no: number;
  readonly type: TypeRef;
  readonly cardinality: Cardinality;
  readonly mapKey?: ScalarKind;
  /** A key type that cannot be a map key, kept so the validator can report it. */
  readonly invalidMapKey?: string;
  /** `json_name` of a .proto field, when it has one; JSON otherwise uses `name`. */
  readonly jsonName?: string;
  /** `[deprecated = true]`: generated members carry `@deprecated`. */
  readonly deprecated?: boolean;
  /** The oneof this field is a member of (its cardinality is then "optional"). */
  readonly oneof?: string;
  readonly doc: string;
  readonly pos: SourcePos;
}

export interface MessageModel {
  /** `chat.SayReply` (package + name; nested proto messages are `pkg.Outer.Inner`). */
  readonly fullName: string;
  readonly package: string;
  /** TypeScript name: `SayReply`, nested `Outer_Inner`. */
  readonly name: string;
  readonly doc: string;
  readonly fields: readonly FieldModel[];
  /** Made by mqgen from a YAML gate handler's named params (the request object). */
  readonly synthetic: boolean;
  /** What `reserved` keeps (read by `mqgen breaking`); absent when the message reserves nothing. */
  readonly reserved?: ReservedModel;
  readonly deprecated?: boolean;
  readonly pos: SourcePos;
}

export interface EnumValueModel {
  readonly name: string;
  readonly number: number;
  readonly deprecated?: boolean;
  readonly doc: string;
  readonly pos: SourcePos;
}

export interface EnumModel {
  readonly fullName: string;
  readonly package: string;
  readonly name: string;
  readonly doc: string;
  /** proto3 requires the first value to be 0; YAML enums follow the same rule so they map to proto. */
  readonly values: readonly EnumValueModel[];
  /** `option allow_alias = true`: several names may share a number. */
  readonly allowAlias?: boolean;
  readonly deprecated?: boolean;
  readonly pos: SourcePos;
}

export interface ParamModel {
  readonly name: string;
  readonly type: TypeRef;
  /** A YAML `T[]` / `map<…>` param, kept so the validator can tell the user to wrap it in a message. */
  readonly collection?: "repeated" | "map";
  /** Key type of a `map<K, V>` param (only meaningful as a gate request field). */
  readonly mapKey?: ScalarKind;
  readonly invalidMapKey?: string;
  readonly doc: string;
  readonly pos: SourcePos;
}

export interface HandlerModel {
  /** TypeScript method name (`sayHi`), before escaping (emit escapes `constructor` → `constructor$`). */
  readonly method: string;
  /** The name as written in the schema (`SayHi` for a .proto rpc), for messages about collisions. */
  readonly schemaName: string;
  readonly wireName: string;
  readonly mode: HandlerMode;
  readonly gate: boolean;
  /**
   * Positional params. A gate handler has exactly one, the request message (YAML named params were turned
   * into a synthetic `<Method>Request` message); the session is implied.
   */
  readonly params: readonly ParamModel[];
  readonly result: TypeRef;
  readonly resultCollection?: "repeated" | "map";
  readonly timeoutMs?: number;
  readonly retrySafe: boolean;
  readonly doc: string;
  readonly pos: SourcePos;
  /** Position of the wire name (the `wire:` value or the option), for duplicate and prefix errors. */
  readonly wirePos: SourcePos;
  /** Position of the result type (the `returns:` value), for type errors. */
  readonly resultPos: SourcePos;
  readonly deprecated?: boolean;
}

export interface PushModel {
  /** TypeScript name (`message`), used in `on<Name>` of the gate client. */
  readonly name: string;
  readonly topic: string;
  readonly type: TypeRef;
  readonly doc: string;
  readonly pos: SourcePos;
}

/** How an event reaches its subscribers: every subscription, or one per subscribing module type. */
export type EventDelivery = "broadcast" | "balanced";

export interface EventModel {
  /** TypeScript name (`itemChanged`), used in `emit<Name>` and `on<Name>` of `<Module>Events`. */
  readonly name: string;
  readonly type: TypeRef;
  readonly delivery: EventDelivery;
  /** NATS subject it travels on (default `mqgen.event.<module>.<name>`). */
  readonly subject: string;
  readonly doc: string;
  readonly pos: SourcePos;
  /** Position of the delivery mode (the `delivery:` value or the option), for its errors. */
  readonly deliveryPos: SourcePos;
}

/** The subject an event travels on when the schema names none. */
export function defaultEventSubject(moduleType: string, name: string): string {
  return `mqgen.event.${moduleType}.${name}`;
}

export interface ModuleModel {
  /** Module type as used in routing (`helloworld`). */
  readonly type: string;
  readonly version: string;
  readonly doc: string;
  /** Package of the module's own messages. */
  readonly package: string;
  readonly source: string;
  readonly handlers: readonly HandlerModel[];
  readonly pushes: readonly PushModel[];
  readonly events: readonly EventModel[];
  readonly pos: SourcePos;
}

export interface SchemaFileModel {
  /** Relative path with `/` separators, as printed in `// source:` lines and diagnostics. */
  readonly path: string;
  readonly syntax: "yaml" | "proto";
  readonly package: string;
}

export interface SchemaModel {
  readonly files: readonly SchemaFileModel[];
  readonly modules: readonly ModuleModel[];
  readonly messages: readonly MessageModel[];
  readonly enums: readonly EnumModel[];
}

export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return compareStrings(a.file, b.file) || a.line - b.line || a.col - b.col || compareStrings(a.message, b.message);
}

/** Code-unit order, independent of locale, so output is the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareStrings(key(a), key(b));
}

/** Sorts every list of the model so that the order of input files or declarations never shows in output. */
export function sortModel(model: SchemaModel): SchemaModel {
  return {
    files: [...model.files].sort(byKey((f) => f.path)),
    modules: [...model.modules]
      .map((m) => ({
        ...m,
        handlers: [...m.handlers].sort(byKey((h) => h.method)),
        pushes: [...m.pushes].sort(byKey((p) => p.name)),
        events: [...m.events].sort(byKey((e) => e.name)),
      }))
      .sort(byKey((m) => m.type)),
    messages: [...model.messages]
      .map((m) => ({ ...m, fields: [...m.fields].sort((a, b) => a.no - b.no || compareStrings(a.name, b.name)) }))
      .sort(byKey((m) => m.fullName)),
    enums: [...model.enums]
      .map((e) => ({ ...e, values: [...e.values].sort((a, b) => a.number - b.number || compareStrings(a.name, b.name)) }))
      .sort(byKey((e) => e.fullName)),
  };
}
