/**
 * The contract snapshot `mqgen breaking` compares: every wire-relevant fact of the schema model keyed by the
 * name it is matched on (module type, handler method, message full name, field number, enum value name).
 *
 * The same shape is written to `mqgen.lock.json`, minus source positions: the lock changes only when the
 * contract does, so a reviewer reads its diff as a contract diff, and a comment or a blank line never makes
 * it stale. Positions are kept in memory for the side that was loaded from schemas, so violations point at
 * the schema a developer edits.
 */
import type { FieldModel, HandlerModel, ModuleModel, SchemaModel, SourcePos, TypeRef } from "../model.js";
import { compareStrings } from "../model.js";

export const LOCK_FORMAT = 1;

export interface ParamSnapshot {
  readonly name: string;
  readonly type: string;
  readonly pos?: SourcePos;
}

export interface HandlerSnapshot {
  readonly method: string;
  readonly wire: string;
  readonly mode: "serial" | "concurrent";
  readonly gate: boolean;
  /**
   * True when the params are the named fields of a gate request object (a YAML gate handler's `params`):
   * they travel as one JSON object, so they are matched by name and their order does not matter.
   */
  readonly namedParams: boolean;
  readonly params: readonly ParamSnapshot[];
  readonly result: string;
  /**
   * The handler's contract id (contracts.ts): kept in the lock so it carries over compatible changes.
   * Comparisons ignore it.
   */
  readonly contract?: string;
  readonly pos?: SourcePos;
  readonly wirePos?: SourcePos;
}

export interface PushSnapshot {
  readonly name: string;
  readonly topic: string;
  readonly type: string;
  readonly pos?: SourcePos;
}

export interface EventSnapshot {
  readonly name: string;
  readonly type: string;
  readonly delivery: "broadcast" | "balanced";
  readonly subject: string;
  readonly pos?: SourcePos;
}

export interface ModuleSnapshot {
  readonly type: string;
  readonly file: string;
  readonly handlers: readonly HandlerSnapshot[];
  readonly pushes: readonly PushSnapshot[];
  readonly events: readonly EventSnapshot[];
  readonly pos?: SourcePos;
}

export interface FieldSnapshot {
  readonly no: number;
  readonly name: string;
  /** Value type; `map<K, V>` for maps. */
  readonly type: string;
  readonly cardinality: "singular" | "optional" | "repeated" | "map";
  readonly pos?: SourcePos;
}

export interface ReservedSnapshot {
  /** Inclusive ranges, sorted. */
  readonly numbers: readonly (readonly [number, number])[];
  readonly names: readonly string[];
}

export interface MessageSnapshot {
  readonly fullName: string;
  readonly file: string;
  readonly fields: readonly FieldSnapshot[];
  readonly reserved: ReservedSnapshot;
  readonly pos?: SourcePos;
}

export interface EnumValueSnapshot {
  readonly name: string;
  readonly number: number;
  readonly pos?: SourcePos;
}

export interface EnumSnapshot {
  readonly fullName: string;
  readonly file: string;
  readonly values: readonly EnumValueSnapshot[];
  readonly pos?: SourcePos;
}

export interface ContractSnapshot {
  readonly modules: readonly ModuleSnapshot[];
  readonly messages: readonly MessageSnapshot[];
  readonly enums: readonly EnumSnapshot[];
}

/** A type as the contract sees it: scalars by name, messages and enums by full name. */
export function typeName(ref: TypeRef): string {
  switch (ref.kind) {
    case "scalar":
      return ref.scalar;
    case "ref":
      return ref.resolved?.fullName ?? ref.name.replace(/^\./, "");
    default:
      return ref.kind;
  }
}

function fieldType(field: FieldModel): string {
  const value = typeName(field.type);
  return field.cardinality === "map" ? `map<${field.mapKey ?? field.invalidMapKey ?? "string"}, ${value}>` : value;
}

function withCollection(type: string, collection: "repeated" | "map" | undefined): string {
  if (collection === "repeated") return `${type}[]`;
  if (collection === "map") return `map<string, ${type}>`;
  return type;
}

const EMPTY_RESERVED: ReservedSnapshot = { numbers: [], names: [] };

