/**
 * .proto schemas → model, through protobufjs reflection plus a token scan for source positions.
 * `service` → module, `rpc` → handler taking its request message as the single param `request`; handler
 * properties come from the custom options in `mqgen/options.proto`, which resolves from this package.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Protobuf from "protobufjs";
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
  ScalarKind,
  SchemaFileModel,
  SchemaModel,
  SourcePos,
  TypeRef,
  ReservedModel,
} from "../model.js";
import { isMapKeyKind, SCALAR_KINDS } from "../model.js";
import { camelCase } from "../names.js";
import { scanProtoPositions } from "./proto-positions.js";
import { unescapeProtoString } from "./proto-strings.js";
import type { PositionTable } from "./proto-positions.js";

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
const PROTOBUFJS_DIR = dirname(createRequire(import.meta.url).resolve("protobufjs/package.json"));

/** Proto scalar types mqgen does not map; the message names the type to use instead. */
const UNSUPPORTED_SCALARS: Readonly<Record<string, string>> = {
  sint32: "int32",
  sfixed32: "int32",
  fixed32: "uint32",
  sint64: "int64",
  sfixed64: "int64",
  fixed64: "uint64",
};

const EMPTY = "google.protobuf.Empty";

const require = createRequire(import.meta.url);
let protobufjs: typeof Protobuf | undefined;

/** protobufjs loads on first use, so YAML-only runs do not pay for it. */
function loadProtobufjs(): typeof Protobuf {
  protobufjs ??= require("protobufjs") as typeof Protobuf;
  return protobufjs;
}

