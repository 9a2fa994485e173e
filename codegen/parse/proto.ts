/**
 * .proto schemas → model, from the descriptors buf compiles (see buf.ts): `service` → module, `rpc` →
 * handler taking its request message as the single param `request`; handler properties come from the custom
 * options in `mqgen/options.proto`, which resolves from this package. Positions and comments come from the
 * descriptors' source info, exactly as protoc records them.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type {
  Cardinality,
  Diagnostic,
  EnumModel,
  FieldModel,
  HandlerModel,
  HandlerMode,
  MessageModel,
  ModuleModel,
  PushModel,
  ReservedModel,
  ScalarKind,
  SchemaFileModel,
  SchemaModel,
  SourcePos,
  TypeRef,
} from "../model.js";
import { isMapKeyKind } from "../model.js";
import { camelCase } from "../names.js";
import { readProtos } from "./buf.js";
import { inProtocWords } from "./protoc-wording.js";
import { MAPPED_WELL_KNOWN_TYPES, WELL_KNOWN_IMPORTS } from "./well-known.js";
import type { EnumDescriptor, FieldDescriptor, FileDescriptor, MessageDescriptor, OptionsJson, ServiceDescriptor } from "./descriptor.js";
import { PATH, SourceInfo } from "./descriptor.js";
import { attachEvents, declaredEvent, type DeclaredEvent } from "./proto-events.js";

export interface ProtoSource {
  /** Display path (relative, `/`-separated), used in diagnostics and `// source:` lines. */
  readonly path: string;
  /** Absolute path on disk. */
  readonly absolutePath: string;
  readonly text: string;
}

/** The package's `proto/` folder, from the sources (codegen/parse) or from a build (dist/codegen/parse). */
const PACKAGE_PROTO_DIR = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    if (existsSync(join(dir, "proto", "mqgen", "options.proto"))) return join(dir, "proto");
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../proto");
})();

const SCALARS: Readonly<Record<string, ScalarKind>> = {
  TYPE_BOOL: "bool",
  TYPE_INT32: "int32",
  TYPE_INT64: "int64",
  TYPE_UINT32: "uint32",
  TYPE_UINT64: "uint64",
  TYPE_FLOAT: "float",
  TYPE_DOUBLE: "double",
  TYPE_STRING: "string",
  TYPE_BYTES: "bytes",
  TYPE_SINT32: "sint32",
  TYPE_SINT64: "sint64",
  TYPE_FIXED32: "fixed32",
  TYPE_FIXED64: "fixed64",
  TYPE_SFIXED32: "sfixed32",
  TYPE_SFIXED64: "sfixed64",
};

/** Proto scalar types mqgen does not map; none today, kept so a new descriptor type is refused by name. */
const UNSUPPORTED_SCALARS: Readonly<Record<string, [string, string]>> = {};

const EMPTY = "google.protobuf.Empty";

export function parseProtoSchemas(_schemaDir: string, sources: readonly ProtoSource[], imports: readonly string[] = []): {
  model: SchemaModel;
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const empty: SchemaModel = { files: [], modules: [], messages: [], enums: [] };
  if (sources.length === 0 && imports.length === 0) return { model: empty, diagnostics };
  const byRel = new Map<string, ProtoSource>();
  for (const source of sources) byRel.set(source.path.split("/").slice(1).join("/"), source);
  if (imports.length > 0) {
    const text = `syntax = "proto3";\n${imports.map((i) => `import "${i}";\n`).join("")}`;
    byRel.set(WELL_KNOWN_IMPORTS, { path: WELL_KNOWN_IMPORTS, absolutePath: "", text });
  }
  // Each file is read as soon as it is decoded: its descriptor (the bulk of buf's output) never outlives it.
  const compiled = readProtos(
    [...byRel.entries()].map(([rel, s]) => ({ rel, text: s.text })),
    PACKAGE_PROTO_DIR,
    (file) => readFile(file, byRel),
  );
  for (const e of inProtocWords(compiled.errors, (rel) => byRel.get(rel)?.text)) {
    const file = byRel.get(e.rel)?.path ?? (e.rel === "" ? sources[0]?.path ?? "" : e.rel);
    diagnostics.push({ file, line: e.line, col: e.col, message: e.message });
  }
  if (compiled.files.length === 0) return { model: empty, diagnostics };
  const files: SchemaFileModel[] = [];
  const modules: ModuleModel[] = [];
  const messages: MessageModel[] = [];
  const enums: EnumModel[] = [];
  for (const part of compiled.files) {
    if (part.file !== undefined) files.push(part.file);
    modules.push(...part.modules);
    messages.push(...part.messages);
    enums.push(...part.enums);
    diagnostics.push(...part.diagnostics);
  }
  return { model: { files, modules, messages, enums }, diagnostics };
}

