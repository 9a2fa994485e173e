/**
 * Every message type generated code has defined in this process, by full name: what google.protobuf.Any's
 * JSON needs to turn `type_url` into a message (protobuf-es asks for a registry; generated types fill this
 * one as their files load, so an Any can hold any message of the schema set that the process imports).
 */
import type { MessageType } from "../descriptor.js";

const byName = new Map<string, MessageType<object>>();

/** The first definition of a name wins: two generated copies of one schema define the same table. */
export function registerMessageType(type: MessageType<object>): void {
  if (!byName.has(type.typeName)) byName.set(type.typeName, type);
}

export function messageTypeNamed(typeName: string): MessageType<object> | undefined {
  return byName.get(typeName);
}
