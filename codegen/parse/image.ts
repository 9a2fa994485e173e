/**
 * buf's binary image (`buf build -o image.binpb`) read into the JSON-form descriptors of descriptor.ts, the
 * shape `buf build -o image.json` writes. The JSON image is about ten times the size of the schemas and
 * JSON.parse of it grew faster than the input (a 20 MB corpus: 210 MB of text, 1 GB of heap); the binary
 * image is a third of that, and each file's source info stays as bytes until the file is read (see
 * SourceInfo), so the locations of every file are never in memory at once.
 *
 * Only what mqgen (and protobuf-es, in the differential tests) reads is decoded; everything else is skipped
 * by its wire type. Custom options come out as JSON names them (`"[mqgen.gate]": true`), for the extensions
 * the image's files declare at file level with scalar types (mqgen's own options are all of that kind).
 * Tags are descriptor.proto's field numbers with their wire type (wire-reader.ts): 0x0a is field 1, bytes.
 */
import type { EnumDescriptor, FieldDescriptor, FileDescriptor, MessageDescriptor, MethodDescriptor, ServiceDescriptor, SourceLocation } from "./descriptor.js";
import { attachSourceInfo } from "./descriptor.js";
import { Reader } from "./wire-reader.js";

const LABELS: readonly (FieldDescriptor["label"] | undefined)[] = [undefined, "LABEL_OPTIONAL", "LABEL_REQUIRED", "LABEL_REPEATED"];
const TYPES = [
  "",
  "TYPE_DOUBLE",
  "TYPE_FLOAT",
  "TYPE_INT64",
  "TYPE_UINT64",
  "TYPE_INT32",
  "TYPE_FIXED64",
  "TYPE_FIXED32",
  "TYPE_BOOL",
  "TYPE_STRING",
  "TYPE_GROUP",
  "TYPE_MESSAGE",
  "TYPE_BYTES",
  "TYPE_UINT32",
  "TYPE_ENUM",
  "TYPE_SFIXED32",
  "TYPE_SFIXED64",
  "TYPE_SINT32",
  "TYPE_SINT64",
];
const FIELD_PRESENCE = ["FIELD_PRESENCE_UNKNOWN", "EXPLICIT", "IMPLICIT", "LEGACY_REQUIRED"];
const REPEATED_FIELD_ENCODING = ["REPEATED_FIELD_ENCODING_UNKNOWN", "PACKED", "EXPANDED"];
const EDITIONS: Readonly<Record<number, string>> = { 998: "EDITION_PROTO2", 999: "EDITION_PROTO3", 1000: "EDITION_2023", 1001: "EDITION_2024" };

const enumName = (names: readonly string[], n: number): string | number => names[n] ?? n;

interface Extension {
  readonly key: string;
  readonly type: string;
}

/** Extensions by extendee (`.google.protobuf.MethodOptions`) and field number. */
type Extensions = Map<string, Map<number, Extension>>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Json = Record<string, unknown>;

/**
 * The files of a binary buf image, dependencies first as buf orders them; each is decoded when it is asked
 * for, so a reader that takes them one at a time never holds more than one.
 */
export function* decodeImage(buf: Buffer): Generator<FileDescriptor> {
  const extensions = scanExtensions(buf);
  const r = new Reader(buf, 0, buf.length);
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) yield decodeFile(r.sub(), extensions);
    else r.skip(tag & 7);
  }
}

/** First pass: the extensions every file declares, so options can be named before their files are read. */
function scanExtensions(buf: Buffer): Extensions {
  const out: Extensions = new Map();
  const r = new Reader(buf, 0, buf.length);
  while (r.more) {
    const tag = r.uint32();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const file = r.sub();
    let pkg = "";
    const declared: FieldDescriptor[] = [];
    while (file.more) {
      const t = file.uint32();
      if (t === 0x12) pkg = file.string();
      else if (t === 0x3a) declared.push(decodeField(file.sub(), out));
      else file.skip(t & 7);
    }
    for (const e of declared) {
      if (e.extendee === undefined || e.label === "LABEL_REPEATED") continue;
      const byNumber = out.get(e.extendee) ?? new Map<number, Extension>();
      out.set(e.extendee, byNumber);
      byNumber.set(e.number, { key: `[${pkg === "" ? e.name : `${pkg}.${e.name}`}]`, type: e.type });
    }
  }
  return out;
}