/** What one compiled file contributes to the model, with its own diagnostics (so reading has no side effects). */
interface FilePart {
  readonly file?: SchemaFileModel;
  readonly modules: readonly ModuleModel[];
  readonly messages: readonly MessageModel[];
  readonly enums: readonly EnumModel[];
  readonly diagnostics: readonly Diagnostic[];
}

const NOTHING: FilePart = { modules: [], messages: [], enums: [], diagnostics: [] };

function readFile(file: FileDescriptor, byRel: ReadonlyMap<string, ProtoSource>): FilePart {
  if (file.name.startsWith("google/protobuf/") && file.package === "google.protobuf") {
    // An imported well-known type mqgen maps is generated like any message (google.protobuf.types.ts);
    // the codec runtime gives it its canonical JSON.
    const reader = new FileReader(file, { path: file.name, absolutePath: "", text: "" }, []);
    reader.read();
    return {
      modules: [],
      messages: reader.messages.filter((m) => MAPPED_WELL_KNOWN_TYPES.has(m.fullName)),
      enums: reader.enums.filter((e) => MAPPED_WELL_KNOWN_TYPES.has(e.fullName)),
      diagnostics: [],
    };
  }
  const source = byRel.get(file.name);
  if (source === undefined || file.name === WELL_KNOWN_IMPORTS) return NOTHING;
  const diagnostics: Diagnostic[] = [];
  const reader = new FileReader(file, source, diagnostics);
  reader.read();
  const { modules, messages, enums } = reader;
  return { file: { path: source.path, syntax: "proto", package: file.package ?? "" }, modules, messages, enums, diagnostics };
}

/**
 * The map entries of a file by full name: a map field's type. buf refuses any other use of an entry type,
 * so a map field's entry is always one of its own file's.
 */
function mapEntriesOf(file: FileDescriptor): Map<string, MessageDescriptor> {
  const entries = new Map<string, MessageDescriptor>();
  const index = (prefix: string, list: readonly MessageDescriptor[] | undefined): void => {
    for (const m of list ?? []) {
      const full = prefix === "" ? m.name : `${prefix}.${m.name}`;
      if (m.options?.mapEntry === true) entries.set(full, m);
      index(full, m.nestedType);
    }
  };
  index(file.package ?? "", file.messageType);
  return entries;
}

function option(options: OptionsJson | undefined, name: string): unknown {
  return options?.[`[mqgen.${name}]`];
}