/** The contract of a model; `reserved` comes from the model too (the parsers carry it). */
export function snapshotFromModel(model: SchemaModel): ContractSnapshot {
  const messagesByName = new Map(model.messages.map((m) => [m.fullName, m]));
  const synthetic = new Set(model.messages.filter((m) => m.synthetic).map((m) => m.fullName));

  const handlerSnapshot = (handler: HandlerModel): HandlerSnapshot => {
    const only = handler.params.length === 1 ? handler.params[0] : undefined;
    const requestName = only && only.type.kind === "ref" ? typeName(only.type) : undefined;
    const syntheticRequest = requestName !== undefined && synthetic.has(requestName) ? messagesByName.get(requestName) : undefined;
    const params: ParamSnapshot[] = syntheticRequest
      ? [...syntheticRequest.fields]
          .sort((a, b) => a.no - b.no)
          .map((f) => ({ name: f.name, type: f.cardinality === "map" ? fieldType(f) : withCollection(typeName(f.type), collectionOf(f)), pos: f.pos }))
      : handler.params.map((p) => ({ name: p.name, type: withCollection(typeName(p.type), p.collection), pos: p.pos }));
    return {
      method: handler.method,
      wire: handler.wireName,
      mode: handler.mode,
      gate: handler.gate,
      namedParams: syntheticRequest !== undefined,
      params,
      result: withCollection(typeName(handler.result), handler.resultCollection),
      pos: handler.pos,
      wirePos: handler.wirePos,
    };
  };

  const moduleSnapshot = (module: ModuleModel): ModuleSnapshot => ({
    type: module.type,
    file: module.source,
    handlers: module.handlers.map(handlerSnapshot),
    pushes: module.pushes.map((p) => ({ name: p.name, topic: p.topic, type: typeName(p.type), pos: p.pos })),
    events: module.events.map((e) => ({ name: e.name, type: typeName(e.type), delivery: e.delivery, subject: e.subject, pos: e.pos })),
    pos: module.pos,
  });

  return sortSnapshot({
    modules: model.modules.map(moduleSnapshot),
    messages: model.messages
      .filter((m) => !m.synthetic)
      .map((m) => ({
        fullName: m.fullName,
        file: m.pos.file,
        fields: m.fields.map((f) => ({ no: f.no, name: f.name, type: fieldType(f), cardinality: f.cardinality, pos: f.pos })),
        reserved: normalizeReserved(m.reserved ?? EMPTY_RESERVED),
        pos: m.pos,
      })),
    enums: model.enums.map((e) => ({
      fullName: e.fullName,
      file: e.pos.file,
      values: e.values.map((v) => ({ name: v.name, number: v.number, pos: v.pos })),
      pos: e.pos,
    })),
  });
}

function collectionOf(field: FieldModel): "repeated" | "map" | undefined {
  return field.cardinality === "repeated" || field.cardinality === "map" ? field.cardinality : undefined;
}

/** Merges overlapping and adjacent ranges so equal reservations always look the same. */
export function normalizeReserved(reserved: ReservedSnapshot): ReservedSnapshot {
  const ranges = [...reserved.numbers].map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return { numbers: merged, names: [...new Set(reserved.names)].sort(compareStrings) };
}

export function isNumberReserved(reserved: ReservedSnapshot, no: number): boolean {
  return reserved.numbers.some(([from, to]) => no >= from && no <= to);
}

function sortSnapshot(snapshot: ContractSnapshot): ContractSnapshot {
  return {
    modules: [...snapshot.modules]
      .map((m) => ({
        ...m,
        handlers: [...m.handlers].sort((a, b) => compareStrings(a.method, b.method)),
        pushes: [...m.pushes].sort((a, b) => compareStrings(a.name, b.name)),
        events: [...m.events].sort((a, b) => compareStrings(a.name, b.name)),
      }))
      .sort((a, b) => compareStrings(a.type, b.type)),
    messages: [...snapshot.messages]
      .map((m) => ({ ...m, fields: [...m.fields].sort((a, b) => a.no - b.no || compareStrings(a.name, b.name)) }))
      .sort((a, b) => compareStrings(a.fullName, b.fullName)),
    enums: [...snapshot.enums]
      .map((e) => ({ ...e, values: [...e.values].sort((a, b) => a.number - b.number || compareStrings(a.name, b.name)) }))
      .sort((a, b) => compareStrings(a.fullName, b.fullName)),
  };
}

// --- the lock file ---

/*
 * Lock layout: objects keyed by the matching name (so a diff of the lock reads like a diff of the contract),
 * keys in code-unit order, two-space indentation, LF, final newline.
 */
