/**
 * Model → generated files. Views are computed here (names, types, codec expressions, imports); the
 * handlebars templates in codegen/templates only lay them out. Templates are compiled once per process.
 */
import { createRequire } from "node:module";
import type HandlebarsNamespace from "handlebars";
import type { FieldModel, HandlerModel, ModuleModel, SchemaModel, TypeRef } from "../model.js";
import { compareStrings } from "../model.js";
import { commentText, moduleBinding, moduleFileStem, packageFileStem, pascalCase, safeIdentifier, safeParam, safeProperty, stringLiteral } from "../names.js";
import { ContractHasher, contractKey } from "../hash.js";
import type { ContractIds } from "../hash.js";
import { indexTypes, typesOfPackage } from "../types-index.js";
import type { TypeIndex } from "../types-index.js";
import { gateTemplate, indexTemplate, moduleTemplate, typesTemplate } from "../templates/index.js";
import { FileImports, jsdoc, resolvedName, wrapList } from "./naming.js";
import { GATE_CLIENT, gateView } from "./gate.js";
import { eventViews, eventsDescriptorPart } from "./events.js";

export const RUNTIME = "mqgen/runtime";
export { GATE_CLIENT } from "./gate.js";

type Render = (view: object) => string;

let compiled: { types: Render; module: Render; gate: Render; index: Render } | undefined;

const require = createRequire(import.meta.url);

/** handlebars loads with the first emit, so commands that never emit (`--help`, `breaking`) start without it. */
function templates(): { types: Render; module: Render; gate: Render; index: Render } {
  if (!compiled) {
    const hb = (require("handlebars") as typeof HandlebarsNamespace).create();
    const options = { noEscape: true, strict: true };
    compiled = {
      types: hb.compile(typesTemplate, options),
      module: hb.compile(moduleTemplate, options),
      gate: hb.compile(gateTemplate, options),
      index: hb.compile(indexTemplate, options),
    };
  }
  return compiled;
}

