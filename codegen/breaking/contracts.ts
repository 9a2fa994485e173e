/**
 * Contract ids: the per-handler hash a node advertises and a typed stub expects at run time.
 *
 * A handler's structural hash (hash.ts) changes with every change of its signature or of a message it
 * reaches, including changes old callers cope with (a new optional field: protobuf skips unknown fields,
 * and a missing one decodes to its default). Comparing structural hashes at run time would therefore turn
 * every safe change into SchemaMismatchError once no old node is left.
 *
 * So the hash that travels is the handler's *contract id*: the structural hash of the schema as it was when
 * the handler's wire contract last broke. With a baseline (the committed `mqgen.lock.json`, which records the
 * contract id of each handler), a handler keeps the baseline's id as long as `mqgen breaking`'s rules find
 * nothing that breaks it on the wire; any WIRE or GATE violation — or JSON, for gate handlers, whose
 * arguments travel as JSON — gives it a new id, its current structural hash. Without a baseline, or for a
 * handler the baseline does not know, the id is the structural hash. Allow comments do not matter here:
 * allowing a break in CI does not make old callers able to decode it.
 */
import { compareSnapshots } from "./compare.js";
import type { ContractSnapshot, EnumSnapshot, HandlerSnapshot, MessageSnapshot, ModuleSnapshot } from "./snapshot.js";
import { snapshotFromModel } from "./snapshot.js";
import { ContractHasher, contractKey, type ContractIds } from "../hash.js";
import type { HandlerModel, SchemaModel } from "../model.js";
import { indexTypes } from "../types-index.js";

/** Message and enum names a snapshot type string mentions: `a.B`, `a.B[]`, `map<string, a.B>`. */
function namesIn(type: string): string[] {
  const map = /^map<\s*[^,]+,\s*(.+)>$/.exec(type);
  return [(map ? (map[1] as string) : type).replace(/\[\]$/, "").trim()];
}

interface TypeTables {
  readonly messages: ReadonlyMap<string, MessageSnapshot>;
  readonly enums: ReadonlyMap<string, EnumSnapshot>;
}

function typeTables(snapshot: ContractSnapshot): TypeTables {
  return {
    messages: new Map(snapshot.messages.map((m) => [m.fullName, m])),
    enums: new Map(snapshot.enums.map((e) => [e.fullName, e])),
  };
}

/** The part of a snapshot one handler's wire contract depends on: the handler, and what its types reach. */
function handlerSlice({ messages, enums }: TypeTables, module: ModuleSnapshot, handler: HandlerSnapshot): ContractSnapshot {
  const reachedMessages = new Map<string, MessageSnapshot>();
  const reachedEnums = new Map<string, EnumSnapshot>();
  const queue = [...handler.params.map((p) => p.type), handler.result].flatMap(namesIn);
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (reachedMessages.has(name) || reachedEnums.has(name)) continue;
    const message = messages.get(name);
    if (message) {
      reachedMessages.set(name, message);
      for (const field of message.fields) queue.push(...namesIn(field.type));
      continue;
    }
    const e = enums.get(name);
    if (e) reachedEnums.set(name, e);
  }
  return {
    modules: [{ ...module, handlers: [handler], pushes: [], events: [] }],
    messages: [...reachedMessages.values()],
    enums: [...reachedEnums.values()],
  };
}

/** Whether a handler's wire contract broke between the two snapshots, by `mqgen breaking`'s rules. */
function contractBroke(previous: ContractSnapshot, next: ContractSnapshot, gate: boolean): boolean {
  return compareSnapshots(previous, next).some(
    (v) => v.severity === "error" && (v.category === "WIRE" || v.category === "GATE" || (gate && v.category === "JSON")),
  );
}

function findHandler(module: ModuleSnapshot | undefined, handler: HandlerSnapshot): HandlerSnapshot | undefined {
  if (!module) return undefined;
  return module.handlers.find((h) => h.method === handler.method) ?? module.handlers.find((h) => h.wire === handler.wire);
}

/**
 * Every handler's contract id. `current` is the snapshot of `model` (snapshotFromModel, with reservations);
 * `baseline` is the lock the ids are carried over from, if any.
 */
export function contractIds(model: SchemaModel, current: ContractSnapshot, baseline?: ContractSnapshot): Map<string, string> {
  const hasher = new ContractHasher(indexTypes(model));
  const handlerModels = new Map<string, HandlerModel>();
  for (const module of model.modules) for (const h of module.handlers) handlerModels.set(contractKey(module.type, h.method), h);
  const baselineModules = new Map((baseline?.modules ?? []).map((m) => [m.type, m]));
  const baselineTypes = baseline === undefined ? undefined : typeTables(baseline);
  const currentTypes = typeTables(current);
  const ids = new Map<string, string>();
  for (const module of current.modules) {
    for (const handler of module.handlers) {
      const key = contractKey(module.type, handler.method);
      const model = handlerModels.get(key);
      if (!model) continue;
      const structural = hasher.structuralHash(model);
      const previousModule = baselineModules.get(module.type);
      const previous = findHandler(previousModule, handler);
      const carried =
        baselineTypes !== undefined &&
        previousModule !== undefined &&
        previous?.contract !== undefined &&
        !contractBroke(handlerSlice(baselineTypes, previousModule, previous), handlerSlice(currentTypes, module, handler), previous.gate || handler.gate);
      ids.set(key, carried ? previous.contract : structural);
    }
  }
  return ids;
}

/**
 * The contract ids code generation needs: only a handler of a module the baseline knows can keep a baseline
 * id; every other id is the structural hash emit computes anyway. So only those modules are snapshotted (a
 * snapshot of a large schema set that shares nothing with the lock cost half as much as emitting it).
 */
export function carriedContractIds(model: SchemaModel, baseline: ContractSnapshot): ContractIds | undefined {
  const known = new Set(baseline.modules.map((m) => m.type));
  const modules = model.modules.filter((m) => known.has(m.type));
  return modules.length === 0 ? undefined : contractIds(model, snapshotFromModel({ ...model, modules }), baseline);
}

/** The snapshot with each handler's contract id filled in, as `mqgen lock` writes it. */
export function withContractIds(snapshot: ContractSnapshot, ids: ContractIds): ContractSnapshot {
  return {
    ...snapshot,
    modules: snapshot.modules.map((m) => ({
      ...m,
      handlers: m.handlers.map((h) => {
        const contract = ids.get(contractKey(m.type, h.method));
        return contract === undefined ? h : { ...h, contract };
      }),
    })),
  };
}