export function parseProtoSchemas(schemaDir: string, sources: readonly ProtoSource[]): {
  model: SchemaModel;
  diagnostics: Diagnostic[];
} {
  const diagnostics: Diagnostic[] = [];
  const empty: SchemaModel = { files: [], modules: [], messages: [], enums: [] };
  if (sources.length === 0) return { model: empty, diagnostics };
  const byAbsolute = new Map(sources.map((s) => [resolve(s.absolutePath), s]));
  const protobuf = loadProtobufjs();
  const root = new protobuf.Root();
  root.resolvePath = (origin: string, target: string): string => {
    if (!origin) return target;
    if (target === "mqgen/options.proto") return join(PACKAGE_PROTO_DIR, target);
    if (target.startsWith("google/protobuf/")) {
      const bundled = join(PROTOBUFJS_DIR, target);
      return existsSync(bundled) ? bundled : target;
    }
    const besideOrigin = resolve(dirname(origin), target);
    return existsSync(besideOrigin) ? besideOrigin : resolve(schemaDir, target);
  };
  const loadOptions = { keepCase: true, alternateCommentMode: true };
  // Imports load first: protobufjs resolves the whole root after each load, which must not see our files'
  // references half-declared. Our own files are parsed afterwards and never resolved as a whole.
  const loaded = new Set<string>();
  for (const source of sources) {
    for (const { target, line, col } of importsOf(source.text)) {
      const resolved = root.resolvePath(source.absolutePath, target) ?? target;
      if (byAbsolute.has(resolve(resolved)) || loaded.has(resolved)) continue;
      if (!existsSync(resolved) && !resolved.startsWith("google/")) {
        diagnostics.push({ file: source.path, line, col, message: `import "${target}" not found` });
        continue;
      }
      loaded.add(resolved);
      try {
        root.loadSync(resolved, loadOptions);
      } catch (error) {
        diagnostics.push({ file: source.path, line, col, message: `import "${target}": ${error instanceof Error ? error.message : String(error)}` });
      }
    }
  }
  for (const source of sources) {
    try {
      protobuf.parse(source.text, root, loadOptions);
    } catch (error) {
      diagnostics.push(parseErrorDiagnostic(source, error));
    }
  }
  if (diagnostics.length > 0) return { model: empty, diagnostics };

  // The scan also tells which schema file declares each message, enum and service (protobufjs.parse sets no
  // filename); anything not declared in a schema file (options.proto, descriptor.proto) is skipped.
  const positions = new Map<string, PositionTable>();
  const declaredIn = new Map<string, ProtoSource>();
  for (const source of sources) {
    const table = scanProtoPositions(source.text);
    positions.set(source.path, table);
    for (const key of table.keys()) {
      const colon = key.indexOf(":");
      const kind = key.slice(0, colon);
      if (kind === "message" || kind === "enum" || kind === "service") declaredIn.set(key.slice(colon + 1), source);
    }
  }
  const files: SchemaFileModel[] = [];
  const modules: ModuleModel[] = [];
  const messages: MessageModel[] = [];
  const enums: EnumModel[] = [];
  const packageOf = new Map<string, string>();
  const pushTopics = new Map<string, PushModel[]>();

  const sourceOf = (obj: Protobuf.ReflectionObject): ProtoSource | undefined =>
    obj.filename ? undefined : declaredIn.get(obj.fullName.slice(1));
  const posIn = (source: ProtoSource, key: string): SourcePos => {
    const p = positions.get(source.path)?.get(key);
    return { file: source.path, line: p?.line ?? 1, col: p?.col ?? 1 };
  };
  const report = (pos: SourcePos, message: string): void => {
    diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, message });
  };
  const fullNameOf = (obj: Protobuf.ReflectionObject): string => obj.fullName.replace(/^\./, "");

  const walk = (ns: Protobuf.NamespaceBase, pkg: string | undefined, prefix: string[]): void => {
    for (const nested of ns.nestedArray) {
      const source = sourceOf(nested);
      if (nested instanceof protobuf.Type) {
        if (source) addMessage(nested, source, pkg ?? "", prefix);
        walk(nested, pkg, [...prefix, nested.name]);
      } else if (nested instanceof protobuf.Enum) {
        if (source) addEnum(nested, source, pkg ?? "", prefix);
      } else if (nested instanceof protobuf.Service) {
        if (source) addService(nested, source, pkg ?? "");
      } else if (nested instanceof protobuf.Namespace) {
        walk(nested, pkg === undefined ? fullNameOf(nested) : `${pkg}.${nested.name}`, []);
      }
    }
  };

  function addMessage(type: Protobuf.Type, source: ProtoSource, pkg: string, prefix: string[]): void {
    const fullName = fullNameOf(type);
    packageOf.set(source.path, pkg);
    const pos = posIn(source, `message:${fullName}`);
    reportDropped(source, `field:${fullName}.__proto__`, "field");
    const fields: FieldModel[] = [];
    for (const field of type.fieldsArray) {
      const fieldPos = posIn(source, `field:${fullName}.${field.name}`);
      if (field.partOf && !field.options?.["proto3_optional"]) {
        report(fieldPos, `field '${field.name}' is in oneof '${field.partOf.name}'; oneofs are not supported, use optional fields`);
        continue;
      }
      if (field.required) {
        report(fieldPos, `field '${field.name}' is proto2 required; use proto3 fields`);
        continue;
      }
      const type = fieldType(field, pkg, fieldPos);
      if (!type) continue;
      let cardinality: Cardinality = "singular";
      let mapKey: { mapKey?: ScalarKind; invalidMapKey?: string } = {};
      if (field instanceof protobuf.MapField) {
        cardinality = "map";
        mapKey = isMapKeyKind(field.keyType) ? { mapKey: field.keyType } : { invalidMapKey: field.keyType };
      } else if (field.repeated) cardinality = "repeated";
      else if (field.options?.["proto3_optional"]) cardinality = "optional";
      const jsonName = stringOption(field.options?.["json_name"]);
      fields.push({
        name: field.name,
        no: field.id,
        type,
        cardinality,
        ...mapKey,
        ...(jsonName !== undefined ? { jsonName } : {}),
        ...(field.options?.["deprecated"] === true ? { deprecated: true } : {}),
        doc: cleanComment(field.comment),
        pos: fieldPos,
      });
    }
    const reserved = reservedOf(type);
    messages.push({
      fullName,
      package: pkg,
      name: [...prefix, type.name].join("_"),
      doc: cleanComment(type.comment),
      fields,
      synthetic: false,
      ...(reserved ? { reserved } : {}),
      ...(type.options?.["deprecated"] === true ? { deprecated: true } : {}),
      pos,
    });
    const topic = rawStringOption(source, `option:message:${fullName}.mqgen.push_topic`, type.options?.["(mqgen.push_topic)"]);
    if (typeof topic === "string") {
      const list = pushTopics.get(source.path) ?? [];
      list.push({
        name: camelCase(type.name),
        topic,
        type: { kind: "ref", name: fullName, scope: pkg },
        doc: cleanComment(type.comment),
        pos,
      });
      pushTopics.set(source.path, list);
    }
  }

  function fieldType(field: Protobuf.Field, pkg: string, pos: SourcePos): TypeRef | undefined {
    if ((SCALAR_KINDS as readonly string[]).includes(field.type)) {
      return { kind: "scalar", scalar: field.type as ScalarKind };
    }
    const instead = UNSUPPORTED_SCALARS[field.type];
    if (instead) {
      report(pos, `field '${field.name}': type '${field.type}' is not supported, use ${instead}`);
      return undefined;
    }
    try {
      field.resolve();
    } catch {
      return { kind: "ref", name: field.type, scope: pkg };
    }
    const resolved = field.resolvedType;
    return { kind: "ref", name: resolved ? fullNameOf(resolved) : field.type, scope: pkg };
  }

  /** protobufjs drops any member named `__proto__`; say so instead of generating without it. */
  function reportDropped(source: ProtoSource, key: string, what: string): void {
    if (positions.get(source.path)?.has(key)) {
      report(posIn(source, key), `${what} name '__proto__' is dropped by the .proto parser mqgen uses (protobufjs); rename it, or declare the type in a YAML schema, where it is escaped as __proto__$`);
    }
  }

  function addEnum(e: Protobuf.Enum, source: ProtoSource, pkg: string, prefix: string[]): void {
    const fullName = fullNameOf(e);
    reportDropped(source, `value:${fullName}.__proto__`, "enum value");
    packageOf.set(source.path, pkg);
    enums.push({
      fullName,
      package: pkg,
      name: [...prefix, e.name].join("_"),
      doc: cleanComment(e.comment),
      values: Object.entries(e.values).map(([name, number]) => ({
        name,
        number,
        ...(e.valuesOptions?.[name]?.["deprecated"] === true ? { deprecated: true } : {}),
        doc: cleanComment(e.comments[name] ?? null),
        pos: posIn(source, `value:${fullName}.${name}`),
      })),
      ...(e.options?.["allow_alias"] === true ? { allowAlias: true } : {}),
      ...(e.options?.["deprecated"] === true ? { deprecated: true } : {}),
      pos: posIn(source, `enum:${fullName}`),
    });
  }

  function addService(service: Protobuf.Service, source: ProtoSource, pkg: string): void {
    const fullName = fullNameOf(service);
    packageOf.set(source.path, pkg);
    const pos = posIn(source, `service:${fullName}`);
    const options = service.options ?? {};
    const moduleType = stringOption(options["(mqgen.module_type)"]) ?? service.name.toLowerCase();
    const handlers: HandlerModel[] = [];
    for (const method of service.methodsArray) {
      const rpcKey = `rpc:${fullName}.${method.name}`;
      const methodPos = posIn(source, rpcKey);
      if (method.requestStream || method.responseStream) {
        report(methodPos, `rpc '${method.name}' streams; mqant handlers take and return one value`);
        continue;
      }
      const mo = method.options ?? {};
      const gate = mo["(mqgen.gate)"] === true;
      const wireOption = rawStringOption(source, `option:${rpcKey}.mqgen.wire_name`, mo["(mqgen.wire_name)"]);
      const modeOption = stringOption(mo["(mqgen.mode)"]);
      let mode: HandlerMode = "concurrent";
      if (modeOption === "serial" || modeOption === "concurrent") mode = modeOption;
      else if (modeOption !== undefined) {
        report(posIn(source, `option:${rpcKey}.mqgen.mode`), `mode of '${method.name}' must be serial or concurrent, not '${modeOption}'`);
      }
      const timeout = mo["(mqgen.timeout_ms)"];
      const requestName = resolveName(method, method.requestType);
      const responseName = resolveName(method, method.responseType);
      handlers.push({
        method: camelCase(method.name),
        schemaName: method.name,
        wireName: wireOption ?? (gate ? `HD_${method.name}` : `/${method.name}`),
        mode,
        gate,
        params:
          requestName === EMPTY
            ? []
            : [{ name: "request", type: { kind: "ref", name: requestName, scope: pkg }, doc: "", pos: methodPos }],
        result: responseName === EMPTY ? { kind: "void" } : { kind: "ref", name: responseName, scope: pkg },
        ...(typeof timeout === "number" && timeout > 0 ? { timeoutMs: timeout } : {}),
        retrySafe: mo["(mqgen.retry_safe)"] === true,
        doc: cleanComment(method.comment),
        pos: methodPos,
        resultPos: methodPos,
        wirePos: wireOption !== undefined ? posIn(source, `option:${rpcKey}.mqgen.wire_name`) : methodPos,
        ...(mo["deprecated"] === true ? { deprecated: true } : {}),
      });
    }
    modules.push({
      type: moduleType,
      version: stringOption(options["(mqgen.version)"]) ?? "1.0.0",
      doc: cleanComment(service.comment),
      package: pkg,
      source: source.path,
      handlers,
      pushes: [],
      pos,
    });
  }

  /**
   * A string option's value from the source token: protobufjs drops escaped quotes (`"/go\\"quoted"` →
   * `/goquoted`), so the value is unescaped here by protoc's rules instead.
   */
  function rawStringOption(source: ProtoSource, key: string, parsed: unknown): string | undefined {
    if (typeof parsed !== "string") return undefined;
    const raw = positions.get(source.path)?.get(key)?.text;
    return (raw === undefined ? undefined : unescapeProtoString(raw)) ?? parsed;
  }

  function resolveName(method: Protobuf.Method, typeName: string): string {
    try {
      return fullNameOf(method.parent?.lookupTypeOrEnum(typeName) ?? root.lookupTypeOrEnum(typeName));
    } catch {
      return typeName;
    }
  }

  walk(root, undefined, []);

  for (const source of sources) {
    const pushes = pushTopics.get(source.path) ?? [];
    const owners = modules.filter((m) => m.source === source.path);
    if (pushes.length === 0) continue;
    if (owners.length !== 1) {
      for (const push of pushes) {
        report(push.pos, `push_topic needs exactly one service in ${source.path} to belong to (found ${owners.length})`);
      }
      continue;
    }
    const owner = owners[0] as ModuleModel;
    modules[modules.indexOf(owner)] = { ...owner, pushes: [...owner.pushes, ...pushes] };
  }
  for (const source of sources) {
    files.push({ path: source.path, syntax: "proto", package: packageOf.get(source.path) ?? "" });
  }
  return { model: { files, modules, messages, enums }, diagnostics };
}