function stringOption(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** One compiled schema file → its modules, messages and enums. */
class FileReader {
  readonly modules: ModuleModel[] = [];
  readonly messages: MessageModel[] = [];
  readonly enums: EnumModel[] = [];
  private readonly pkg: string;
  private readonly info: SourceInfo;
  private readonly pushes: PushModel[] = [];
  private readonly events: DeclaredEvent[] = [];
  /** proto2, proto3 or editions: decides field presence and packing defaults. */
  private readonly syntax: "proto2" | "proto3" | "editions";
  private readonly mapEntries: ReadonlyMap<string, MessageDescriptor>;

  constructor(
    private readonly file: FileDescriptor,
    private readonly source: ProtoSource,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.pkg = file.package ?? "";
    this.mapEntries = mapEntriesOf(file);
    this.info = new SourceInfo(file);
    this.syntax = file.syntax === "proto3" ? "proto3" : file.syntax === "editions" ? "editions" : "proto2";
  }

  read(): void {
    const { file } = this;
    (file.messageType ?? []).forEach((m, i) => this.addMessage(m, [PATH.fileMessage, i], []));
    (file.enumType ?? []).forEach((e, i) => this.addEnum(e, [PATH.fileEnum, i], []));
    (file.service ?? []).forEach((s, i) => this.addService(s, [PATH.fileService, i]));
    if ((file.extension ?? []).length > 0) {
      this.report(this.pos([]), "extensions are not supported (mqant has no way to carry them); declare fields instead");
    }
    if (this.pushes.length > 0) {
      if (this.modules.length !== 1) {
        for (const push of this.pushes) {
          this.report(push.pos, `push_topic needs exactly one service in ${this.source.path} to belong to (found ${this.modules.length})`);
        }
      } else {
        const owner = this.modules[0] as ModuleModel;
        this.modules[0] = { ...owner, pushes: [...owner.pushes, ...this.pushes] };
      }
    }
    attachEvents(this.modules, this.events, this.source.path, this.diagnostics);
  }

  private pos(path: readonly number[], fallback?: readonly number[]): SourcePos {
    const p = this.info.position(path) ?? (fallback ? this.info.position(fallback) : undefined);
    return { file: this.source.path, line: p?.line ?? 1, col: p?.col ?? 1 };
  }

  private report(pos: SourcePos, message: string): void {
    this.diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, message });
  }

  private qualified(prefix: readonly string[], name: string): string {
    return [this.pkg, ...prefix, name].filter((p) => p !== "").join(".");
  }

  private addMessage(m: MessageDescriptor, path: readonly number[], prefix: readonly string[]): void {
    if (m.options?.mapEntry) return;
    const fullName = this.qualified(prefix, m.name);
    const pos = this.pos([...path, PATH.name], path);
    const fields: FieldModel[] = [];
    (m.field ?? []).forEach((f, i) => {
      const field = this.field(m, f, [...path, PATH.messageField, i]);
      if (field) fields.push(field);
    });
    const reserved = reservedOf(m);
    const doc = this.info.comment(path);
    this.messages.push({
      fullName,
      package: this.pkg,
      name: [...prefix, m.name].join("_"),
      doc,
      fields,
      synthetic: false,
      ...(reserved ? { reserved } : {}),
      ...(m.options?.deprecated === true ? { deprecated: true } : {}),
      pos,
    });
    const topic = stringOption(option(m.options, "push_topic"));
    if (topic !== undefined) {
      this.pushes.push({ name: camelCase(m.name), topic, type: { kind: "ref", name: fullName, scope: this.pkg }, doc, pos });
    }
    const event = declaredEvent(m.options, { name: m.name, fullName, scope: this.pkg, doc, pos }, (n) => this.pos([...path, PATH.messageOptions, n], path));
    if (event !== undefined) this.events.push(event);
    (m.nestedType ?? []).forEach((n, i) => this.addMessage(n, [...path, PATH.messageNested, i], [...prefix, m.name]));
    (m.enumType ?? []).forEach((e, i) => this.addEnum(e, [...path, PATH.messageEnum, i], [...prefix, m.name]));
  }

  /** Presence of a singular field, by the file's syntax and (for editions) its features. */
  private explicitPresence(f: FieldDescriptor): boolean {
    if (this.syntax === "proto3") return f.proto3Optional === true;
    if (this.syntax === "proto2") return true;
    const presence = f.options?.features?.fieldPresence ?? this.file.options?.features?.fieldPresence ?? "EXPLICIT";
    return presence !== "IMPLICIT";
  }

  private packedByDefault(f: FieldDescriptor): boolean {
    if (f.options?.packed !== undefined) return f.options.packed;
    if (this.syntax === "proto2") return false;
    if (this.syntax === "proto3") return true;
    return (f.options?.features?.repeatedFieldEncoding ?? this.file.options?.features?.repeatedFieldEncoding ?? "PACKED") === "PACKED";
  }

  private field(owner: MessageDescriptor, f: FieldDescriptor, path: readonly number[]): FieldModel | undefined {
    const pos = this.pos(path);
    if (f.label === "LABEL_REQUIRED" || f.options?.features?.fieldPresence === "LEGACY_REQUIRED") {
      this.report(pos, `field '${f.name}' is required (proto2 required / LEGACY_REQUIRED); mqgen has no required fields, make it optional`);
      return undefined;
    }
    const oneof = f.oneofIndex !== undefined && f.proto3Optional !== true ? owner.oneofDecl?.[f.oneofIndex]?.name : undefined;
    if (f.defaultValue !== undefined) {
      this.report(pos, `field '${f.name}' has a default value ([default = ${f.defaultValue}]); mqgen decodes a missing field as its zero value, so it is refused rather than read differently`);
      return undefined;
    }
    if (f.type === "TYPE_GROUP") {
      this.report(pos, `field '${f.name}' is a group; groups are not supported, use a message field`);
      return undefined;
    }
    const unsupported = UNSUPPORTED_SCALARS[f.type];
    if (unsupported) {
      this.report(pos, `field '${f.name}': type '${unsupported[0]}' is not supported, use ${unsupported[1]}`);
      return undefined;
    }
    let type: TypeRef;
    let cardinality: Cardinality = "singular";
    let mapKey: { mapKey?: ScalarKind; invalidMapKey?: string } = {};
    const entry = f.type === "TYPE_MESSAGE" && f.typeName ? this.mapEntries.get(f.typeName.replace(/^\./, "")) : undefined;
    if (f.label === "LABEL_REPEATED" && entry?.options?.mapEntry) {
      const [key, value] = [entry.field?.[0], entry.field?.[1]];
      const keyKind = key ? SCALARS[key.type] ?? UNSUPPORTED_SCALARS[key.type]?.[0] ?? key.type : "string";
      mapKey = isMapKeyKind(keyKind) ? { mapKey: keyKind } : { invalidMapKey: keyKind };
      const valueType = value ? this.typeOf(value, pos) : undefined;
      if (!valueType) return undefined;
      type = valueType;
      cardinality = "map";
    } else {
      const t = this.typeOf(f, pos);
      if (!t) return undefined;
      type = t;
      if (f.label === "LABEL_REPEATED") {
        cardinality = "repeated";
        const packable = f.type !== "TYPE_STRING" && f.type !== "TYPE_BYTES" && f.type !== "TYPE_MESSAGE";
        if (packable && !this.packedByDefault(f)) {
          this.report(pos, `field '${f.name}' is a repeated scalar written unpacked (proto2's default, [packed = false] or EXPANDED); mqgen writes them packed, so add [packed = true] or drop the option`);
          return undefined;
        }
      } else if (oneof !== undefined || (f.type !== "TYPE_MESSAGE" && this.explicitPresence(f))) cardinality = "optional";
    }
    const explicitJson = this.info.has([...path, PATH.fieldJsonName]) && f.jsonName !== undefined;
    return {
      name: f.name,
      no: f.number,
      type,
      cardinality,
      ...mapKey,
      ...(explicitJson ? { jsonName: f.jsonName } : {}),
      ...(f.options?.deprecated === true ? { deprecated: true } : {}),
      ...(oneof !== undefined ? { oneof } : {}),
      doc: this.info.comment(path),
      pos,
    };
  }

  private typeOf(f: FieldDescriptor, pos: SourcePos): TypeRef | undefined {
    const scalar = SCALARS[f.type];
    if (scalar) return { kind: "scalar", scalar };
    const unsupported = UNSUPPORTED_SCALARS[f.type];
    if (unsupported) {
      this.report(pos, `field '${f.name}': type '${unsupported[0]}' is not supported, use ${unsupported[1]}`);
      return undefined;
    }
    return { kind: "ref", name: (f.typeName ?? "").replace(/^\./, ""), scope: this.pkg };
  }

  private addEnum(e: EnumDescriptor, path: readonly number[], prefix: readonly string[]): void {
    this.enums.push({
      fullName: this.qualified(prefix, e.name),
      package: this.pkg,
      name: [...prefix, e.name].join("_"),
      doc: this.info.comment(path),
      values: (e.value ?? []).map((v, i) => {
        const valuePath = [...path, PATH.enumValue, i];
        return {
          name: v.name,
          number: v.number ?? 0,
          ...(v.options?.deprecated === true ? { deprecated: true } : {}),
          doc: this.info.comment(valuePath),
          pos: this.pos(valuePath),
        };
      }),
      ...(e.options?.allowAlias === true ? { allowAlias: true } : {}),
      ...(e.options?.deprecated === true ? { deprecated: true } : {}),
      pos: this.pos([...path, PATH.name], path),
    });
  }

  private addService(service: ServiceDescriptor, path: readonly number[]): void {
    const pos = this.pos([...path, PATH.name], path);
    const handlers: HandlerModel[] = [];
    (service.method ?? []).forEach((method, i) => {
      const methodPath = [...path, PATH.serviceMethod, i];
      const methodPos = this.pos([...methodPath, PATH.name], methodPath);
      if (method.clientStreaming || method.serverStreaming) {
        this.report(methodPos, `rpc '${method.name}' streams; mqant handlers take and return one value`);
        return;
      }
      const mo = method.options;
      const optionPos = (number: number): SourcePos => this.pos([...methodPath, PATH.methodOptions, number], methodPath);
      const gate = option(mo, "gate") === true;
      const wireOption = stringOption(option(mo, "wire_name"));
      const modeOption = stringOption(option(mo, "mode"));
      let mode: HandlerMode = "concurrent";
      if (modeOption === "serial" || modeOption === "concurrent") mode = modeOption;
      else if (modeOption !== undefined) {
        this.report(optionPos(50102), `mode of '${method.name}' must be serial or concurrent, not '${modeOption}'`);
      }
      const timeout = option(mo, "timeout_ms");
      const requestName = method.inputType.replace(/^\./, "");
      const responseName = method.outputType.replace(/^\./, "");
      handlers.push({
        method: camelCase(method.name),
        schemaName: method.name,
        wireName: wireOption ?? (gate ? `HD_${method.name}` : `/${method.name}`),
        mode,
        gate,
        params:
          requestName === EMPTY
            ? []
            : [{ name: "request", type: { kind: "ref", name: requestName, scope: this.pkg }, doc: "", pos: methodPos }],
        result: responseName === EMPTY ? { kind: "void" } : { kind: "ref", name: responseName, scope: this.pkg },
        ...(typeof timeout === "number" && timeout > 0 ? { timeoutMs: timeout } : {}),
        retrySafe: option(mo, "retry_safe") === true,
        doc: this.info.comment(methodPath),
        pos: methodPos,
        resultPos: methodPos,
        wirePos: wireOption !== undefined ? optionPos(50101) : methodPos,
        ...(mo?.deprecated === true ? { deprecated: true } : {}),
      });
    });
    this.modules.push({
      type: stringOption(option(service.options, "module_type")) ?? service.name.toLowerCase(),
      version: stringOption(option(service.options, "version")) ?? "1.0.0",
      doc: this.info.comment(path),
      package: this.pkg,
      source: this.source.path,
      handlers,
      pushes: [],
      events: [],
      pos,
    });
  }
}

/** Descriptor ranges are end-exclusive; the model's are inclusive. */
function reservedOf(m: MessageDescriptor): ReservedModel | undefined {
  const numbers: [number, number][] = (m.reservedRange ?? []).map((r) => [r.start, r.end - 1]);
  const names = [...(m.reservedName ?? [])];
  return numbers.length > 0 || names.length > 0 ? { numbers, names } : undefined;
}
