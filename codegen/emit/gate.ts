/**
 * The view of a module's `<module>.gate.ts`: the typed client for gate clients (browsers, apps) over MQTT,
 * one method per gate handler and one listener per push.
 */
import type { ModuleModel } from "../model.js";
import { commentText, pascalCase, safeProperty, stringLiteral } from "../names.js";
import { type FileImports, jsdoc, resolvedName } from "./naming.js";

export const GATE_CLIENT = "mqgen/gate-client";

/**
 * A scalar result from the gate's JSON reply (mqant writes strings, booleans and numbers as JSON, a long as
 * its digits) to its TypeScript type, typed without a cast.
 */
const JSON_SCALAR: Readonly<Partial<Record<string, string>>> = {
  string: "(result) => String(result)",
  bool: "(result) => result === true",
  ...Object.fromEntries(["int32", "uint32", "sint32", "fixed32", "sfixed32", "float", "double"].map((k) => [k, "(result) => Number(result)"])),
  ...Object.fromEntries(["int64", "uint64", "sint64", "fixed64", "sfixed64"].map((k) => [k, "(result) => BigInt(String(result))"])),
};

export function gateView(module: ModuleModel, imports: FileImports, gateClass: string, typesFile: string): object {
  imports.use(GATE_CLIENT, "GateClient", "type");
  const gateHandlers = module.handlers.filter((h) => h.gate);
  if (gateHandlers.length > 0) imports.use(GATE_CLIENT, "GateCallOptions", "type");
  const handlers = gateHandlers.map((h) => {
    const request = h.params[0];
    const requestType = request ? imports.tsType(request.type) : "never";
    const resultType = imports.tsType(h.result);
    const isEnum = h.result.kind === "ref" && h.result.resolved?.target === "enum";
    const scalar = h.result.kind === "scalar" ? JSON_SCALAR[h.result.scalar] : undefined;
    let convertResult: string;
    if (h.result.kind === "ref" && !isEnum) convertResult = `(result) => ${imports.declared(resolvedName(h.result))}.fromJson(result)`;
    else if (h.result.kind === "void") convertResult = "() => undefined";
    else if (scalar !== undefined) convertResult = scalar;
    // Bytes (base64 in the gate's JSON), maps and enums have no conversion the gate client can type yet.
    else convertResult = `(result) => result as ${resultType}`;
    return {
      jsdoc: jsdoc([h.doc.trim(), `Publishes to \`${commentText(`${module.type}/${h.wireName}`)}/<id>\` and waits for the reply.`, h.deprecated ? "@deprecated" : ""].filter((l) => l !== "").join("\n"), "  "),
      method: safeProperty(h.method),
      nrMethod: safeProperty(`${h.method}NR`),
      wireNameLit: stringLiteral(h.wireName),
      requestType,
      resultType,
      convertResult,
    };
  });
  const pushes = module.pushes.map((p) => ({
    jsdoc: jsdoc([p.doc.trim(), `Listens to pushes on \`${commentText(p.topic)}\`; returns the function that stops listening.`].filter((l) => l !== "").join("\n"), "  "),
    listenerMethod: `on${pascalCase(p.name)}`,
    messageType: imports.declared(resolvedName(p.type)),
    topicLit: stringLiteral(p.topic),
  }));
  return {
    sources: [commentText(module.source)],
    imports: imports.lines(),
    typesFile,
    type: commentText(module.type),
    typeLit: stringLiteral(module.type),
    gateClass,
    handlers,
    pushes,
  };
}
