// Differential test of the well-known types with a JSON form of their own (Struct, Value, ListValue,
// NullValue, FieldMask, Any, Timestamp, Duration, wrappers) in every field shape, against @bufbuild/protobuf
// on the same .proto message compiled by the same buf: binary and JSON agree byte for byte on random
// messages (NaN/±Infinity/−0 in Values, unicode, nesting, Any packing messages and well-known types), and each
// side reads the other's bytes and JSON to the same message. Where JSON cannot carry a value, both refuse.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { create, createFileRegistry, fromBinary, fromJson, toBinary, toJsonString } from "@bufbuild/protobuf";
import type { DescMessage, Registry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, ListValueSchema, StructSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import { BadArgumentError } from "mqgen/runtime";
import { compileProtos } from "../../codegen/parse/buf.js";
import { Inner, Wkt } from "../fixtures/codegen/differential.golden/diff.types.js";
import { Any, Duration, FieldMask, Int64Value, ListValue, NullValue, Struct, Timestamp, Value } from "../fixtures/codegen/differential.golden/google.protobuf.types.js";
import type { JsonObject, JsonValue } from "mqgen/gate-client";

const FIXTURE = "test/fixtures/codegen/differential";

function protobufEs(): { schema: DescMessage; registry: Registry } {
  const compiled = compileProtos([{ rel: "diff.proto", text: readFileSync(join(FIXTURE, "diff.proto"), "utf8") }], join("proto"));
  assert.deepEqual(compiled.errors, []);
  const registry = createFileRegistry(fromJson(FileDescriptorSetSchema, { file: compiled.files as never }, { ignoreUnknownFields: true }));
  const schema = registry.getMessage("diff.Wkt");
  assert.ok(schema);
  return { schema, registry };
}

/** mulberry32, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = ["", "a", "ü", "日本語", "😀 astral", "e\u0301", "line\u2028sep", 'quote"back\\slash', "\u0000nul", "tab\tnew\nline", "<&>"];
const FINITE = [0, -0, 1.5, -2.25e-308, 1.7976931348623157e308, 5e-324, 0.1, 2 ** 53 + 2, -7];
const NON_FINITE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
const PATHS = ["a", "a_b", "user.display_name", "x1_y", "deep.er.path_name"];

class Random {
  constructor(private readonly next: () => number) {}
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)] as T;
  }
  some<T>(make: () => T, max = 4): T[] {
    return Array.from({ length: Math.floor(this.next() * max) }, make);
  }
  maybe(): boolean {
    return this.next() < 0.5;
  }
  /** Keys both sides write alike: protobuf-es in insertion order, mqgen (as Go) sorted; none integer-like. */
  keys(): string[] {
    return [...new Set(this.some(() => `k${this.pick(STRINGS)}`))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }
  json(depth: number): JsonValue {
    const kind = Math.floor(this.next() * (depth > 2 ? 4 : 6));
    if (kind === 0) return null;
    if (kind === 1) return this.pick(FINITE);
    if (kind === 2) return this.pick(STRINGS);
    if (kind === 3) return this.maybe();
    if (kind === 4) return this.some(() => this.json(depth + 1));
    return this.object(depth + 1);
  }
  object(depth: number): JsonObject {
    return Object.fromEntries(this.keys().map((k) => [k, this.json(depth)]));
  }
  /** A Value message; `finite: false` lets a number be NaN or ±Infinity (fine in binary, not in JSON). */
  value(depth: number, finite: boolean): Value {
    const kind = Math.floor(this.next() * (depth > 2 ? 4 : 6));
    if (kind === 0) return Value.create({ kind: { case: "null_value", value: NullValue.NULL_VALUE } });
    if (kind === 1) return Value.create({ kind: { case: "number_value", value: this.pick(finite || this.maybe() ? FINITE : NON_FINITE) } });
    if (kind === 2) return Value.create({ kind: { case: "string_value", value: this.pick(STRINGS) } });
    if (kind === 3) return Value.create({ kind: { case: "bool_value", value: this.maybe() } });
    if (kind === 4) return Value.create({ kind: { case: "struct_value", value: this.object(depth + 1) } });
    return Value.create({ kind: { case: "list_value", value: ListValue.create({ values: this.some(() => this.value(depth + 1, finite)) }) } });
  }
  any(): Any {
    const packs: (() => Any)[] = [
      () => Any.create(),
      () => Any.create({ type_url: "type.googleapis.com/diff.Inner", value: Inner.encode(Inner.create({ text: this.pick(STRINGS), count: -5n })) }),
      () => Any.create({ type_url: "type.googleapis.com/google.protobuf.Duration", value: Duration.encode(Duration.create({ seconds: 3n, nanos: 500_000_000 })) }),
      () => Any.create({ type_url: "type.googleapis.com/google.protobuf.Struct", value: Struct.encode(this.object(0)) }),
      () => Any.create({ type_url: "type.googleapis.com/google.protobuf.Value", value: Value.encode(this.value(0, true)) }),
      () => Any.create({ type_url: "type.googleapis.com/google.protobuf.FieldMask", value: FieldMask.encode(FieldMask.create({ paths: ["a_b", "c"] })) }),
      () => Any.create({ type_url: "type.googleapis.com/google.protobuf.Int64Value", value: Int64Value.encode(Int64Value.create({ value: -(2n ** 63n) })) }),
      () => Any.create({ type_url: "type.googleapis.com/google.protobuf.Any", value: Any.encode(Any.create({ type_url: "type.googleapis.com/diff.Inner", value: Inner.encode(Inner.create({ text: "in" })) })) }),
    ];
    return this.pick(packs)();
  }
}

function randomWkt(next: () => number, finite: boolean): Wkt {
  const r = new Random(next);
  const m = Wkt.create({ values: r.some(() => r.value(0, finite)), by_key: Object.fromEntries(r.keys().map((k) => [k, r.value(0, finite)])), metas: r.some(() => r.object(0)), packs: r.some(() => r.any(), 3) });
  if (r.maybe()) m.meta = r.object(0);
  if (r.maybe()) m.any_value = r.value(0, finite);
  if (r.maybe()) m.list = ListValue.create({ values: r.some(() => r.value(0, finite)) });
  if (r.maybe()) m.mask = FieldMask.create({ paths: r.some(() => r.pick(PATHS)) });
  if (r.maybe()) m.packed = r.any();
  if (r.maybe()) m.at = Timestamp.create({ seconds: r.pick([0n, -62_135_596_800n, 253_402_300_799n, 1_700_000_000n]), nanos: r.pick([0, 1, 999_999_999, 5_000_000]) });
  if (r.maybe()) m.took = r.pick([Duration.create({ seconds: -1n, nanos: -500 }), Duration.create({ seconds: 315_576_000_000n }), Duration.create()]);
  if (r.maybe()) m.big = Int64Value.create({ value: r.pick([0n, 9_223_372_036_854_775_807n]) });
  if (r.maybe()) m.label = { value: r.pick(STRINGS) };
  if (r.maybe()) m.nothing = NullValue.NULL_VALUE;
  const pick = r.pick([0, 1, 2]);
  if (pick === 1) m.pick = { case: "pv", value: r.value(0, finite) };
  if (pick === 2) m.pick = { case: "ps", value: r.object(0) };
  return m;
}

const CASE_NAMES: Readonly<Record<string, string>> = {
  null_value: "nullValue",
  number_value: "numberValue",
  string_value: "stringValue",
  bool_value: "boolValue",
  struct_value: "structValue",
  list_value: "listValue",
};

/** The same Value as protobuf-es' message (its Value keeps a Struct message inside, its fields lowerCamel). */
function esValue(value: Value): unknown {
  const { kind } = value;
  if (kind.case === undefined) return create(ValueSchema);
  let inner: unknown = kind.value;
  if (kind.case === "struct_value") inner = fromJson(StructSchema, kind.value);
  if (kind.case === "list_value") inner = create(ListValueSchema, { values: kind.value.values.map(esValue) as never });
  return create(ValueSchema, { kind: { case: CASE_NAMES[kind.case], value: inner } as never });
}

const esAny = (any: Any): unknown => ({ typeUrl: any.type_url, value: any.value });

function esInit(m: Wkt): Record<string, unknown> {
  const init: Record<string, unknown> = {
    values: m.values.map(esValue),
    byKey: Object.fromEntries(Object.entries(m.by_key).map(([k, v]) => [k, esValue(v)])),
    metas: m.metas,
    packs: m.packs.map(esAny),
  };
  if (m.meta !== undefined) init["meta"] = m.meta;
  if (m.any_value !== undefined) init["anyValue"] = esValue(m.any_value);
  if (m.list !== undefined) init["list"] = create(ListValueSchema, { values: m.list.values.map(esValue) as never });
  if (m.mask !== undefined) init["mask"] = { paths: m.mask.paths };
  if (m.packed !== undefined) init["packed"] = esAny(m.packed);
  if (m.at !== undefined) init["at"] = { ...m.at };
  if (m.took !== undefined) init["took"] = { ...m.took };
  // protobuf-es unboxes wrapper fields; mqgen keeps the wrapper message.
  if (m.big !== undefined) init["big"] = m.big.value;
  if (m.label !== undefined) init["label"] = m.label.value;
  if (m.nothing !== undefined) init["nothing"] = m.nothing;
  if (m.pick.case === "pv") init["pick"] = { case: "pv", value: esValue(m.pick.value) };
  if (m.pick.case === "ps") init["pick"] = { case: "ps", value: m.pick.value };
  return init;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

function jsonOrRefusal(write: () => string): string {
  try {
    return write();
  } catch {
    return "refused";
  }
}

test("well-known types agree with protobuf-es byte for byte in binary and JSON on 400 random messages and the empty one", () => {
  const { schema, registry } = protobufEs();
  const cases: { label: string; message: Wkt }[] = [{ label: "empty", message: Wkt.create() }];
  for (let seed = 1; seed <= 400; seed++) cases.push({ label: `seed ${seed}`, message: randomWkt(rng(seed), seed % 4 !== 0) });
  let refusedJson = 0;
  for (const { label, message } of cases) {
    const es = create(schema, esInit(message) as never);
    const ours = Wkt.encode(message);
    const theirs = toBinary(schema, es);
    assert.equal(hex(ours), hex(theirs), `binary differs (${label})`);
    assert.equal(hex(toBinary(schema, fromBinary(schema, ours))), hex(theirs), `protobuf-es reads mqgen's bytes (${label})`);
    assert.equal(hex(Wkt.encode(Wkt.decode(theirs))), hex(ours), `mqgen reads protobuf-es' bytes (${label})`);
    const ourJson = jsonOrRefusal(() => JSON.stringify(Wkt.toJson(message)));
    const theirJson = jsonOrRefusal(() => toJsonString(schema, es, { useProtoFieldName: true, registry }));
    assert.equal(ourJson, theirJson, `JSON differs (${label})`);
    if (ourJson === "refused") {
      refusedJson++;
      continue;
    }
    const parsed = JSON.parse(theirJson) as never;
    assert.equal(hex(Wkt.encode(Wkt.fromJson(parsed))), hex(toBinary(schema, fromJson(schema, parsed, { registry }))), `both read the JSON alike (${label})`);
  }
  // Some messages hold NaN or ±Infinity in a Value, which JSON cannot write: both sides refuse those.
  assert.ok(refusedJson > 10 && refusedJson < 100, `${refusedJson} refusals`);
});

test("JSON null is a Value's null and NullValue's only value; elsewhere it means absent", () => {
  const message = Wkt.fromJson({ any_value: null, nothing: null, meta: null, values: [null, 1], by_key: { a: null } });
  assert.deepEqual(message.any_value, { kind: { case: "null_value", value: 0 } });
  assert.equal(message.nothing, 0);
  assert.equal(message.meta, undefined);
  assert.deepEqual(message.values.map((v) => v.kind.case), ["null_value", "number_value"]);
  assert.deepEqual(Wkt.toJson(message), { any_value: null, values: [null, 1], by_key: { a: null }, nothing: null });
});

test("FieldMask paths without a lowerCamelCase form, and Any of an unknown type, are refused by both sides", () => {
  const { schema, registry } = protobufEs();
  const irreversible = Wkt.create({ mask: FieldMask.create({ paths: ["a__b"] }) });
  assert.throws(() => Wkt.toJson(irreversible), (e: unknown) => e instanceof BadArgumentError && /"a__b" has no lowerCamelCase JSON form/.test(e.message));
  assert.throws(() => toJsonString(schema, create(schema, esInit(irreversible) as never), { registry }));
  assert.throws(() => Wkt.fromJson({ mask: "a_b" }), /mask: expected lowerCamelCase path names/);

  const unknown = Wkt.create({ packed: Any.create({ type_url: "type.googleapis.com/elsewhere.Secret", value: Uint8Array.of(8, 1) }) });
  assert.throws(() => Wkt.toJson(unknown), (e: unknown) => e instanceof BadArgumentError && e.message.includes('"type.googleapis.com/elsewhere.Secret", a message no generated types loaded in this process define'));
  assert.throws(() => toJsonString(schema, create(schema, esInit(unknown) as never), { registry }));
  assert.throws(() => Wkt.fromJson({ packed: { "@type": "type.googleapis.com/elsewhere.Secret", x: 1 } }), /packed: google.protobuf.Any holds "type.googleapis.com\/elsewhere.Secret"/);
  assert.throws(() => Wkt.fromJson({ packed: { x: 1 } }), /packed: expected an object with a non-empty "@type"/);
  // Binary needs no registry: the unknown Any crosses unchanged.
  assert.deepEqual(Wkt.decode(Wkt.encode(unknown)), unknown);
});

test("hostile Struct input: deep nesting is refused with a BadArgumentError, __proto__ stays a key, non-JSON values are named", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 200; i++) deep = { d: deep };
  assert.throws(() => Wkt.fromJson({ meta: deep }), (e: unknown) => e instanceof BadArgumentError && /nested deeper than 100 levels/.test(e.message));
  let deepList: unknown = 1;
  for (let i = 0; i < 200; i++) deepList = [deepList];
  assert.throws(() => Wkt.fromJson({ any_value: deepList }), (e: unknown) => e instanceof BadArgumentError && /nested deeper than 100 levels/.test(e.message));
  // Binary nesting past the bound, built by hand (the encoder refuses to write it).
  const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >>> 7)]);
  const tagged = (key: number, body: readonly number[]): number[] => [key, ...varint(body.length), ...body];
  let struct: number[] = tagged(0x0a, [...tagged(0x0a, [0x64]), ...tagged(0x12, [0x08, 0x00])]);
  for (let i = 0; i < 150; i++) struct = tagged(0x0a, [...tagged(0x0a, [0x64]), ...tagged(0x12, tagged(0x2a, struct))]);
  assert.throws(() => Struct.decode(Uint8Array.from(struct)), (e: unknown) => e instanceof BadArgumentError && /nested deeper than 100 levels/.test(e.message));
  const hostile = JSON.parse('{"meta": {"__proto__": {"polluted": true}, "ok": 1}}') as unknown;
  const message = Wkt.fromJson(hostile);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.deepEqual(Object.keys(message.meta ?? {}), ["__proto__", "ok"]);
  assert.deepEqual(Object.keys(Struct.decode(Struct.encode(message.meta ?? {}))), ["__proto__", "ok"]);
  assert.throws(() => Struct.encode({ when: new Date(0) } as never), /google.protobuf.Struct.when: expected a JSON value, got object/);
  assert.throws(() => Struct.encode({ n: 1n } as never), /expected a JSON value, got bigint 1/);
  assert.throws(() => Struct.decode(Uint8Array.of(0x0a, 0x05, 0x0a)), (e: unknown) => e instanceof BadArgumentError && /malformed protobuf/.test(e.message));
});

test("hostile Any nesting is refused with a BadArgumentError, in JSON both ways", () => {
  let json: unknown = { "@type": "type.googleapis.com/diff.Inner", text: "core" };
  for (let i = 0; i < 150; i++) json = { "@type": "type.googleapis.com/google.protobuf.Any", value: json };
  assert.throws(() => Wkt.fromJson({ packed: json }), (e: unknown) => e instanceof BadArgumentError && /google.protobuf.Any nested deeper than 100 levels/.test(e.message));
  let any = Any.create({ type_url: "type.googleapis.com/diff.Inner", value: Inner.encode(Inner.create({ text: "core" })) });
  for (let i = 0; i < 150; i++) any = Any.create({ type_url: "type.googleapis.com/google.protobuf.Any", value: Any.encode(any) });
  assert.throws(() => Wkt.toJson(Wkt.create({ packed: any })), (e: unknown) => e instanceof BadArgumentError && /nested deeper than 100 levels/.test(e.message));
  // A shallow nesting still reads back.
  const two = { "@type": "type.googleapis.com/google.protobuf.Any", value: { "@type": "type.googleapis.com/diff.Inner", text: "x" } };
  assert.deepEqual(Wkt.toJson(Wkt.fromJson({ packed: two })), { packed: two });
});
