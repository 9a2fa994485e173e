import type { EnumModel, MessageModel, SchemaModel } from "./model.js";

/** Messages and enums by full name, for the emitters and the hashes. */
export interface TypeIndex {
  readonly messages: ReadonlyMap<string, MessageModel>;
  readonly enums: ReadonlyMap<string, EnumModel>;
}

export function indexTypes(model: SchemaModel): TypeIndex {
  return {
    messages: new Map(model.messages.map((m) => [m.fullName, m])),
    enums: new Map(model.enums.map((e) => [e.fullName, e])),
  };
}
