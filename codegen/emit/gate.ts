/**
 * The view of a module's `<module>.gate.ts`: the typed client for gate clients (browsers, apps) over MQTT,
 * one method per gate handler and one listener per push.
 */
import type { HandlerModel, ModuleModel } from "../model.js";
import { commentText, pascalCase, safeProperty, stringLiteral } from "../names.js";
import { type FileImports, jsdoc, resolvedName } from "./naming.js";

export const GATE_CLIENT = "mqgen/gate-client";

/**
 * A scalar result from the gate's JSON reply (mqant writes strings, booleans and numbers as JSON), typed
 * without a cast. These are the result scalars validate.ts lets a gate handler have.
 */
const JSON_SCALAR: Readonly<Partial<Record<string, string>>> = {
  string: "(result) => String(result)",
  bool: "(result) => result === true",
  ...Object.fromEntries(["int32", "uint32", "float", "double"].map((k) => [k, "(result) => Number(result)"])),
};

function resultConversion(result: HandlerModel["result"], imports: FileImports): string {
  if (result.kind === "void") return "() => undefined";
  if (result.kind === "ref") {
    const type = imports.declared(resolvedName(result));
    if (result.resolved?.target !== "enum") return `(result) => ${type}.fromJson(result)`;
    // The enum's runtime value, not its type alias: declared(…, "Type") names the defineEnum object.
    imports.use(GATE_CLIENT, "enumResult", "value");
    return `(result) => enumResult(${imports.declared(resolvedName(result), "Type")}, result)`;
  }
  const scalar = result.kind === "scalar" ? JSON_SCALAR[result.scalar] : undefined;
  // validate.ts refuses every other gate result before emit runs.
  if (scalar === undefined) throw new Error(`gate client: a ${result.kind === "scalar" ? result.scalar : result.kind} result cannot cross the gate's JSON reply`);
  return scalar;
}

export function gateView(module: ModuleModel, imports: FileImports, gateClass: string, typesFile: string): object {
  imports.use(GATE_CLIENT, "GateClient", "type");
  const gateHandlers = module.handlers.filter((h) => h.gate);
  if (gateHandlers.length > 0) imports.use(GATE_CLIENT, "GateCallOptions", "type");
  const handlers = gateHandlers.map((h) => {
    const request = h.params[0];
    const requestType = request ? imports.tsType(request.type) : "never";
    const resultType = imports.tsType(h.result);
    const convertResult = resultConversion(h.result, imports);
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