/** LF only, no trailing spaces, no runs of blank lines, exactly one final newline. */
function tidy(text: string): string {
  return `${text
    .replace(/\r\n/g, "\n")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

export interface ModuleNames {
  readonly binding: string;
  readonly clientClass: string;
  readonly handlersInterface: string;
  readonly registerFunction: string;
  readonly gateClass: string;
  readonly pushesClass: string;
  readonly eventsClass: string;
  readonly moduleClass: string;
  readonly file: string;
}

export function moduleNames(module: ModuleModel): ModuleNames {
  const pascal = pascalCase(module.type);
  return {
    binding: moduleBinding(module.type),
    clientClass: `${pascal}Client`,
    handlersInterface: `${pascal}Handlers`,
    registerFunction: `register${pascal}`,
    gateClass: `${pascal}GateClient`,
    pushesClass: `${pascal}Pushes`,
    eventsClass: `${pascal}Events`,
    moduleClass: `${pascal}Module`,
    file: moduleFileStem(module.type),
  };
}

export function hasGateSurface(module: ModuleModel): boolean {
  return module.pushes.length > 0 || module.handlers.some((h) => h.gate);
}

/** Generates every file; keys are paths relative to the output folder, sorted. */
export function emitAll(model: SchemaModel, contracts?: ContractIds): Map<string, string> {
  const index = indexTypes(model);
  const files = new Map<string, string>();
  for (const pkg of [...index.byPackage.keys()].sort(compareStrings)) {
    files.set(`${packageFileStem(pkg)}.types.ts`, emitTypes(index, pkg));
  }
  const handlerIds = new Map<HandlerModel, string>();
  for (const module of model.modules) {
    for (const h of module.handlers) {
      const id = contracts?.get(contractKey(module.type, h.method));
      if (id !== undefined) handlerIds.set(h, id);
    }
  }
  const hasher = new ContractHasher(index, (h) => handlerIds.get(h));
  for (const module of model.modules) {
    const names = moduleNames(module);
    files.set(`${names.file}.ts`, emitModule(module, index, names, hasher));
    if (hasGateSurface(module)) files.set(`${names.file}.gate.ts`, emitGate(module, index, names));
  }
  if (model.modules.length > 0) files.set("index.ts", emitIndex(model));
  return new Map([...files.entries()].sort((a, b) => compareStrings(a[0], b[0])));
}

function sourcesOfPackage(index: TypeIndex, pkg: string): string[] {
  const sources = new Set<string>();
  const types = typesOfPackage(index, pkg);
  for (const m of types.messages) sources.add(m.pos.file);
  for (const e of types.enums) sources.add(e.pos.file);
  return [...sources].sort(compareStrings);
}

function fieldTypeDescriptor(ref: TypeRef, imports: FileImports): string {
  if (ref.kind === "scalar") return `scalar.${ref.scalar}`;
  const fullName = resolvedName(ref);
  if (ref.kind === "ref" && ref.resolved?.target === "enum") return `{ kind: "enum", enum: ${imports.declared(fullName, "Type")} }`;
  return `{ kind: "message", message: () => ${imports.declared(fullName)} }`;
}

function fieldView(field: FieldModel, imports: FileImports): { jsdoc: string; property: string; tsType: string; descriptor: string } {
  const base = imports.tsType(field.type);
  const isMessage = field.type.kind === "ref" && field.type.resolved?.target === "message";
  const local = safeProperty(field.name);
  let property = local;
  let tsType = base;
  switch (field.cardinality) {
    case "singular":
      if (isMessage) property = `${local}?`;
      break;
    case "optional":
      property = `${local}?`;
      break;
    case "repeated":
      tsType = /^[A-Za-z0-9_$]+$/.test(base) ? `${base}[]` : `(${base})[]`;
      break;
    case "map":
      tsType = `Record<string, ${base}>`;
      break;
  }
  // The JSON name stays the schema's (or its json_name) when the TypeScript property had to be escaped.
  const jsonName = field.jsonName ?? field.name;
  const withJson = jsonName !== local;
  const args = [String(field.no), stringLiteral(local), fieldTypeDescriptor(field.type, imports)];
  if (field.cardinality !== "singular" || field.mapKey || withJson) args.push(stringLiteral(field.cardinality));
  if (field.mapKey) args.push(stringLiteral(field.mapKey));
  else if (withJson) args.push("undefined");
  if (withJson) args.push(stringLiteral(jsonName));
  return { jsdoc: jsdoc(fieldDoc(field), "  "), property, tsType, descriptor: `field(${args.join(", ")})` };
}

type FieldView = { jsdoc: string; property: string; tsType: string; descriptor: string };

/**
 * The members of a oneof become one property, the discriminated union protobuf-es generates
 * (`{ case: "b"; value: string } | … | { case: undefined; value?: undefined }`), at the first member's place.
 */
function fieldViews(fields: readonly FieldModel[], imports: FileImports): FieldView[] {
  const out: FieldView[] = [];
  const groups = new Map<string, FieldModel[]>();
  for (const field of fields) {
    if (field.oneof === undefined) {
      out.push(fieldView(field, imports));
      continue;
    }
    let members = groups.get(field.oneof);
    if (members === undefined) {
      members = [];
      groups.set(field.oneof, members);
      out.push({ jsdoc: "", property: field.oneof, tsType: "", descriptor: field.oneof });
    }
    members.push(field);
  }
  return out.map((view) => {
    const members = groups.get(view.descriptor);
    if (members === undefined || view.tsType !== "") return view;
    const cases = members.map((f) => `\n    | { case: ${stringLiteral(safeProperty(f.name))}; value: ${imports.tsType(f.type)} }`);
    const rows = members.map((f) => `    ${fieldView({ ...f, cardinality: "optional" }, imports).descriptor},`);
    const docs = members.filter((f) => f.doc.trim() !== "" || f.deprecated).map((f) => `\`${safeProperty(f.name)}\`: ${fieldDoc(f).trim().replace(/\n/g, " ")}`);
    return {
      jsdoc: jsdoc(docs.join("\n"), "  "),
      property: safeProperty(view.property),
      tsType: `${cases.join("")}\n    | { case: undefined; value?: undefined }`,
      descriptor: `...oneof(${stringLiteral(safeProperty(view.property))}, [\n${rows.join("\n")}\n  ])`,
    };
  });
}

function fieldDoc(field: FieldModel): string {
  return field.deprecated ? [field.doc.trim(), "@deprecated"].filter((l) => l !== "").join("\n") : field.doc;
}

/** Well-known messages that are plain JSON in TypeScript (as protoc-gen-es types a Struct field), with the runtime's type for them. */
const JSON_SHAPED_MESSAGES: ReadonlyMap<string, { tsType: string; value: string }> = new Map([
  ["google.protobuf.Struct", { tsType: "JsonObject", value: "structMessage" }],
]);

