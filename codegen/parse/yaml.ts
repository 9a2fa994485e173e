/**
 * YAML service schema → model. Shape errors (unknown keys, wrong value kinds, unparsable type expressions)
 * are reported by the section parsers with the position of the offending node; meaning (unknown types,
 * duplicates, naming) is the validator's job.
 */
import type { Diagnostic, EnumModel, HandlerModel, MessageModel, ModuleModel, PushModel, SchemaModel } from "../model.js";
import { isPackageName } from "../names.js";
import { parseHandlers, parsePushes } from "./yaml/handlers.js";
import { parseEnums, parseMessages } from "./yaml/messages.js";
import { parseEvents } from "./yaml/events.js";
import type { Node } from "./yaml/reader.js";
import { YamlReader } from "./yaml/reader.js";

export interface ParsedFile {
  readonly model: SchemaModel;
  readonly diagnostics: Diagnostic[];
}

const FILE_KEYS = ["module", "version", "doc", "package", "handlers", "messages", "enums", "pushes", "events"];

export function parseYamlSchema(path: string, source: string): ParsedFile {
  const r = new YamlReader(path, source);
  const empty: SchemaModel = { files: [], modules: [], messages: [], enums: [] };
  const root = r.root;
  if (root === undefined) return { model: empty, diagnostics: r.diagnostics };
  if (!r.isMap(root)) {
    r.report(r.nodePos(root, r.filePos), "a schema file must be a mapping with `module`, `handlers`, `messages`, ...");
    return { model: empty, diagnostics: r.diagnostics };
  }

  const top = r.entries(root, FILE_KEYS, "the schema file");
  const moduleType = r.stringValue(top.get("module"), "module");
  const stem = path.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
  const packagePair = top.get("package");
  let pkg = r.stringValue(packagePair, "package") ?? moduleType ?? stem;
  if (packagePair && !isPackageName(pkg)) {
    // The package names a generated file, so it may never be a path (`../x`) or hold odd characters.
    r.report(r.valuePos(packagePair), `package '${pkg}' must be a dotted name of identifiers (like game.v1)`);
    pkg = "";
  }

  const messages: MessageModel[] = [];
  const enums: EnumModel[] = [];
  const messagesPair = top.get("messages");
  if (messagesPair) messages.push(...parseMessages(r, messagesPair.value as Node | null, r.valuePos(messagesPair), pkg));
  const enumsPair = top.get("enums");
  if (enumsPair) enums.push(...parseEnums(r, enumsPair.value as Node | null, r.valuePos(enumsPair), pkg));

  const modules: ModuleModel[] = [];
  const handlersPair = top.get("handlers");
  const pushesPair = top.get("pushes");
  const eventsPair = top.get("events");
  if (moduleType === undefined) {
    if (handlersPair) r.report(r.keyPos(handlersPair), "handlers need a module: add `module: <type>` to this file");
    if (pushesPair) r.report(r.keyPos(pushesPair), "pushes need a module: add `module: <type>` to this file");
    if (eventsPair) r.report(r.keyPos(eventsPair), "events need a module: add `module: <type>` to this file");
  } else {
    const modulePair = top.get("module");
    const handlers: HandlerModel[] = handlersPair ? parseHandlers(r, handlersPair, { moduleType, pkg, messages }) : [];
    const pushes: PushModel[] = pushesPair ? parsePushes(r, pushesPair, moduleType, pkg) : [];
    modules.push({
      type: moduleType,
      version: r.stringValue(top.get("version"), "version") ?? "1.0.0",
      doc: r.docValue(top.get("doc")),
      package: pkg,
      source: path,
      handlers,
      pushes,
      events: eventsPair ? parseEvents(r, eventsPair, moduleType, pkg) : [],
      pos: modulePair ? r.valuePos(modulePair) : r.filePos,
    });
  }
  return {
    model: { files: [{ path, syntax: "yaml", package: pkg }], modules, messages, enums },
    diagnostics: r.diagnostics,
  };
}
