/**
 * Model → generated files. Views are computed here (names, types, codec expressions, imports); the
 * handlebars templates in codegen/templates only lay them out. Templates are compiled once per process.
 */
import Handlebars from "handlebars";
import type { FieldModel, HandlerModel, ModuleModel, SchemaModel, TypeRef } from "../model.js";
import { compareStrings } from "../model.js";
import { moduleBinding, moduleFileStem, packageFileStem, pascalCase } from "../names.js";
import { ContractHasher } from "../hash.js";
import { contractKey } from "../contracts.js";
import type { ContractIds } from "../contracts.js";
import { indexTypes } from "../types-index.js";
import type { TypeIndex } from "../types-index.js";
import { gateTemplate, indexTemplate, moduleTemplate, typesTemplate } from "../templates/index.js";
import { FileImports, jsdoc, resolvedName, wrapList } from "./naming.js";

export const RUNTIME = "mqgen/runtime";
export const GATE_CLIENT = "mqgen/gate-client";

type Render = (view: object) => string;

let compiled: { types: Render; module: Render; gate: Render; index: Render } | undefined;

function templates(): { types: Render; module: Render; gate: Render; index: Render } {
  if (!compiled) {
    const hb = Handlebars.create();
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
  const packages = new Set<string>();
  for (const m of model.messages) packages.add(m.package);
  for (const e of model.enums) packages.add(e.package);
  for (const pkg of [...packages].sort(compareStrings)) {
    files.set(`${packageFileStem(pkg)}.types.ts`, emitTypes(model, index, pkg));
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

function sourcesOfPackage(model: SchemaModel, pkg: string): string[] {
  const sources = new Set<string>();
  for (const m of model.messages) if (m.package === pkg) sources.add(m.pos.file);
  for (const e of model.enums) if (e.package === pkg) sources.add(e.pos.file);
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
  let property = field.name;
  let tsType = base;
  switch (field.cardinality) {
    case "singular":
      if (isMessage) property = `${field.name}?`;
      break;
    case "optional":
      property = `${field.name}?`;
      break;
    case "repeated":
      tsType = /^[A-Za-z0-9_]+$/.test(base) ? `${base}[]` : `(${base})[]`;
      break;
    case "map":
      tsType = `Record<string, ${base}>`;
      break;
  }
  const args = [String(field.no), `"${field.name}"`, fieldTypeDescriptor(field.type, imports)];
  if (field.cardinality !== "singular" || field.mapKey) args.push(`"${field.cardinality}"`);
  if (field.cardinality === "map" && field.mapKey) args.push(`"${field.mapKey}"`);
  const descriptor = `field(${args.join(", ")})`;
  return { jsdoc: jsdoc(field.doc, "  "), property, tsType, descriptor };
}

function emitTypes(model: SchemaModel, index: TypeIndex, pkg: string): string {
  const imports = new FileImports(index, pkg, true);
  const enums = model.enums
    .filter((e) => e.package === pkg)
    .map((e) => ({
      jsdoc: jsdoc(e.doc, ""),
      name: e.name,
      fullName: e.fullName,
      values: e.values.map((v) => ({ jsdoc: jsdoc(v.doc, "  "), name: v.name, number: v.number })),
    }));
  if (enums.length > 0) {
    imports.use(GATE_CLIENT, "defineEnum", "value");
    imports.use(GATE_CLIENT, "EnumType", "type");
  }
  const messages = model.messages
    .filter((m) => m.package === pkg)
    .map((m) => ({
      jsdoc: jsdoc(m.doc, ""),
      name: m.name,
      fullName: m.fullName,
      fields: m.fields.map((f) => fieldView(f, imports)),
    }));
  if (messages.length > 0) {
    imports.use(GATE_CLIENT, "defineMessage", "value");
    imports.use(GATE_CLIENT, "field", "value");
    if (messages.some((m) => m.fields.some((f) => f.descriptor.includes(", scalar.")))) imports.use(GATE_CLIENT, "scalar", "value");
    imports.use(GATE_CLIENT, "MessageType", "type");
  }
  return tidy(
    templates().types({
      sources: sourcesOfPackage(model, pkg),
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
      return `${imports.declared(resolvedName(ref))}.${json ? "jsonCodec" : "codec"}`;
  }
}

interface TypedParam {
  readonly name: string;
  readonly tsType: string;
  readonly codec: string;
}

function typedParams(handler: HandlerModel, imports: FileImports): TypedParam[] {
  const params: TypedParam[] = handler.params.map((p) => ({
    name: p.name,
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

function paramDocs(handler: HandlerModel, index: TypeIndex): string {
  const lines = [handler.doc.trim()];
  const documented: { name: string; doc: string }[] = handler.params.map((p) => ({ name: p.name, doc: p.doc.trim() }));
  if (handler.gate) {
    // A YAML gate handler's named params live on as the fields of its request message.
    const request = handler.params[0]?.type;
    const message = request?.kind === "ref" && request.resolved ? index.messages.get(request.resolved.fullName) : undefined;
    if (message?.synthetic) documented.push(...message.fields.map((f) => ({ name: `request.${f.name}`, doc: f.doc.trim() })));
    lines.push(`Wire name \`${handler.wireName}\` (gate handler: the first wire argument is the caller's session).`);
  } else {
    lines.push(`Wire name \`${handler.wireName}\`.`);
  }
  for (const p of documented) if (p.doc !== "") lines.push(`@param ${p.name} ${p.doc}`);
  return lines.filter((l) => l !== "").join("\n");
}

function packageHasTypes(index: TypeIndex, pkg: string): boolean {
  for (const m of index.messages.values()) if (m.package === pkg) return true;
  for (const e of index.enums.values()) if (e.package === pkg) return true;
  return false;
}

function declaredNames(names: ModuleNames): string[] {
  return [names.binding, names.clientClass, names.handlersInterface, names.registerFunction, names.gateClass, names.pushesClass];
}

function emitModule(module: ModuleModel, index: TypeIndex, names: ModuleNames, hasher: ContractHasher): string {
  const imports = new FileImports(index, module.package, false, declaredNames(names));
  imports.use(RUNTIME, "ModuleDescriptor", "type");
  if (module.handlers.length > 0) imports.use(RUNTIME, "CallContext", "type");
  imports.use(RUNTIME, "CallOptions", "type");
  imports.use(RUNTIME, "ModuleServer", "type");
  imports.use(RUNTIME, "RpcCaller", "type");
  const handlers = module.handlers.map((h) => {
    const params = typedParams(h, imports);
    const resultType = imports.tsType(h.result);
    const docs = paramDocs(h, index);
    return {
      method: h.method,
      wireName: h.wireName,
      mode: h.mode,
      gate: h.gate,
      params: params.map((p) => ({ name: p.name, codec: p.codec })),
      resultCodec: codecOf(h.result, imports, h.gate),
      timeoutMs: h.timeoutMs ?? 0,
      retrySafe: h.retrySafe,
      hash: hasher.handlerHash(h),
      resultType,
      clientJsdoc: jsdoc(docs, "  "),
      serverJsdoc: jsdoc(docs, "  "),
      clientSignature: wrapList("  ", h.method, [...params.map((p) => `${p.name}: ${p.tsType}`), "options?: CallOptions"], `: Promise<${resultType}> {`),
      nrSignature: wrapList("  ", `${h.method}NR`, [...params.map((p) => `${p.name}: ${p.tsType}`), "options?: CallOptions"], `: Promise<void> {`),
      serverSignature: wrapList("  ", h.method, [...params.map((p) => `${p.name}: ${p.tsType}`), "ctx: CallContext"], `: ${resultType} | Promise<${resultType}>;`),
      argList: params.map((p) => p.name).join(", "),
      implCall: wrapList("    ", `impl.${h.method}`, [...params.map((p, i) => `args[${i}] as ${p.tsType}`), "ctx"], ","),
    };
  });
  const pushes = module.pushes.map((p) => ({
    name: p.name,
    topic: p.topic,
    codec: `${imports.declared(resolvedName(p.type))}.jsonCodec`,
    messageType: imports.declared(resolvedName(p.type)),
  }));
  if (pushes.length > 0) {
    imports.use(RUNTIME, "sendPush", "value");
    imports.use(RUNTIME, "PushTarget", "type");
    imports.use(RUNTIME, "PushSender", "type");
  }
  const moduleDoc = [module.doc.trim(), `Module \`${module.type}\` version ${module.version}.`].filter((l) => l !== "").join("\n");
  // Re-exported types need no import of their own; `imports.lines()` lists only what this file uses.
  const view = {
    sources: [module.source],
    imports: imports.lines(),
    typesFile: packageHasTypes(index, module.package) ? `${packageFileStem(module.package)}.types.js` : "",
    jsdoc: jsdoc(moduleDoc, ""),
    binding: names.binding,
    type: module.type,
    version: module.version,
    schemaHash: hasher.moduleHash(module),
    handlers,
    pushes,
    clientClass: names.clientClass,
    pushesClass: names.pushesClass,
    handlersInterface: names.handlersInterface,
    registerFunction: names.registerFunction,
  };
  return tidy(templates().module(view));
}

function emitGate(module: ModuleModel, index: TypeIndex, names: ModuleNames): string {
  const imports = new FileImports(index, module.package, false, declaredNames(names));
  imports.use(GATE_CLIENT, "GateClient", "type");
  const gateHandlers = module.handlers.filter((h) => h.gate);
  if (gateHandlers.length > 0) imports.use(GATE_CLIENT, "GateCallOptions", "type");
  const handlers = gateHandlers.map((h) => {
    const request = h.params[0];
    const requestType = request ? imports.tsType(request.type) : "never";
    const resultType = imports.tsType(h.result);
    let convertResult: string;
    if (h.result.kind === "ref") convertResult = `(result) => ${imports.declared(resolvedName(h.result))}.fromJson(result)`;
    else if (h.result.kind === "void") convertResult = "() => undefined";
    else convertResult = `(result) => result as ${resultType}`;
    return {
      jsdoc: jsdoc([h.doc.trim(), `Publishes to \`${module.type}/${h.wireName}/<id>\` and waits for the reply.`].filter((l) => l !== "").join("\n"), "  "),
      method: h.method,
      wireName: h.wireName,
      requestType,
      resultType,
      convertResult,
    };
  });
  const pushes = module.pushes.map((p) => ({
    jsdoc: jsdoc([p.doc.trim(), `Listens to pushes on \`${p.topic}\`; returns the function that stops listening.`].filter((l) => l !== "").join("\n"), "  "),
    listenerMethod: `on${pascalCase(p.name)}`,
    messageType: imports.declared(resolvedName(p.type)),
    topic: p.topic,
  }));
  return tidy(
    templates().gate({
      sources: [module.source],
      imports: imports.lines(),
      typesFile: packageHasTypes(index, module.package) ? `${packageFileStem(module.package)}.types.js` : "",
      type: module.type,
      gateClass: names.gateClass,
      handlers,
      pushes,
    }),
  );
}

function emitIndex(model: SchemaModel): string {
  const modules = model.modules.map((m) => {
    const names = moduleNames(m);
    return { ...names, file: `${names.file}.js` };
  });
  return tidy(templates().index({ modules, moduleList: modules.map((m) => m.binding).join(", ") }));
}