interface LockFile {
  readonly mqgenLock: number;
  readonly modules: Record<
    string,
    {
      file: string;
      handlers: Record<
        string,
        { wire: string; mode: string; gate: boolean; namedParams?: boolean; params: { name: string; type: string }[]; result: string; contract?: string }
      >;
      pushes: Record<string, { topic: string; type: string }>;
      events?: Record<string, { type: string; delivery: string; subject: string }>;
    }
  >;
  readonly messages: Record<string, { file: string; fields: Record<string, { name: string; type: string; cardinality: string }>; reserved?: { numbers?: (number | [number, number])[]; names?: string[] } }>;
  readonly enums: Record<string, { file: string; values: Record<string, number> }>;
}

export function serializeLock(snapshot: ContractSnapshot): string {
  const sorted = sortSnapshot(snapshot);
  const lock: LockFile = {
    mqgenLock: LOCK_FORMAT,
    modules: Object.fromEntries(
      sorted.modules.map((m) => [
        m.type,
        {
          file: m.file,
          handlers: Object.fromEntries(
            m.handlers.map((h) => [
              h.method,
              {
                wire: h.wire,
                mode: h.mode,
                gate: h.gate,
                ...(h.namedParams ? { namedParams: true } : {}),
                params: h.params.map((p) => ({ name: p.name, type: p.type })),
                result: h.result,
                ...(h.contract !== undefined ? { contract: h.contract } : {}),
              },
            ]),
          ),
          pushes: Object.fromEntries(m.pushes.map((p) => [p.name, { topic: p.topic, type: p.type }])),
          // Only modules with events carry the key, so locks written before events stay byte for byte.
          ...(m.events.length > 0 ? { events: Object.fromEntries(m.events.map((e) => [e.name, { type: e.type, delivery: e.delivery, subject: e.subject }])) } : {}),
        },
      ]),
    ),
    messages: Object.fromEntries(
      sorted.messages.map((m) => {
        const reserved = {
          ...(m.reserved.numbers.length > 0 ? { numbers: m.reserved.numbers.map(([a, b]) => (a === b ? a : [a, b])) } : {}),
          ...(m.reserved.names.length > 0 ? { names: [...m.reserved.names] } : {}),
        } as { numbers?: (number | [number, number])[]; names?: string[] };
        return [
          m.fullName,
          {
            file: m.file,
            fields: Object.fromEntries(m.fields.map((f) => [String(f.no), { name: f.name, type: f.type, cardinality: f.cardinality }])),
            ...(Object.keys(reserved).length > 0 ? { reserved } : {}),
          },
        ];
      }),
    ),
    enums: Object.fromEntries(
      sorted.enums.map((e) => [e.fullName, { file: e.file, values: Object.fromEntries(e.values.map((v) => [v.name, v.number])) }]),
    ),
  };
  // Keys are in a fixed order already: names sorted by sortSnapshot, field numbers ascending (JS orders
  // integer-like keys numerically), and properties in the order written above.
  return `${printJson(lock, "")}\n`;
}

/**
 * JSON.stringify with two-space indentation, except that an object or list holding only scalars stays on
 * one line: a field, a param or a reserved range is one line of the lock, so its diff is one line too.
 */
function printJson(value: unknown, indent: string): string {
  const isScalar = (v: unknown): boolean => v === null || typeof v !== "object";
  const flat = (v: unknown): boolean => isScalar(v) || (Array.isArray(v) ? v.every((x) => isScalar(x) || (Array.isArray(x) && x.every(isScalar))) : Object.values(v as object).every(isScalar));
  if (isScalar(value)) return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (flat(value)) return `[${value.map((v) => JSON.stringify(v)).join(", ").replace(/,(?=\S)/g, ", ")}]`;
    return `[\n${value.map((v) => inner + printJson(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  if (flat(value)) return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")} }`;
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${printJson(v, inner)}`).join(",\n")}\n${indent}}`;
}

export class LockFormatError extends Error {}

