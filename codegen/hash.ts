/**
 * Schema hashes: sha256 over a canonical rendering of what travels on the wire (wire name, argument and
 * result types, the structure of every message and enum they reach). Docs, declaration order and TypeScript
 * names do not take part, so a comment edit never changes a hash but renumbering a field does. These are
 * structural hashes; what a descriptor carries is the contract id built on them (breaking/contracts.ts,
 * since whether an id carries over is decided by the breaking-change rules).
 */
import { createHash } from "node:crypto";
import type { HandlerModel, ModuleModel, TypeRef } from "./model.js";
import { compareStrings } from "./model.js";
import type { TypeIndex } from "./types-index.js";

function refName(ref: TypeRef): string {
  switch (ref.kind) {
    case "scalar":
      return ref.scalar;
    case "ref":
      return ref.resolved?.fullName ?? ref.name;
    default:
      return ref.kind;
  }
}

export type ContractLookup = (handler: HandlerModel) => string | undefined;

/** Contract ids by `contractKey(moduleType, method)`: what breaking/ computes and emit/ writes. */
export type ContractIds = ReadonlyMap<string, string>;

export function contractKey(moduleType: string, method: string): string {
  return `${moduleType}\u0000${method}`;
}

/** Renders one declaration with references by name only, so renderings can be cached and cycles are fine. */
export class ContractHasher {
  private readonly index: TypeIndex;
  private readonly shallow = new Map<string, string>();
  private readonly handlers = new Map<HandlerModel, string>();
  private readonly contracts: ContractLookup | undefined;

  /** `contracts` gives a handler's contract id (breaking/contracts.ts) where it differs from its structural hash. */
  constructor(index: TypeIndex, contracts?: ContractLookup) {
    this.index = index;
    this.contracts = contracts;
  }

  private declaration(fullName: string): string {
    const cached = this.shallow.get(fullName);
    if (cached !== undefined) return cached;
    let text = fullName;
    const message = this.index.messages.get(fullName);
    const e = this.index.enums.get(fullName);
    if (message) {
      const fields = [...message.fields]
        .sort((a, b) => a.no - b.no)
        .map((f) => `${f.no}:${f.name}:${f.cardinality}${f.mapKey ? `<${f.mapKey}>` : ""}:${refName(f.type)}`);
      text = `${fullName}{${fields.join(",")}}`;
    } else if (e) {
      text = `${fullName}(${[...e.values].sort((a, b) => a.number - b.number).map((v) => `${v.name}=${v.number}`).join(",")})`;
    }
    this.shallow.set(fullName, text);
    return text;
  }

  /** Every message and enum reachable from `roots`, rendered and sorted. */
  private reachable(roots: readonly TypeRef[]): string[] {
    const seen = new Set<string>();
    const queue = roots.filter((r) => r.kind === "ref").map(refName);
    while (queue.length > 0) {
      const name = queue.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      for (const f of this.index.messages.get(name)?.fields ?? []) if (f.type.kind === "ref") queue.push(refName(f.type));
    }
    return [...seen].map((n) => this.declaration(n)).sort(compareStrings);
  }

  /** What a node advertises and a stub expects: the contract id when one is known, else the structural hash. */
  handlerHash(handler: HandlerModel): string {
    return this.contracts?.(handler) ?? this.structuralHash(handler);
  }

  /** The hash of the handler's signature and every type it reaches, as they are now. */
  structuralHash(handler: HandlerModel): string {
    const cached = this.handlers.get(handler);
    if (cached !== undefined) return cached;
    const params = handler.params.map((p) => refName(p.type));
    if (handler.gate) params.unshift("SESSION");
    const types = this.reachable([...handler.params.map((p) => p.type), handler.result]);
    const hash = sha256(`${handler.wireName}(${params.join(";")})->${refName(handler.result)}\n${types.join("\n")}`);
    this.handlers.set(handler, hash);
    return hash;
  }

  moduleHash(module: ModuleModel): string {
    const handlers = module.handlers.map((h) => `${h.wireName}=${this.handlerHash(h)}`).sort(compareStrings);
    const pushes = module.pushes.map((p) => `${p.topic}=${refName(p.type)}`).sort(compareStrings);
    const events = module.events.map((e) => `event ${e.subject}=${e.delivery}:${refName(e.type)}`).sort(compareStrings);
    const types = this.reachable([...module.pushes.map((p) => p.type), ...module.events.map((e) => e.type)]);
    // Events join the rendering only when there are some, so modules without events keep their hashes.
    const eventPart = events.length > 0 ? `\n${events.join("\n")}` : "";
    return sha256(`${module.type}\n${handlers.join("\n")}\n${pushes.join("\n")}${eventPart}\n${types.join("\n")}`);
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
