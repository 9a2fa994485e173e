/**
 * The well-known types mqgen maps, and where buf finds them: a .proto imports their google/protobuf files;
 * a YAML schema names them (`google.protobuf.Timestamp`) and mqgen imports those files for it.
 */
import type { SchemaModel, TypeRef } from "../model.js";

/** Well-known types with a mapping (binary as plain messages, canonical JSON in runtime/codec/wkt.ts). */
export const MAPPED_WELL_KNOWN_TYPES: ReadonlySet<string> = new Set([
  "google.protobuf.Timestamp",
  "google.protobuf.Duration",
  "google.protobuf.Empty",
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
  "google.protobuf.Struct",
  "google.protobuf.Value",
  "google.protobuf.ListValue",
  "google.protobuf.NullValue",
  "google.protobuf.FieldMask",
  "google.protobuf.Any",
]);

/** The google/protobuf file that declares each well-known type mqgen maps. */
const WELL_KNOWN_FILES: Readonly<Record<string, string>> = {
  Timestamp: "timestamp",
  Duration: "duration",
  Empty: "empty",
  DoubleValue: "wrappers",
  FloatValue: "wrappers",
  Int64Value: "wrappers",
  UInt64Value: "wrappers",
  Int32Value: "wrappers",
  UInt32Value: "wrappers",
  BoolValue: "wrappers",
  StringValue: "wrappers",
  BytesValue: "wrappers",
  Struct: "struct",
  Value: "struct",
  ListValue: "struct",
  NullValue: "struct",
  FieldMask: "field_mask",
  Any: "any",
};

/** A source that only imports well-known types YAML schemas name, so buf compiles them as a .proto import would. */
export const WELL_KNOWN_IMPORTS = "mqgen-well-known-imports.proto";

/** The `google/protobuf/*.proto` imports that declare the well-known types `models` (parsed YAML) refer to. */
export function wellKnownImports(models: readonly SchemaModel[]): string[] {
  const refs: TypeRef[] = [];
  for (const model of models) {
    for (const message of model.messages) for (const field of message.fields) refs.push(field.type);
    for (const module of model.modules) {
      for (const handler of module.handlers) refs.push(handler.result, ...handler.params.map((p) => p.type));
      for (const push of module.pushes) refs.push(push.type);
    }
  }
  const files = new Set<string>();
  for (const ref of refs) {
    const name = ref.kind === "ref" ? ref.name.replace(/^\./, "") : "";
    const file = name.startsWith("google.protobuf.") ? WELL_KNOWN_FILES[name.slice("google.protobuf.".length)] : undefined;
    if (file !== undefined) files.add(`google/protobuf/${file}.proto`);
  }
  return [...files].sort();
}

