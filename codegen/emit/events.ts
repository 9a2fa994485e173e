/**
 * The view of a module's events in `<module>.ts`: the descriptor rows (subject, delivery, protobuf codec)
 * and the typed `<Module>Events` class with `emit<Name>(event)` and `on<Name>(handler)` per event.
 */
import type { ModuleModel } from "../model.js";
import { commentText, pascalCase, safeProperty, stringLiteral } from "../names.js";
import { type FileImports, jsdoc, resolvedName } from "./naming.js";

const RUNTIME = "mqgen/runtime";

export interface EventView {
  readonly key: string;
  readonly nameLit: string;
  readonly subjectLit: string;
  readonly deliveryLit: string;
  readonly codec: string;
  readonly messageType: string;
  readonly emitMethod: string;
  readonly onMethod: string;
  readonly emitJsdoc: string;
  readonly onJsdoc: string;
}

/** The runtime's type names as this file imports them (aliased when a schema type takes the name). */
export interface EventTypeNames {
  readonly bus: string;
  readonly host: string;
  readonly handler: string;
  readonly subscription: string;
  readonly options: string;
}

export function eventViews(module: ModuleModel, imports: FileImports): { events: EventView[]; eventTypes: EventTypeNames | undefined } {
  if (module.events.length === 0) return { events: [], eventTypes: undefined };
  const eventTypes: EventTypeNames = {
    bus: imports.use(RUNTIME, "EventBus", "type"),
    host: imports.use(RUNTIME, "EventHost", "type"),
    handler: imports.use(RUNTIME, "EventHandler", "type"),
    subscription: imports.use(RUNTIME, "EventSubscription", "type"),
    options: imports.use(RUNTIME, "SubscribeOptions", "type"),
  };
  const events = module.events.map((e) => {
    const messageType = imports.declared(resolvedName(e.type));
    const pascal = pascalCase(e.name);
    const delivery =
      e.delivery === "broadcast"
        ? "Broadcast: every subscription, in every process, receives it."
        : "Balanced: one subscriber of each subscribing module type receives it.";
    const doc = e.doc.trim();
    return {
      key: safeProperty(e.name),
      nameLit: stringLiteral(e.name),
      subjectLit: stringLiteral(e.subject),
      deliveryLit: stringLiteral(e.delivery),
      codec: `${messageType}.codec`,
      messageType,
      emitMethod: safeProperty(`emit${pascal}`),
      onMethod: safeProperty(`on${pascal}`),
      emitJsdoc: jsdoc([doc, `Emits \`${commentText(e.name)}\` on \`${commentText(e.subject)}\`. ${delivery}`].filter((l) => l !== "").join("\n"), "  "),
      onJsdoc: jsdoc([doc, `Subscribes to \`${commentText(e.name)}\`. ${delivery}`].filter((l) => l !== "").join("\n"), "  "),
    };
  });
  return { events, eventTypes };
}

/** The descriptor's type names each event, so `binding.events.said` needs no cast under strictest. */
export function eventsDescriptorPart(module: ModuleModel, imports: FileImports): string | undefined {
  if (module.events.length === 0) return undefined;
  const event = imports.use(RUNTIME, "EventDescriptor", "type");
  return `  readonly events: {\n${module.events.map((e) => `    readonly ${safeProperty(e.name)}: ${event};`).join("\n")}\n  };`;
}