function reservedOf(type: Protobuf.Type): ReservedModel | undefined {
  const numbers: [number, number][] = [];
  const names: string[] = [];
  for (const entry of type.reserved ?? []) {
    if (typeof entry === "string") names.push(entry);
    else if (Array.isArray(entry)) numbers.push([entry[0] as number, entry[1] as number]);
  }
  return numbers.length > 0 || names.length > 0 ? { numbers, names } : undefined;
}

function stringOption(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** protobufjs keeps the comment text without markers; trim and drop blank edges. */
function cleanComment(comment: string | null | undefined): string {
  return (comment ?? "").trim();
}

function importsOf(text: string): { target: string; line: number; col: number }[] {
  const out: { target: string; line: number; col: number }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^\s*import\s+(?:weak\s+|public\s+)?(["'])([^"']+)\1/.exec(lines[i] as string);
    if (match) out.push({ target: match[2] as string, line: i + 1, col: (lines[i] as string).indexOf(match[1] as string) + 1 });
  }
  return out;
}

function parseErrorDiagnostic(source: ProtoSource, error: unknown): Diagnostic {
  const message = error instanceof Error ? error.message : String(error);
  const lineMatch = /line (\d+)/.exec(message);
  const clean = message.replace(/\s*\([^()]*line \d+\)\s*$/, "");
  return { file: source.path, line: lineMatch ? Number(lineMatch[1]) : 1, col: 1, message: clean };
}
