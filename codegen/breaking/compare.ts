/**
 * Compares two contract snapshots and lists what the new one breaks. Things are matched by the name the
 * wire uses to find them (module type, field number, enum value name); a handler or push that is not found
 * by its TypeScript name is looked up by wire name or topic so a pure rename reads as a rename, not as a
 * deletion plus an addition. Positions point into the new schema where the thing still exists, else at
 * its parent in the new schema, else into the old one.
 */
import type { SourcePos } from "../model.js";
import { compareStrings } from "../model.js";
import type { RuleCategory, RuleId, Severity } from "./rules.js";
import { RULES } from "./rules.js";
import type {
  ContractSnapshot,
  EnumSnapshot,
  HandlerSnapshot,
  MessageSnapshot,
  ModuleSnapshot,
  ParamSnapshot,
} from "./snapshot.js";
import { isNumberReserved } from "./snapshot.js";

export interface Violation {
  readonly rule: RuleId;
  readonly category: RuleCategory;
  readonly severity: Severity;
  readonly message: string;
  readonly pos: SourcePos;
}

/**
 * Each old member's successor in the new module: the member of the same name, else (a rename) the one with
 * the same wire key (wire name, topic, subject) under a name the old module did not have.
 */
function successors<T>(
  before: readonly T[],
  after: readonly T[],
  nameOf: (item: T) => string,
  keyOf: (item: T) => string,
): Array<{ readonly old: T; readonly now: T | undefined; readonly renamed: boolean }> {
  const byName = new Map(after.map((item) => [nameOf(item), item]));
  const byKey = new Map(after.map((item) => [keyOf(item), item]));
  const oldNames = new Set(before.map(nameOf));
  return before.map((old) => {
    const same = byName.get(nameOf(old));
    if (same) return { old, now: same, renamed: false };
    const candidate = byKey.get(keyOf(old));
    const renamed = candidate !== undefined && !oldNames.has(nameOf(candidate));
    return { old, now: renamed ? candidate : undefined, renamed };
  });
}

