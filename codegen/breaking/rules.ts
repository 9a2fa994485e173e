/**
 * The contract rules. IDs are stable (they appear in CI logs, allow comments and `--allow`), modelled on
 * buf's rule names; categories say what a violation breaks:
 *   WIRE   - bytes on the wire: a caller and a node built from the two versions cannot talk (mqant arguments
 *            are positional and tagged, messages are protobuf).
 *   JSON   - the JSON encoding: gate clients, the HTTP gateway and `map` arguments see field and enum names.
 *   SOURCE - the generated TypeScript API and the handler's contract beyond bytes.
 *   GATE   - what gate (MQTT) clients can reach: HD_ handlers and pushes.
 * Events between modules are WIRE: emitters and subscribers built from the two versions miss each other.
 */

export type RuleCategory = "WIRE" | "JSON" | "SOURCE" | "GATE" | "ALLOW";
export type Severity = "error" | "warning";

export interface RuleInfo {
  readonly id: string;
  readonly category: RuleCategory;
  readonly severity: Severity;
  /** One line for the rules table in the docs. */
  readonly summary: string;
}

const rule = (id: string, category: RuleCategory, summary: string, severity: Severity = "error"): RuleInfo => ({
  id,
  category,
  severity,
  summary,
});

export const RULES = {
  MODULE_NO_DELETE: rule("MODULE_NO_DELETE", "WIRE", "a module (service) was removed"),
  HANDLER_NO_DELETE: rule("HANDLER_NO_DELETE", "WIRE", "a handler (rpc) was removed; on NATS this is a timeout or `not found`, which buf does not flag at WIRE"),
  HANDLER_SAME_WIRE_NAME: rule("HANDLER_SAME_WIRE_NAME", "WIRE", "a handler's wire name changed"),
  PARAM_NO_ADD: rule("PARAM_NO_ADD", "WIRE", "a param was added (old callers send one argument less)"),
  PARAM_NO_DELETE: rule("PARAM_NO_DELETE", "WIRE", "a param was removed"),
  PARAM_SAME_ORDER: rule("PARAM_SAME_ORDER", "WIRE", "params were reordered (mqant arguments are positional)"),
  PARAM_SAME_TYPE: rule("PARAM_SAME_TYPE", "WIRE", "a param's type changed (for .proto: the request message)"),
  RESULT_SAME_TYPE: rule("RESULT_SAME_TYPE", "WIRE", "a handler's result type changed"),
  FIELD_NO_DELETE: rule("FIELD_NO_DELETE", "WIRE", "a field was deleted without reserving its number"),
  FIELD_NUMBER_NO_REUSE: rule("FIELD_NUMBER_NO_REUSE", "WIRE", "a field number that was reserved, or that another field had, is used again"),
  FIELD_SAME_TYPE: rule("FIELD_SAME_TYPE", "WIRE", "a field's type changed (int32 to int64 included: JSON writes int64 as a string)"),
  FIELD_SAME_CARDINALITY: rule("FIELD_SAME_CARDINALITY", "WIRE", "a field changed between singular, repeated and map"),
  RESERVED_NO_DELETE: rule("RESERVED_NO_DELETE", "WIRE", "a reserved field number or name was un-reserved"),
  ENUM_VALUE_SAME_NUMBER: rule("ENUM_VALUE_SAME_NUMBER", "WIRE", "an enum value was renumbered"),
  FIELD_SAME_NAME: rule("FIELD_SAME_NAME", "JSON", "a field was renamed (its JSON name changes)"),
  FIELD_NAME_NO_DELETE: rule("FIELD_NAME_NO_DELETE", "JSON", "a field was deleted without reserving its name (JSON senders still use it)"),
  ENUM_VALUE_NO_DELETE: rule("ENUM_VALUE_NO_DELETE", "JSON", "an enum value was removed (JSON carries enum names)"),
  ENUM_VALUE_SAME_NAME: rule("ENUM_VALUE_SAME_NAME", "JSON", "an enum value was renamed"),
  MESSAGE_NO_DELETE: rule("MESSAGE_NO_DELETE", "SOURCE", "a message was removed"),
  ENUM_NO_DELETE: rule("ENUM_NO_DELETE", "SOURCE", "an enum was removed"),
  HANDLER_SAME_METHOD: rule("HANDLER_SAME_METHOD", "SOURCE", "a handler's TypeScript method name changed (same wire name)"),
  PUSH_SAME_NAME: rule("PUSH_SAME_NAME", "SOURCE", "a push's TypeScript name changed (same topic)"),
  FIELD_SAME_PRESENCE: rule("FIELD_SAME_PRESENCE", "SOURCE", "a field changed between singular and optional (`T` and `T | undefined`)"),
  FIELD_ADD_NOT_OPTIONAL: rule("FIELD_ADD_NOT_OPTIONAL", "SOURCE", "a field was added that is not optional: code building the message must now set it", "warning"),
  HANDLER_SAME_MODE: rule("HANDLER_SAME_MODE", "SOURCE", "a handler changed between serial and concurrent (callers may rely on one-at-a-time)", "warning"),
  GATE_NO_REMOVE: rule("GATE_NO_REMOVE", "GATE", "a handler is no longer callable from gate clients"),
  PUSH_NO_DELETE: rule("PUSH_NO_DELETE", "GATE", "a push was removed"),
  PUSH_SAME_TOPIC: rule("PUSH_SAME_TOPIC", "GATE", "a push's MQTT topic changed"),
  PUSH_SAME_TYPE: rule("PUSH_SAME_TYPE", "GATE", "a push's message type changed"),
  EVENT_NO_DELETE: rule("EVENT_NO_DELETE", "WIRE", "an event was removed (its subscribers built from the old schema wait in vain)"),
  EVENT_SAME_TYPE: rule("EVENT_SAME_TYPE", "WIRE", "an event's message type changed"),
  EVENT_SAME_DELIVERY: rule("EVENT_SAME_DELIVERY", "WIRE", "an event changed between broadcast and balanced delivery"),
  EVENT_SAME_SUBJECT: rule("EVENT_SAME_SUBJECT", "WIRE", "an event's NATS subject changed (old and new nodes no longer meet)"),
  EVENT_SAME_NAME: rule("EVENT_SAME_NAME", "SOURCE", "an event's TypeScript name changed (same subject): `emitX`/`onX` are renamed"),
  ALLOW_NEEDS_REASON: rule("ALLOW_NEEDS_REASON", "ALLOW", "an `mqgen:allow` comment has no `reason:`; it allows nothing"),
  ALLOW_UNKNOWN_RULE: rule("ALLOW_UNKNOWN_RULE", "ALLOW", "an `mqgen:allow` comment names a rule that does not exist"),
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

export function isRuleId(id: string): id is RuleId {
  return Object.hasOwn(RULES, id);
}

/** Rules a schema change can trigger (the ALLOW ones are about allow comments themselves). */
export const CONTRACT_RULES: readonly RuleInfo[] = Object.values(RULES).filter((r) => r.category !== "ALLOW");
