/**
 * The view of a module's `<module>.gate.ts`: the typed client for gate clients (browsers, apps) over MQTT,
 * one method per gate handler and one listener per push.
 */
import type { ModuleModel } from "../model.js";
import { commentText, pascalCase, safeProperty, stringLiteral } from "../names.js";
import { type FileImports, jsdoc, resolvedName } from "./naming.js";

export const GATE_CLIENT = "mqgen/gate-client";

export function gateView(module: ModuleModel, imports: FileImports, gateClass: string, typesFile: string): object {
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