function emitTypes(index: TypeIndex, pkg: string): string {
  const imports = new FileImports(index, pkg, true);
  const types = typesOfPackage(index, pkg);
  const enums = types.enums.map((e) => {
      const escaped = e.values.filter((v) => safeProperty(v.name) !== v.name);
      const protoNames = escaped.map((v) => `${safeProperty(v.name)}: ${stringLiteral(v.name)}`);
      return {
        jsdoc: jsdoc(e.doc, ""),
        name: safeIdentifier(e.name),
        typeConst: `${safeIdentifier(e.name)}Type`,
        fullName: stringLiteral(e.fullName),
        protoNames: protoNames.length > 0 ? `, { ${protoNames.join(", ")} }` : "",
        values: e.values.map((v) => ({
          jsdoc: jsdoc(v.deprecated ? [v.doc.trim(), "@deprecated"].filter((l) => l !== "").join("\n") : v.doc, "  "),
          name: safeProperty(v.name),
          number: v.number,
        })),
      };
    });
  if (enums.length > 0) {
    imports.use(GATE_CLIENT, "defineEnum", "value");
    imports.use(GATE_CLIENT, "EnumType", "type");
  }
  const messages = types.messages.map((m) => {
    const jsonShaped = JSON_SHAPED_MESSAGES.get(m.fullName);
    if (jsonShaped !== undefined) {
      imports.use(GATE_CLIENT, jsonShaped.value, "value");
      imports.use(GATE_CLIENT, jsonShaped.tsType, "type");
      imports.use(GATE_CLIENT, "MessageType", "type");
    }
    return {
      jsdoc: jsdoc(m.deprecated ? [m.doc.trim(), "@deprecated"].filter((l) => l !== "").join("\n") : m.doc, ""),
      name: safeIdentifier(m.name),
      fullName: stringLiteral(m.fullName),
      alias: jsonShaped ?? false,
      fields: jsonShaped === undefined ? fieldViews(m.fields, imports) : [],
    };
  });
  if (messages.some((m) => m.alias === false)) {
    imports.use(GATE_CLIENT, "defineMessage", "value");
    imports.use(GATE_CLIENT, "field", "value");
    if (messages.some((m) => m.fields.some((f) => f.descriptor.includes(", scalar.")))) imports.use(GATE_CLIENT, "scalar", "value");
    if (messages.some((m) => m.fields.some((f) => f.descriptor.startsWith("...oneof(")))) imports.use(GATE_CLIENT, "oneof", "value");
    imports.use(GATE_CLIENT, "MessageType", "type");
  }
  return tidy(
    templates().types({
      sources: sourcesOfPackage(index, pkg).map(commentText),
      imports: imports.lines(),
      enums,
      messages,
    }),
  );
}

const CODEC_OF_SCALAR: Readonly<Record<string, string>> = {
  bool: "boolCodec",
  int32: "int32Codec",
  int64: "int64Codec",
  uint32: "uint32Codec",
  uint64: "uint64Codec",
  float: "floatCodec",
  double: "doubleCodec",
  string: "stringCodec",
  bytes: "bytesCodec",
  // As mqant arguments these travel by their JavaScript type's tag ("int", "long"): the wire encoding
  // of a field does not apply to a bare argument.
  sint32: "int32Codec",
  sfixed32: "int32Codec",
  fixed32: "uint32Codec",
  sint64: "int64Codec",
  sfixed64: "int64Codec",
  fixed64: "uint64Codec",
};

/** The codec expression of a param or result; gate handlers carry messages as JSON objects (tag `map`). */
function codecOf(ref: TypeRef, imports: FileImports, json: boolean): string {
  switch (ref.kind) {
    case "scalar":
      return imports.use(RUNTIME, CODEC_OF_SCALAR[ref.scalar] as string, "value");
    case "map":
      return imports.use(RUNTIME, "mapCodec", "value");
    case "mapstr":
      return imports.use(RUNTIME, "mapstrCodec", "value");
    case "void":
      return imports.use(RUNTIME, "voidCodec", "value");
    case "ref":
      // mqant has no enum argument type; an enum's codec sends its number, tagged "int" like an int32.
      if (ref.resolved?.target === "enum") return `${imports.declared(resolvedName(ref), "Type")}.codec`;
      return `${imports.declared(resolvedName(ref))}.${json ? "jsonCodec" : "codec"}`;
  }
}

