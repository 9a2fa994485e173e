/**
 * Where a field's value lives in a message object: its own property, or, for a member of a oneof, the
 * oneof's property holding `{ case: "<member>", value }` (`{ case: undefined }` when none is set) — the
 * discriminated union protobuf-es generates.
 */
import type { FieldDescriptor } from "../descriptor.js";
import type { Fields } from "./wire.js";

export interface OneofValue {
  readonly case: string | undefined;
  readonly value?: unknown;
}

export function fieldValue(message: Fields, desc: FieldDescriptor): unknown {
  if (desc.oneof === undefined) return message[desc.name];
  const slot = message[desc.oneof] as OneofValue | undefined;
  return slot !== undefined && slot !== null && slot.case === desc.name ? slot.value : undefined;
}

export function setFieldValue(message: Fields, desc: FieldDescriptor, value: unknown): void {
  if (desc.oneof === undefined) message[desc.name] = value;
  else message[desc.oneof] = { case: desc.name, value };
}

/** Marks the members of one oneof in a field table: `...oneof("choice", [field(2, …), field(3, …)])`. */
export function oneof(name: string, members: readonly FieldDescriptor[]): FieldDescriptor[] {
  return members.map((member) => ({ ...member, cardinality: "optional", oneof: name }));
}