function decodeFile(r: Reader, ext: Extensions): FileDescriptor {
  const file: Mutable<FileDescriptor> = { name: "" };
  const messages: MessageDescriptor[] = [];
  const enums: EnumDescriptor[] = [];
  const services: ServiceDescriptor[] = [];
  const extensions: FieldDescriptor[] = [];
  const dependency: string[] = [];
  let sourceInfo: [number, number] | undefined;
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) file.name = r.string();
    else if (tag === 0x12) file.package = r.string();
    else if (tag === 0x1a) dependency.push(r.string());
    else if (tag === 0x22) messages.push(decodeMessage(r.sub(), ext));
    else if (tag === 0x2a) enums.push(decodeEnum(r.sub(), ext));
    else if (tag === 0x32) services.push(decodeService(r.sub(), ext));
    else if (tag === 0x3a) extensions.push(decodeField(r.sub(), ext));
    else if (tag === 0x42) file.options = decodeOptions(r.sub(), ext, ".google.protobuf.FileOptions", { 50: "features" });
    else if (tag === 0x4a) sourceInfo = r.bytes();
    else if (tag === 0x62) file.syntax = r.string();
    else if (tag === 0x70) {
      const n = r.int32();
      file.edition = EDITIONS[n] ?? String(n);
    } else r.skip(tag & 7);
  }
  if (dependency.length > 0) file.dependency = dependency;
  if (messages.length > 0) file.messageType = messages;
  if (enums.length > 0) file.enumType = enums;
  if (services.length > 0) file.service = services;
  if (extensions.length > 0) file.extension = extensions;
  if (sourceInfo !== undefined) {
    const [start, end] = sourceInfo;
    const { buf } = r;
    attachSourceInfo(file, () => decodeSourceInfo(new Reader(buf, start, end)));
  }
  return file;
}

function decodeMessage(r: Reader, ext: Extensions): MessageDescriptor {
  const m: Mutable<MessageDescriptor> = { name: "" };
  const fields: FieldDescriptor[] = [];
  const nested: MessageDescriptor[] = [];
  const enums: EnumDescriptor[] = [];
  const oneofs: { name: string }[] = [];
  const extensionRanges: Json[] = [];
  const extensions: FieldDescriptor[] = [];
  const reservedRanges: { start: number; end: number }[] = [];
  const reservedNames: string[] = [];
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) m.name = r.string();
    else if (tag === 0x12) fields.push(decodeField(r.sub(), ext));
    else if (tag === 0x1a) nested.push(decodeMessage(r.sub(), ext));
    else if (tag === 0x22) enums.push(decodeEnum(r.sub(), ext));
    else if (tag === 0x2a) extensionRanges.push(decodeRange(r.sub(), ext));
    else if (tag === 0x32) extensions.push(decodeField(r.sub(), ext));
    else if (tag === 0x3a) m.options = decodeOptions(r.sub(), ext, ".google.protobuf.MessageOptions", { 3: "deprecated", 7: "mapEntry", 12: "features" });
    else if (tag === 0x42) oneofs.push({ name: decodeName(r.sub()) });
    else if (tag === 0x4a) {
      const range = decodeRange(r.sub());
      reservedRanges.push({ start: range.start ?? 0, end: range.end ?? 0 });
    } else if (tag === 0x52) reservedNames.push(r.string());
    else r.skip(tag & 7);
  }
  if (fields.length > 0) m.field = fields;
  if (nested.length > 0) m.nestedType = nested;
  if (enums.length > 0) m.enumType = enums;
  if (extensionRanges.length > 0) m.extensionRange = extensionRanges;
  if (extensions.length > 0) m.extension = extensions;
  if (oneofs.length > 0) m.oneofDecl = oneofs;
  if (reservedRanges.length > 0) m.reservedRange = reservedRanges;
  if (reservedNames.length > 0) m.reservedName = reservedNames;
  return m;
}

function decodeField(r: Reader, ext: Extensions): FieldDescriptor {
  const f: Mutable<FieldDescriptor> = { name: "", number: 0, type: "" };
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) f.name = r.string();
    else if (tag === 0x12) f.extendee = r.string();
    else if (tag === 0x18) f.number = r.int32();
    else if (tag === 0x20) f.label = LABELS[r.int32()];
    else if (tag === 0x28) f.type = TYPES[r.int32()] ?? "";
    else if (tag === 0x32) f.typeName = r.string();
    else if (tag === 0x3a) f.defaultValue = r.string();
    else if (tag === 0x42) f.options = decodeOptions(r.sub(), ext, ".google.protobuf.FieldOptions", { 2: "packed", 3: "deprecated", 21: "features" });
    else if (tag === 0x48) f.oneofIndex = r.int32();
    else if (tag === 0x52) f.jsonName = r.string();
    else if (tag === 0x88) f.proto3Optional = r.bool();
    else r.skip(tag & 7);
  }
  return f;
}

function decodeEnum(r: Reader, ext: Extensions): EnumDescriptor {
  const e: Mutable<EnumDescriptor> = { name: "" };
  const values: Mutable<NonNullable<EnumDescriptor["value"]>[number]>[] = [];
  const reservedRanges: { start: number; end: number }[] = [];
  const reservedNames: string[] = [];
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) e.name = r.string();
    else if (tag === 0x1a) e.options = decodeOptions(r.sub(), ext, ".google.protobuf.EnumOptions", { 2: "allowAlias", 3: "deprecated", 7: "features" });
    else if (tag === 0x12) {
      const v = r.sub();
      const value: (typeof values)[number] = { name: "" };
      while (v.more) {
        const t = v.uint32();
        if (t === 0x0a) value.name = v.string();
        else if (t === 0x10) value.number = v.int32();
        else if (t === 0x1a) value.options = decodeOptions(v.sub(), ext, ".google.protobuf.EnumValueOptions", { 1: "deprecated", 2: "features" });
        else v.skip(t & 7);
      }
      values.push(value);
    } else if (tag === 0x22) {
      const range = decodeRange(r.sub());
      reservedRanges.push({ start: range.start ?? 0, end: range.end ?? 0 });
    } else if (tag === 0x2a) reservedNames.push(r.string());
    else r.skip(tag & 7);
  }
  if (values.length > 0) e.value = values;
  if (reservedRanges.length > 0) e.reservedRange = reservedRanges;
  if (reservedNames.length > 0) e.reservedName = reservedNames;
  return e;
}