interface TypedParam {
  readonly name: string;
  readonly tsType: string;
  readonly codec: string;
}

function typedParams(handler: HandlerModel, imports: FileImports, binding: string): TypedParam[] {
  const params: TypedParam[] = handler.params.map((p) => ({
    name: safeParam(p.name, binding),
    tsType: imports.tsType(p.type),
    codec: codecOf(p.type, imports, handler.gate),
  }));
  if (handler.gate) {
    params.unshift({
      name: "session",
      tsType: imports.use(RUNTIME, "Session", "type"),
      codec: imports.use(RUNTIME, "sessionCodec", "value"),
    });
  }
  return params;
}

function paramDocs(handler: HandlerModel, index: TypeIndex, binding: string): string {
  const lines = [handler.doc.trim()];
  const documented: { name: string; doc: string }[] = handler.params.map((p) => ({ name: safeParam(p.name, binding), doc: p.doc.trim() }));
  if (handler.gate) {
    // A YAML gate handler's named params live on as the fields of its request message.
    const request = handler.params[0]?.type;
    const message = request?.kind === "ref" && request.resolved ? index.messages.get(request.resolved.fullName) : undefined;
    if (message?.synthetic) documented.push(...message.fields.map((f) => ({ name: `request.${safeProperty(f.name)}`, doc: f.doc.trim() })));
    lines.push(`Wire name \`${commentText(handler.wireName)}\` (gate handler: the first wire argument is the caller's session).`);
  } else {
    lines.push(`Wire name \`${commentText(handler.wireName)}\`.`);
  }
  for (const p of documented) if (p.doc !== "") lines.push(`@param ${p.name} ${p.doc}`);
  if (handler.deprecated) lines.push("@deprecated");
  return lines.filter((l) => l !== "").join("\n");
}

function packageHasTypes(index: TypeIndex, pkg: string): boolean {
  const types = typesOfPackage(index, pkg);
  return types.messages.length > 0 || types.enums.length > 0;
}

function declaredNames(names: ModuleNames): string[] {
  return [names.binding, names.clientClass, names.handlersInterface, names.registerFunction, names.gateClass, names.pushesClass, names.eventsClass];
}

/**
 * The descriptor's type names its handlers and pushes, so `binding.handlers.sayHi` is a HandlerDescriptor
 * under `noUncheckedIndexedAccess` and `noPropertyAccessFromIndexSignature`, with no cast; each handler's
 * is typed by its signature (`HandlerDescriptor<[name: string], string>`, labelled as the methods name the
 * parameters), so clients and register functions pass and receive typed values.
 */
function descriptorType(module: ModuleModel, imports: FileImports, signatures: readonly { key: string; typedParams: readonly TypedParam[]; resultType: string }[]): string {
  const base = imports.use(RUNTIME, "ModuleDescriptor", "type");
  const parts: string[] = [];
  if (signatures.length > 0) {
    const handler = imports.use(RUNTIME, "HandlerDescriptor", "type");
    const typed = signatures.map((h) => `    readonly ${h.key}: ${handler}<[${h.typedParams.map((p) => `${p.name}: ${p.tsType}`).join(", ")}], ${h.resultType}>;`);
    parts.push(`  readonly handlers: {\n${typed.join("\n")}\n  };`);
  }
  if (module.pushes.length > 0) {
    const push = imports.use(RUNTIME, "PushDescriptor", "type");
    parts.push(`  readonly pushes: {\n${module.pushes.map((p) => `    readonly ${safeProperty(p.name)}: ${push};`).join("\n")}\n  };`);
  }
  const events = eventsDescriptorPart(module, imports);
  if (events !== undefined) parts.push(events);
  return parts.length === 0 ? base : `${base} & {\n${parts.join("\n")}\n}`;
}

