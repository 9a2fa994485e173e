/**
 * Events declared in .proto schemas: a message with `option (mqgen.event) = "broadcast" | "balanced";`
 * is an event of the file's (single) service, named like a push (the message name lower-camel-cased), on
 * `(mqgen.event_subject)` or the default subject.
 */
import type { Diagnostic, EventDelivery, EventModel, ModuleModel, SourcePos } from "../model.js";
import { defaultEventSubject } from "../model.js";
import { camelCase } from "../names.js";
import type { OptionsJson } from "./descriptor.js";

/** What a message's options declare, before the owning module is known. */
export interface DeclaredEvent {
  readonly messageName: string;
  readonly fullName: string;
  readonly scope: string;
  readonly delivery: string;
  readonly subject: string | undefined;
  readonly doc: string;
  readonly pos: SourcePos;
  readonly deliveryPos: SourcePos;
}

/** The event a message declares, if any. */
export function declaredEvent(
  options: OptionsJson | undefined,
  message: { name: string; fullName: string; scope: string; doc: string; pos: SourcePos },
  optionPos: (number: number) => SourcePos,
): DeclaredEvent | undefined {
  const delivery = options?.["[mqgen.event]"];
  if (typeof delivery !== "string") return undefined;
  const subject = options?.["[mqgen.event_subject]"];
  return {
    messageName: message.name,
    fullName: message.fullName,
    scope: message.scope,
    delivery,
    subject: typeof subject === "string" ? subject : undefined,
    doc: message.doc,
    pos: message.pos,
    deliveryPos: optionPos(50202),
  };
}

/** Attaches a file's events to its only service, reporting what cannot belong to one. */
export function attachEvents(modules: ModuleModel[], declared: readonly DeclaredEvent[], path: string, diagnostics: Diagnostic[]): void {
  if (declared.length === 0) return;
  const report = (pos: SourcePos, message: string): void => void diagnostics.push({ file: pos.file, line: pos.line, col: pos.col, message });
  const owner = modules.length === 1 ? modules[0] : undefined;
  if (owner === undefined) {
    for (const e of declared) report(e.pos, `event needs exactly one service in ${path} to belong to (found ${modules.length})`);
    return;
  }
  const events: EventModel[] = [];
  for (const e of declared) {
    const name = camelCase(e.messageName);
    if (e.delivery !== "broadcast" && e.delivery !== "balanced") {
      report(e.deliveryPos, `event '${name}' must have delivery broadcast or balanced, not '${e.delivery}'`);
      continue;
    }
    events.push({
      name,
      type: { kind: "ref", name: e.fullName, scope: e.scope },
      delivery: e.delivery as EventDelivery,
      subject: e.subject ?? defaultEventSubject(owner.type, name),
      doc: e.doc,
      pos: e.pos,
      deliveryPos: e.deliveryPos,
    });
  }
  modules[0] = { ...owner, events: [...owner.events, ...events] };
}
