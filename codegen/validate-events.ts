/**
 * Checks of `events:` (YAML) and `(mqgen.event)` (.proto) declarations: names that generate distinct
 * `emit<Name>`/`on<Name>` methods, one message each, and subjects nats-server accepts, unique across every
 * module (two events on one subject would hand each other's payloads to the wrong decoder).
 */
import type { EventModel, ModuleModel, SourcePos, TypeRef } from "./model.js";
import { isIdentifier, pascalCase } from "./names.js";
import { isPublishableSubject, MAX_SUBJECT_LENGTH } from "../runtime/transport/subject.js";

export interface EventChecks {
  readonly report: (pos: SourcePos, message: string) => void;
  readonly resolve: (ref: TypeRef, pos: SourcePos) => void;
  readonly at: (pos: SourcePos) => string;
}

/** Runs once over all modules, so a subject taken by another module's event is found too. */
export function validateEvents(modules: readonly ModuleModel[], { report, resolve, at }: EventChecks): void {
  const subjects = new Map<string, { module: string; event: EventModel }>();
  for (const module of modules) {
    const methods = new Map<string, EventModel>();
    for (const event of module.events) {
      if (!isIdentifier(event.name)) report(event.pos, `event name '${event.name}' is not a valid identifier`);
      const method = pascalCase(event.name);
      const previous = methods.get(method);
      if (previous?.name === event.name) report(event.pos, `duplicate event '${event.name}' (first at ${at(previous.pos)})`);
      else if (previous) report(event.pos, `events '${previous.name}' (at ${at(previous.pos)}) and '${event.name}' of module '${module.type}' both become emit${method}/on${method}; rename one`);
      else methods.set(method, event);
      if (!isPublishableSubject(event.subject)) {
        report(event.pos, `subject '${event.subject}' of event '${event.name}' is not a NATS subject: 1..${MAX_SUBJECT_LENGTH} characters, dot-separated non-empty tokens, no spaces, control characters or wildcards (* >)`);
      }
      const owner = subjects.get(event.subject);
      if (owner !== undefined) report(event.pos, `event '${event.name}' of module '${module.type}' uses subject '${event.subject}' of event '${owner.event.name}' of module '${owner.module}' (at ${at(owner.event.pos)})`);
      else subjects.set(event.subject, { module: module.type, event });
      resolve(event.type, event.pos);
      if (event.type.kind !== "ref" || (event.type.resolved && event.type.resolved.target !== "message")) {
        report(event.pos, `event '${event.name}' must carry a message`);
      }
    }
  }
}