function decodeService(r: Reader, ext: Extensions): ServiceDescriptor {
  const s: Mutable<ServiceDescriptor> = { name: "" };
  const methods: MethodDescriptor[] = [];
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) s.name = r.string();
    else if (tag === 0x1a) s.options = decodeOptions(r.sub(), ext, ".google.protobuf.ServiceOptions", { 33: "deprecated", 34: "features" });
    else if (tag === 0x12) {
      const m = r.sub();
      const method: Mutable<MethodDescriptor> = { name: "", inputType: "", outputType: "" };
      while (m.more) {
        const t = m.uint32();
        if (t === 0x0a) method.name = m.string();
        else if (t === 0x12) method.inputType = m.string();
        else if (t === 0x1a) method.outputType = m.string();
        else if (t === 0x22) method.options = decodeOptions(m.sub(), ext, ".google.protobuf.MethodOptions", { 33: "deprecated", 35: "features" });
        else if (t === 0x28) method.clientStreaming = m.bool();
        else if (t === 0x30) method.serverStreaming = m.bool();
        else m.skip(t & 7);
      }
      methods.push(method);
    } else r.skip(tag & 7);
  }
  if (methods.length > 0) s.method = methods;
  return s;
}

function decodeName(r: Reader): string {
  let name = "";
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x0a) name = r.string();
    else r.skip(tag & 7);
  }
  return name;
}

/** A reserved or extension range; `ext` for an extension range's options. */
function decodeRange(r: Reader, ext?: Extensions): { start?: number; end?: number; options?: Json } {
  const range: { start?: number; end?: number; options?: Json } = {};
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x08) range.start = r.int32();
    else if (tag === 0x10) range.end = r.int32();
    else if (tag === 0x1a && ext !== undefined) range.options = decodeOptions(r.sub(), ext, ".google.protobuf.ExtensionRangeOptions", {});
    else r.skip(tag & 7);
  }
  return range;
}

/**
 * An options message: the standard fields `known` names (by field number; bools, or `features`) and the
 * custom options of `extendee` that `ext` knows, keyed as JSON keys them.
 */
function decodeOptions(r: Reader, ext: Extensions, extendee: string, known: Readonly<Record<number, string>>): Json {
  const options: Json = {};
  const custom = ext.get(extendee);
  while (r.more) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const name = known[number];
    if (name === "features" && wireType === 2) options["features"] = decodeFeatures(r.sub());
    else if (name !== undefined && wireType === 0) options[name] = r.bool();
    else {
      const e = custom?.get(number);
      const value = e === undefined ? undefined : customValue(r, e.type, wireType);
      if (value === undefined) r.skip(wireType);
      else options[(e as Extension).key] = value;
    }
  }
  return options;
}

/** A scalar custom option's value as JSON has it, or undefined (reader not moved) for other types. */
function customValue(r: Reader, type: string, wireType: number): string | number | boolean | undefined {
  if (wireType === 2 && type === "TYPE_STRING") return r.string();
  if (wireType !== 0) return undefined;
  switch (type) {
    case "TYPE_BOOL":
      return r.bool();
    case "TYPE_INT32":
      return r.int32();
    case "TYPE_UINT32":
      return r.uint32();
    case "TYPE_SINT32": {
      const n = r.uint32();
      return (n >>> 1) ^ -(n & 1);
    }
    default:
      return undefined;
  }
}

function decodeFeatures(r: Reader): Json {
  const features: Json = {};
  while (r.more) {
    const tag = r.uint32();
    if (tag === 0x08) features["fieldPresence"] = enumName(FIELD_PRESENCE, r.int32());
    else if (tag === 0x18) features["repeatedFieldEncoding"] = enumName(REPEATED_FIELD_ENCODING, r.int32());
    else r.skip(tag & 7);
  }
  return features;
}

function decodeSourceInfo(r: Reader): SourceLocation[] {
  const locations: SourceLocation[] = [];
  while (r.more) {
    const tag = r.uint32();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    const l = r.sub();
    const location: Mutable<SourceLocation> & { path: number[]; span: number[] } = { path: [], span: [] };
    while (l.more) {
      const t = l.uint32();
      const field = t >>> 3;
      if (field === 1) l.int32s(t & 7, location.path);
      else if (field === 2) l.int32s(t & 7, location.span);
      else if (t === 0x1a) location.leadingComments = l.string();
      else if (t === 0x22) location.trailingComments = l.string();
      else l.skip(t & 7);
    }
    locations.push(location);
  }
  return locations;
}
