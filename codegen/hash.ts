/**
 * Schema hashes: sha256 over a canonical rendering of what travels on the wire (wire name, argument and
 * result types, the structure of every message they reach). Docs, declaration order and TypeScript names do
 * not take part, so a comment edit never changes a hash but renumbering a field does.
 */
import { createHash } from "node:crypto";
import type { HandlerModel, ModuleModel, TypeRef } from "./model.js";
import type { TypeIndex } from "./types-index.js";

export function typeSignature(ref: TypeRef, index: TypeIndex, seen: Set<string> = new Set()): string {
  switch (ref.kind) {
    case "scalar":
      return ref.scalar;
    case "map":
    case "mapstr":
    case "void":
      return ref.kind;
    case "ref": {
      const fullName = ref.resolved?.fullName ?? ref.name;
      if (seen.has(fullName)) return fullName;
      const message = index.messages.get(fullName);
      if (message) {
        const inner = new Set(seen).add(fullName);
        const fields = [...message.fields]
          .sort((a, b) => a.no - b.no)
          .map((f) => `${f.no}:${f.name}:${f.cardinality}${f.mapKey ? `<${f.mapKey}>` : ""}:${typeSignature(f.type, index, inner)}`);
        return `${fullName}{${fields.join(",")}}`;
      }
      const e = index.enums.get(fullName);
      if (e) {
        const values = [...e.values].sort((a, b) => a.number - b.number).map((v) => `${v.name}=${v.number}`);
        return `${fullName}(${values.join(",")})`;
      }
      return fullName;
    }
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

export function handlerHash(handler: HandlerModel, index: TypeIndex): string {
  const params = handler.params.map((p) => typeSignature(p.type, index));
  if (handler.gate) params.unshift("SESSION");
  return sha256(`${handler.wireName}(${params.join(";")})->${typeSignature(handler.result, index)}`);
}

export function moduleHash(module: ModuleModel, index: TypeIndex): string {
  const handlers = module.handlers.map((h) => `${h.wireName}=${handlerHash(h, index)}`).sort();
  const pushes = module.pushes.map((p) => `${p.topic}=${typeSignature(p.type, index)}`).sort();
  return sha256(`${module.type}\n${handlers.join("\n")}\n${pushes.join("\n")}`);
}