export function compareSnapshots(previous: ContractSnapshot, next: ContractSnapshot): Violation[] {
  const out: Violation[] = [];
  const report = (rule: RuleId, pos: SourcePos, message: string): void => {
    const info = RULES[rule];
    out.push({ rule, category: info.category, severity: info.severity, message, pos });
  };
  const fileStart = (file: string): SourcePos => ({ file, line: 1, col: 1 });
  const oldPos = (item: { pos?: SourcePos; file?: string }, file: string): SourcePos => item.pos ?? fileStart(item.file ?? file);

  // --- modules, handlers, pushes ---
  const nextModules = new Map(next.modules.map((m) => [m.type, m]));
  for (const before of previous.modules) {
    const after = nextModules.get(before.type);
    if (!after) {
      report("MODULE_NO_DELETE", oldPos(before, before.file), `module '${before.type}' was removed`);
      continue;
    }
    compareModule(before, after);
  }

  function compareModule(before: ModuleSnapshot, after: ModuleSnapshot): void {
    const modulePos = after.pos ?? fileStart(after.file);
    for (const { old, now, renamed } of successors(before.handlers, after.handlers, (h) => h.method, (h) => h.wire)) {
      if (!now) {
        report("HANDLER_NO_DELETE", modulePos, `handler '${old.method}' (${old.wire}) was removed from module '${after.type}'`);
        continue;
      }
      if (renamed) {
        report("HANDLER_SAME_METHOD", now.pos ?? modulePos, `handler '${old.wire}' of module '${after.type}' was renamed from '${old.method}' to '${now.method}'`);
      }
      compareHandler(after.type, old, now, modulePos);
    }

    for (const { old, now, renamed } of successors(before.pushes, after.pushes, (p) => p.name, (p) => p.topic)) {
      if (!now) {
        report("PUSH_NO_DELETE", modulePos, `push '${old.name}' (topic '${old.topic}') was removed from module '${after.type}'`);
        continue;
      }
      if (renamed) {
        report("PUSH_SAME_NAME", now.pos ?? modulePos, `push on topic '${old.topic}' of module '${after.type}' was renamed from '${old.name}' to '${now.name}'`);
      }
      const pos = now.pos ?? modulePos;
      if (now.topic !== old.topic) {
        report("PUSH_SAME_TOPIC", pos, `push '${now.name}' of module '${after.type}' moved from topic '${old.topic}' to '${now.topic}'`);
      }
      if (now.type !== old.type) {
        report("PUSH_SAME_TYPE", pos, `push '${now.name}' of module '${after.type}' changed type from ${old.type} to ${now.type}`);
      }
    }
    compareEvents(before, after, modulePos);
  }

  /** Events are found by name, then (a rename) by subject; an added event breaks nobody. */
  function compareEvents(before: ModuleSnapshot, after: ModuleSnapshot, modulePos: SourcePos): void {
    for (const { old, now, renamed } of successors(before.events, after.events, (e) => e.name, (e) => e.subject)) {
      if (!now) {
        report("EVENT_NO_DELETE", modulePos, `event '${old.name}' (subject '${old.subject}') was removed from module '${after.type}'`);
        continue;
      }
      if (renamed) {
        report("EVENT_SAME_NAME", now.pos ?? modulePos, `event on subject '${old.subject}' of module '${after.type}' was renamed from '${old.name}' to '${now.name}'`);
      }
      const pos = now.pos ?? modulePos;
      const what = `event '${now.name}' of module '${after.type}'`;
      if (now.subject !== old.subject) report("EVENT_SAME_SUBJECT", pos, `${what} moved from subject '${old.subject}' to '${now.subject}'`);
      if (now.type !== old.type) report("EVENT_SAME_TYPE", pos, `${what} changed type from ${old.type} to ${now.type}`);
      if (now.delivery !== old.delivery) report("EVENT_SAME_DELIVERY", pos, `${what} changed delivery from ${old.delivery} to ${now.delivery}`);
    }
  }

  function compareHandler(module: string, old: HandlerSnapshot, now: HandlerSnapshot, modulePos: SourcePos): void {
    const pos = now.pos ?? modulePos;
    const name = `'${module}.${now.method}'`;
    if (now.wire !== old.wire) {
      report("HANDLER_SAME_WIRE_NAME", now.wirePos ?? pos, `handler ${name} changed wire name from '${old.wire}' to '${now.wire}'`);
    }
    if (old.gate && !now.gate) {
      report("GATE_NO_REMOVE", pos, `handler ${name} is no longer callable from gate clients`);
    }
    if (old.mode !== now.mode) {
      report("HANDLER_SAME_MODE", pos, `handler ${name} changed from ${old.mode} to ${now.mode}`);
    }
    compareParams(name, old, now, pos);
    if (old.result !== now.result) {
      report("RESULT_SAME_TYPE", pos, `handler ${name} changed its result from ${old.result} to ${now.result}`);
    }
  }

  function compareParams(handler: string, old: HandlerSnapshot, now: HandlerSnapshot, handlerPos: SourcePos): void {
    // Named params travel as one JSON object: names matter, order does not. Positional params are the
    // reverse: a rename at the same position is harmless, a move is not.
    const named = old.namedParams && now.namedParams;
    const paramPos = (p: ParamSnapshot): SourcePos => p.pos ?? handlerPos;
    const oldNames = new Map(old.params.map((p, i) => [p.name, i]));
    const newNames = new Map(now.params.map((p, i) => [p.name, i]));
    const common = old.params.filter((p) => newNames.has(p.name));
    for (const before of common) {
      const after = now.params[newNames.get(before.name) as number] as ParamSnapshot;
      if (after.type !== before.type) {
        report("PARAM_SAME_TYPE", paramPos(after), `param '${after.name}' of ${handler} changed type from ${before.type} to ${after.type}`);
      }
    }
    if (!named) {
      const oldOrder = common.map((p) => p.name);
      const newOrder = now.params.filter((p) => oldNames.has(p.name)).map((p) => p.name);
      const moved = newOrder.findIndex((n, i) => n !== oldOrder[i]);
      if (moved >= 0) {
        const first = now.params[newNames.get(newOrder[moved] as string) as number] as ParamSnapshot;
        report("PARAM_SAME_ORDER", paramPos(first), `params of ${handler} were reordered from (${old.params.map((p) => p.name).join(", ")}) to (${now.params.map((p) => p.name).join(", ")})`);
      }
    }
    const removed = old.params.map((p, i) => ({ p, i })).filter(({ p }) => !newNames.has(p.name));
    const added = now.params.map((p, i) => ({ p, i })).filter(({ p }) => !oldNames.has(p.name));
    for (const { p: before, i } of removed) {
      const renamedAt = named ? -1 : added.findIndex((a) => a.i === i);
      if (renamedAt >= 0) {
        const after = (added.splice(renamedAt, 1)[0] as { p: ParamSnapshot }).p;
        if (after.type !== before.type) {
          report("PARAM_SAME_TYPE", paramPos(after), `param ${i + 1} of ${handler} changed type from ${before.type} to ${after.type}`);
        }
        continue;
      }
      report("PARAM_NO_DELETE", handlerPos, `param '${before.name}' (${before.type}) was removed from ${handler}`);
    }
    for (const { p } of added) {
      report("PARAM_NO_ADD", paramPos(p), `param '${p.name}' (${p.type}) was added to ${handler}`);
    }
  }

  // --- messages ---
  const nextMessages = new Map(next.messages.map((m) => [m.fullName, m]));
  for (const before of previous.messages) {
    const after = nextMessages.get(before.fullName);
    if (!after) {
      report("MESSAGE_NO_DELETE", oldPos(before, before.file), `message '${before.fullName}' was removed`);
      continue;
    }
    compareMessage(before, after);
  }

  function compareMessage(before: MessageSnapshot, after: MessageSnapshot): void {
    const messagePos = after.pos ?? fileStart(after.file);
    const name = after.fullName;
    const newByNo = new Map(after.fields.map((f) => [f.no, f]));
    const newNames = new Set(after.fields.map((f) => f.name));
    const oldByNo = new Map(before.fields.map((f) => [f.no, f]));
    for (const old of before.fields) {
      const now = newByNo.get(old.no);
      if (!now) {
        if (!isNumberReserved(after.reserved, old.no)) {
          const moved = after.fields.find((f) => f.name === old.name);
          if (moved) {
            const hint = /\.ya?ml$/.test(after.file) ? "; YAML numbers fields by position: give fields an explicit `no:` to keep their numbers" : "";
            report("FIELD_NO_DELETE", moved.pos ?? messagePos, `field '${old.name}' of ${name} moved from number ${old.no} to ${moved.no} without reserving ${old.no}${hint}`);
          } else {
            report("FIELD_NO_DELETE", messagePos, `field ${old.no} '${old.name}' was deleted from ${name} without reserving its number`);
          }
        }
        if (!newNames.has(old.name) && !after.reserved.names.includes(old.name)) {
          report("FIELD_NAME_NO_DELETE", messagePos, `field ${old.no} '${old.name}' was deleted from ${name} without reserving its name`);
        }
        continue;
      }
      const pos = now.pos ?? messagePos;
      // YAML numbers fields by position unless `no:` is given, so a deleted or inserted field renumbers the
      // ones after it; say so where that is the likely cause.
      const yamlHint = /\.ya?ml$/.test(after.file) && !newNames.has(old.name) ? ` (YAML numbers fields by position: give fields an explicit \`no:\` to keep their numbers)` : "";
      if (now.name !== old.name && now.type !== old.type) {
        report("FIELD_NUMBER_NO_REUSE", pos, `field number ${old.no} of ${name} was '${old.name}' (${old.type}) and is reused by '${now.name}' (${now.type})${yamlHint}`);
        continue;
      }
      if (now.name !== old.name) {
        report("FIELD_SAME_NAME", pos, `field ${old.no} of ${name} was renamed from '${old.name}' to '${now.name}'${yamlHint}`);
      }
      const oldShape = shape(old.cardinality);
      const newShape = shape(now.cardinality);
      if (oldShape !== newShape) {
        report("FIELD_SAME_CARDINALITY", pos, `field ${old.no} '${now.name}' of ${name} changed from ${old.cardinality} to ${now.cardinality}`);
      } else {
        if (now.type !== old.type) {
          report("FIELD_SAME_TYPE", pos, `field ${old.no} '${now.name}' of ${name} changed type from ${old.type} to ${now.type}`);
        }
        if (old.cardinality !== now.cardinality) {
          report("FIELD_SAME_PRESENCE", pos, `field ${old.no} '${now.name}' of ${name} changed from ${old.cardinality} to ${now.cardinality}`);
        }
      }
    }
    for (const now of after.fields) {
      if (oldByNo.has(now.no)) continue;
      const pos = now.pos ?? messagePos;
      if (isNumberReserved(before.reserved, now.no)) {
        report("FIELD_NUMBER_NO_REUSE", pos, `field ${now.no} '${now.name}' of ${name} uses a number that was reserved`);
      } else if (before.reserved.names.includes(now.name)) {
        report("FIELD_NUMBER_NO_REUSE", pos, `field ${now.no} '${now.name}' of ${name} uses a name that was reserved`);
      } else if (now.cardinality === "singular") {
        report("FIELD_ADD_NOT_OPTIONAL", pos, `field ${now.no} '${now.name}' was added to ${name} as singular; make it optional (\`T?\` / proto3 \`optional\`) so existing code that builds ${name} still compiles`);
      }
    }
    for (const [from, to] of before.reserved.numbers) {
      for (let no = from; no <= Math.min(to, from + 10_000); no++) {
        if (isNumberReserved(after.reserved, no) || newByNo.has(no)) continue;
        report("RESERVED_NO_DELETE", messagePos, `reserved number${from === to ? ` ${from}` : `s ${from} to ${to}`} of ${name} ${from === to ? "is" : "are"} no longer reserved`);
        break;
      }
    }
    for (const reservedName of before.reserved.names) {
      if (after.reserved.names.includes(reservedName) || newNames.has(reservedName)) continue;
      report("RESERVED_NO_DELETE", messagePos, `reserved name '${reservedName}' of ${name} is no longer reserved`);
    }
  }

  // --- enums ---
  const nextEnums = new Map(next.enums.map((e) => [e.fullName, e]));
  for (const before of previous.enums) {
    const after = nextEnums.get(before.fullName);
    if (!after) {
      report("ENUM_NO_DELETE", oldPos(before, before.file), `enum '${before.fullName}' was removed`);
      continue;
    }
    compareEnum(before, after);
  }

  function compareEnum(before: EnumSnapshot, after: EnumSnapshot): void {
    const enumPos = after.pos ?? fileStart(after.file);
    const byName = new Map(after.values.map((v) => [v.name, v]));
    const byNumber = new Map(after.values.map((v) => [v.number, v]));
    const oldNames = new Set(before.values.map((v) => v.name));
    for (const old of before.values) {
      const now = byName.get(old.name);
      if (now) {
        if (now.number !== old.number) {
          report("ENUM_VALUE_SAME_NUMBER", now.pos ?? enumPos, `enum value ${after.fullName}.${old.name} was renumbered from ${old.number} to ${now.number}`);
        }
        continue;
      }
      const renamed = byNumber.get(old.number);
      if (renamed && !oldNames.has(renamed.name)) {
        report("ENUM_VALUE_SAME_NAME", renamed.pos ?? enumPos, `enum value ${old.number} of ${after.fullName} was renamed from ${old.name} to ${renamed.name}`);
        continue;
      }
      report("ENUM_VALUE_NO_DELETE", enumPos, `enum value ${after.fullName}.${old.name} (${old.number}) was removed`);
    }
  }

  return out.sort(compareViolations);
}

/** singular and optional differ only in presence; repeated and map are different wire shapes. */
function shape(cardinality: string): string {
  return cardinality === "optional" ? "singular" : cardinality;
}

export function compareViolations(a: Violation, b: Violation): number {
  return (
    compareStrings(a.pos.file, b.pos.file) ||
    a.pos.line - b.pos.line ||
    a.pos.col - b.pos.col ||
    compareStrings(a.rule, b.rule) ||
    compareStrings(a.message, b.message)
  );
}