function emitModule(module: ModuleModel, index: TypeIndex, names: ModuleNames, hasher: ContractHasher): string {
  const imports = new FileImports(index, module.package, false, declaredNames(names));
  if (module.handlers.length > 0) for (const name of ["CallContext", "CallOptions"]) imports.use(RUNTIME, name, "type");
  imports.use(RUNTIME, "ModuleServer", "type");
  imports.use(RUNTIME, "RpcCaller", "type");
  const handlers = module.handlers.map((h) => {
    const params = typedParams(h, imports, names.binding);
    const resultType = imports.tsType(h.result);
    const docs = paramDocs(h, index, names.binding);
    const key = safeProperty(h.method);
    const wireParams = h.gate ? ["session", ...h.params.map((p) => p.name)] : h.params.map((p) => p.name);
    return {
      key,
      methodLit: stringLiteral(h.method),
      wireNameLit: stringLiteral(h.wireName),
      modeLit: stringLiteral(h.mode),
      gate: h.gate,
      params: params.map((p, i) => ({ nameLit: stringLiteral(wireParams[i] ?? p.name), codec: p.codec })),
      resultCodec: codecOf(h.result, imports, h.gate),
      timeoutMs: h.timeoutMs ?? 0,
      retrySafe: h.retrySafe,
      hashLit: stringLiteral(hasher.handlerHash(h)),
      resultType,
      clientJsdoc: jsdoc(docs, "  "),
      serverJsdoc: jsdoc(docs, "  "),
      clientSignature: wrapList("  ", key, [...params.map((p) => `${p.name}: ${p.tsType}`), "options?: CallOptions"], `: Promise<${resultType}> {`),
      nrSignature: wrapList("  ", safeProperty(`${h.method}NR`), [...params.map((p) => `${p.name}: ${p.tsType}`), "options?: CallOptions"], `: Promise<void> {`),
      serverSignature: wrapList("  ", key, [...params.map((p) => `${p.name}: ${p.tsType}`), "ctx: CallContext"], `: ${resultType} | Promise<${resultType}>;`),
      argList: params.map((p) => p.name).join(", "),
      argsBinding: params.length > 0 ? "args" : "_args",
      // Typed by the descriptor: `args` is its labelled tuple, so each element has the parameter's type.
      implCall: wrapList("    ", `impl.${key}`, [...params.map((_p, i) => `args[${i}]`), "ctx"], ","),
      typedParams: params,
    };
  });
  const descriptor = descriptorType(module, imports, handlers);
  const pushes = module.pushes.map((p) => ({
    key: safeProperty(p.name),
    nameLit: stringLiteral(p.name),
    topicLit: stringLiteral(p.topic),
    codec: `${imports.declared(resolvedName(p.type))}.jsonCodec`,
    messageType: imports.declared(resolvedName(p.type)),
  }));
  if (pushes.length > 0) {
    imports.use(RUNTIME, "PushTarget", "type");
    imports.use(RUNTIME, "PushSender", "type");
  }
  const { events, eventTypes } = eventViews(module, imports);
  const moduleDoc = [module.doc.trim(), `Module \`${commentText(module.type)}\` version ${commentText(module.version)}.`].filter((l) => l !== "").join("\n");
  // Re-exported types need no import of their own; `imports.lines()` lists only what this file uses.
  const view = {
    sources: [commentText(module.source)],
    imports: imports.lines(),
    typesFile: packageHasTypes(index, module.package) ? `${packageFileStem(module.package)}.types.js` : "",
    jsdoc: jsdoc(moduleDoc, ""),
    descriptorType: descriptor,
    binding: names.binding,
    type: module.type,
    typeLit: stringLiteral(module.type),
    versionLit: stringLiteral(module.version),
    schemaHashLit: stringLiteral(hasher.moduleHash(module)),
    handlers,
    pushes,
    clientClass: names.clientClass,
    pushesClass: names.pushesClass,
    events,
    eventTypes,
    eventsClass: names.eventsClass,
    handlersInterface: names.handlersInterface,
    registerFunction: names.registerFunction,
  };
  return tidy(templates().module(view));
}

function emitGate(module: ModuleModel, index: TypeIndex, names: ModuleNames): string {
  const imports = new FileImports(index, module.package, false, declaredNames(names));
  const typesFile = packageHasTypes(index, module.package) ? `${packageFileStem(module.package)}.types.js` : "";
  return tidy(templates().gate(gateView(module, imports, names.gateClass, typesFile)));
}

function emitIndex(model: SchemaModel): string {
  const modules = model.modules.map((m) => {
    const names = moduleNames(m);
    return { ...names, file: `${names.file}.js` };
  });
  return tidy(templates().index({ modules, moduleList: modules.map((m) => m.binding).join(", ") }));
}