export function parseLock(text: string, path: string): ContractSnapshot {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LockFormatError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const fail = (where: string, expected: string): never => {
    throw new LockFormatError(`${path}: ${where} must be ${expected}; regenerate it with \`mqgen lock\``);
  };
  const obj = (value: unknown, where: string): Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(where, "an object");
  const str = (value: unknown, where: string): string => (typeof value === "string" ? value : fail(where, "a string"));
  const int = (value: unknown, where: string): number => (typeof value === "number" && Number.isInteger(value) ? value : fail(where, "an integer"));
  const bool = (value: unknown, where: string): boolean => (typeof value === "boolean" ? value : fail(where, "true or false"));
  const arr = (value: unknown, where: string): unknown[] => (Array.isArray(value) ? value : fail(where, "a list"));

  const root = obj(raw, "the lock");
  if (root.mqgenLock !== LOCK_FORMAT) fail("mqgenLock", String(LOCK_FORMAT));
  const modules: ModuleSnapshot[] = Object.entries(obj(root.modules ?? {}, "modules")).map(([type, value]) => {
    const m = obj(value, `modules.${type}`);
    const handlers = Object.entries(obj(m.handlers ?? {}, `modules.${type}.handlers`)).map(([method, hv]): HandlerSnapshot => {
      const where = `modules.${type}.handlers.${method}`;
      const h = obj(hv, where);
      const mode = str(h.mode, `${where}.mode`);
      if (mode !== "serial" && mode !== "concurrent") fail(`${where}.mode`, "serial or concurrent");
      return {
        method,
        wire: str(h.wire, `${where}.wire`),
        mode: mode as "serial" | "concurrent",
        gate: bool(h.gate, `${where}.gate`),
        namedParams: h.namedParams === undefined ? false : bool(h.namedParams, `${where}.namedParams`),
        params: arr(h.params, `${where}.params`).map((pv, i) => {
          const p = obj(pv, `${where}.params[${i}]`);
          return { name: str(p.name, `${where}.params[${i}].name`), type: str(p.type, `${where}.params[${i}].type`) };
        }),
        result: str(h.result, `${where}.result`),
        ...(h.contract === undefined ? {} : { contract: str(h.contract, `${where}.contract`) }),
      };
    });
    const pushes = Object.entries(obj(m.pushes ?? {}, `modules.${type}.pushes`)).map(([name, pv]) => {
      const p = obj(pv, `modules.${type}.pushes.${name}`);
      return { name, topic: str(p.topic, `modules.${type}.pushes.${name}.topic`), type: str(p.type, `modules.${type}.pushes.${name}.type`) };
    });
    const events = Object.entries(obj(m.events ?? {}, `modules.${type}.events`)).map(([name, ev]): EventSnapshot => {
      const where = `modules.${type}.events.${name}`;
      const e = obj(ev, where);
      const delivery = str(e.delivery, `${where}.delivery`);
      if (delivery !== "broadcast" && delivery !== "balanced") fail(`${where}.delivery`, "broadcast or balanced");
      return { name, type: str(e.type, `${where}.type`), delivery: delivery as "broadcast" | "balanced", subject: str(e.subject, `${where}.subject`) };
    });
    return { type, file: str(m.file, `modules.${type}.file`), handlers, pushes, events };
  });
  const messages: MessageSnapshot[] = Object.entries(obj(root.messages ?? {}, "messages")).map(([fullName, value]) => {
    const where = `messages.${fullName}`;
    const m = obj(value, where);
    const fields = Object.entries(obj(m.fields ?? {}, `${where}.fields`)).map(([no, fv]): FieldSnapshot => {
      const f = obj(fv, `${where}.fields.${no}`);
      const cardinality = str(f.cardinality, `${where}.fields.${no}.cardinality`);
      if (!["singular", "optional", "repeated", "map"].includes(cardinality)) fail(`${where}.fields.${no}.cardinality`, "singular, optional, repeated or map");
      return {
        no: int(Number(no), `${where}.fields key ${no}`),
        name: str(f.name, `${where}.fields.${no}.name`),
        type: str(f.type, `${where}.fields.${no}.type`),
        cardinality: cardinality as FieldSnapshot["cardinality"],
      };
    });
    const r = obj(m.reserved ?? {}, `${where}.reserved`);
    const numbers = arr(r.numbers ?? [], `${where}.reserved.numbers`).map((n, i): [number, number] => {
      if (Array.isArray(n) && n.length === 2) return [int(n[0], `${where}.reserved.numbers[${i}]`), int(n[1], `${where}.reserved.numbers[${i}]`)];
      const single = int(n, `${where}.reserved.numbers[${i}]`);
      return [single, single];
    });
    const names = arr(r.names ?? [], `${where}.reserved.names`).map((n, i) => str(n, `${where}.reserved.names[${i}]`));
    return { fullName, file: str(m.file, `${where}.file`), fields, reserved: normalizeReserved({ numbers, names }) };
  });
  const enums: EnumSnapshot[] = Object.entries(obj(root.enums ?? {}, "enums")).map(([fullName, value]) => {
    const e = obj(value, `enums.${fullName}`);
    const values = Object.entries(obj(e.values ?? {}, `enums.${fullName}.values`)).map(([name, n]) => ({
      name,
      number: int(n, `enums.${fullName}.values.${name}`),
    }));
    return { fullName, file: str(e.file, `enums.${fullName}.file`), values };
  });
  return sortSnapshot({ modules, messages, enums });
}
