/** The `events:` section of a YAML schema: typed events between modules (name → message, delivery, subject). */
import type { EventDelivery, EventModel } from "../../model.js";
import { defaultEventSubject } from "../../model.js";
import type { Node, Pair, YamlReader } from "./reader.js";
import { parseTypeExpr } from "./types.js";

const EVENT_KEYS = ["type", "delivery", "subject", "doc"];
const DELIVERIES: readonly EventDelivery[] = ["broadcast", "balanced"];

export function parseEvents(r: YamlReader, pair: Pair, moduleType: string, pkg: string): EventModel[] {
  const value = pair.value as Node | null;
  if (!r.isMap(value)) {
    r.report(r.valuePos(pair), "events must be a mapping of event name to its message type");
    return [];
  }
  const events: EventModel[] = [];
  for (const item of value.items) {
    const name = r.keyName(item);
    const pos = r.keyPos(item);
    const body = item.value as Node | null;
    let typeText: string | undefined;
    let typePos = r.valuePos(item);
    let subject = defaultEventSubject(moduleType, name);
    let delivery: EventDelivery = "broadcast";
    let deliveryPos = pos;
    let doc = "";
    if (r.isScalar(body) && typeof body.value === "string") {
      typeText = body.value;
    } else if (r.isMap(body)) {
      const e = r.entries(body, EVENT_KEYS, `event '${name}'`);
      const typePair = e.get("type");
      typeText = r.stringValue(typePair, `type of event '${name}'`);
      if (typePair) typePos = r.valuePos(typePair);
      else r.report(pos, `event '${name}' has no type`);
      subject = r.stringValue(e.get("subject"), `subject of event '${name}'`) ?? subject;
      const deliveryPair = e.get("delivery");
      const deliveryText = r.stringValue(deliveryPair, `delivery of event '${name}'`);
      if (deliveryPair) deliveryPos = r.valuePos(deliveryPair);
      if (deliveryText !== undefined) {
        if ((DELIVERIES as readonly string[]).includes(deliveryText)) delivery = deliveryText as EventDelivery;
        else r.report(deliveryPos, `delivery of event '${name}' must be broadcast or balanced, not '${deliveryText}'`);
      }
      doc = r.docValue(e.get("doc"));
    } else {
      r.report(typePos, `event '${name}' must be a message type or a mapping with type, delivery, subject, doc`);
    }
    if (typeText === undefined) continue;
    const expr = parseTypeExpr(r, typeText, typePos, pkg);
    if (!expr) continue;
    if (expr.cardinality !== "singular") {
      r.report(typePos, `event '${name}' must carry one message, not '${typeText}'`);
      continue;
    }
    events.push({ name, type: expr.type, delivery, subject, doc, pos, deliveryPos });
  }
  return events;
}
