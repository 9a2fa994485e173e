// The reflective proto3 codec against protobufjs compiling an equivalent .proto (an independent oracle).
import { test } from "node:test";
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { defineEnum, defineMessage } from "../../runtime/internal.js";
import type { FieldDescriptor, MessageType, ScalarKind } from "../../runtime/internal.js";
import { BadArgumentError } from "../../runtime/internal.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

const PROTO = `
syntax = "proto3";
package t;
enum Color { RED = 0; GREEN = 1; BLUE = 2; }
message Inner { string s = 1; int64 n = 2; }
message All {
  bool b = 1; int32 i32 = 2; int64 i64 = 3; uint32 u32 = 4; uint64 u64 = 5; float f = 6; double d = 7;
  string s = 8; bytes by = 9; Color c = 10; Inner inner = 11;
  repeated int32 ri32 = 12; repeated int64 ri64 = 13; repeated string rs = 14; repeated bytes rby = 15;
  repeated Color rc = 16; repeated Inner rin = 17; repeated double rd = 18; repeated bool rb = 19;
  map<string, string> mss = 20; map<int32, Inner> mim = 21; map<bool, string> mbs = 23;
  optional int32 oi = 24; optional string os = 25; repeated uint64 ru64 = 26; repeated float rf = 27;
}
message Tree { string name = 1; repeated Tree children = 2; }
`;
const root = protobuf.parse(PROTO, { keepCase: true }).root;
root.resolveAll();
const OracleAll = root.lookupType("t.All");
const OracleTree = root.lookupType("t.Tree");

const Color = defineEnum("t.Color", { RED: 0, GREEN: 1, BLUE: 2 });

interface Inner {
  s: string;
  n: bigint;
}
const scalar = (s: ScalarKind) => ({ kind: "scalar", scalar: s }) as const;
const Inner = defineMessage<Inner>("t.Inner", () => [
  { no: 1, name: "s", type: scalar("string"), cardinality: "singular" },
  { no: 2, name: "n", type: scalar("int64"), cardinality: "singular" },
]);

interface All {
  b: boolean; i32: number; i64: bigint; u32: number; u64: bigint; f: number; d: number; s: string; by: Uint8Array;
  c: number; inner?: Inner; ri32: number[]; ri64: bigint[]; rs: string[]; rby: Uint8Array[]; rc: number[];
  rin: Inner[]; rd: number[]; rb: boolean[]; mss: Record<string, string>; mim: Record<string, Inner>;
  mbs: Record<string, string>; oi?: number; os?: string; ru64: bigint[]; rf: number[];
}
// Deliberately listed out of field-number order: output must still follow field numbers.
const allFields = (): FieldDescriptor[] => [
  { no: 27, name: "rf", type: scalar("float"), cardinality: "repeated" },
  { no: 1, name: "b", type: scalar("bool"), cardinality: "singular" },
  { no: 2, name: "i32", type: scalar("int32"), cardinality: "singular" },
  { no: 3, name: "i64", type: scalar("int64"), cardinality: "singular" },
  { no: 4, name: "u32", type: scalar("uint32"), cardinality: "singular" },
  { no: 5, name: "u64", type: scalar("uint64"), cardinality: "singular" },
  { no: 6, name: "f", type: scalar("float"), cardinality: "singular" },
  { no: 7, name: "d", type: scalar("double"), cardinality: "singular" },
  { no: 8, name: "s", type: scalar("string"), cardinality: "singular" },
  { no: 9, name: "by", type: scalar("bytes"), cardinality: "singular" },
  { no: 10, name: "c", type: { kind: "enum", enum: Color }, cardinality: "singular" },
  { no: 11, name: "inner", type: { kind: "message", message: () => Inner }, cardinality: "singular" },
  { no: 12, name: "ri32", type: scalar("int32"), cardinality: "repeated" },
  { no: 13, name: "ri64", type: scalar("int64"), cardinality: "repeated" },
  { no: 14, name: "rs", type: scalar("string"), cardinality: "repeated" },
  { no: 15, name: "rby", type: scalar("bytes"), cardinality: "repeated" },
  { no: 16, name: "rc", type: { kind: "enum", enum: Color }, cardinality: "repeated" },
  { no: 17, name: "rin", type: { kind: "message", message: () => Inner }, cardinality: "repeated" },
  { no: 18, name: "rd", type: scalar("double"), cardinality: "repeated" },
  { no: 19, name: "rb", type: scalar("bool"), cardinality: "repeated" },
  { no: 20, name: "mss", type: scalar("string"), cardinality: "map", mapKey: "string" },
  { no: 21, name: "mim", type: { kind: "message", message: () => Inner }, cardinality: "map", mapKey: "int32" },
  { no: 23, name: "mbs", type: scalar("string"), cardinality: "map", mapKey: "bool" },
  { no: 24, name: "oi", type: scalar("int32"), cardinality: "optional" },
  { no: 25, name: "os", type: scalar("string"), cardinality: "optional" },
  { no: 26, name: "ru64", type: scalar("uint64"), cardinality: "repeated" },
];
const All: MessageType<All> = defineMessage<All>("t.All", allFields);

interface Tree {
  name: string;
  children: Tree[];
}
const Tree: MessageType<Tree> = defineMessage<Tree>("t.Tree", () => [
  { no: 1, name: "name", type: scalar("string"), cardinality: "singular" },
  { no: 2, name: "children", type: { kind: "message", message: () => Tree }, cardinality: "repeated" },
]);

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

const full: All = All.create({
  b: true, i32: -0x80000000, i64: INT64_MIN, u32: 0xffffffff, u64: UINT64_MAX, f: 1.5, d: -0.1, s: "héllo 你好 😀",
  by: Uint8Array.of(0, 255, 128), c: 2, inner: { s: "in", n: INT64_MAX },
  ri32: [0, 1, -1, 0x7fffffff, -0x80000000, 300], ri64: [0n, -1n, INT64_MAX, INT64_MIN], rs: ["", "a", "é"],
  rby: [new Uint8Array(0), Uint8Array.of(1)], rc: [0, 1, 2, 7], rin: [{ s: "", n: 0n }, { s: "x", n: -5n }],
  rd: [0, -0, Infinity, -Infinity, Number.MAX_VALUE], rb: [true, false], mss: { a: "1", b: "", "": "e" },
  mim: { "1": { s: "one", n: 1n }, "7": { s: "", n: 0n } }, oi: 0, os: "",
  ru64: [UINT64_MAX, 0n], rf: [Math.fround(0.1), -2],
});

/**
 * The same message as protobufjs wants it: 64-bit as decimal strings, and zero-valued fields of
 * sub-messages left out (protobufjs writes every own property, even zero, which protoc and Go do not).
 */
function toOracleObject(message: All): Record<string, unknown> {
  const big = (v: bigint) => v.toString();
  const inner = (x: Inner) => ({ ...(x.s !== "" ? { s: x.s } : {}), ...(x.n !== 0n ? { n: big(x.n) } : {}) });
  const m = message as unknown as Record<string, unknown>;
  return {
    ...m,
    i64: big(message.i64), u64: big(message.u64), ri64: message.ri64.map(big), ru64: message.ru64.map(big),
    inner: message.inner && inner(message.inner),
    rin: message.rin.map(inner),
    // protobufjs writes map entries in object key order; give it Go's sorted order.
    mss: Object.fromEntries(Object.entries(message.mss).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    mim: Object.fromEntries(Object.entries(message.mim).map(([k, v]) => [k, inner(v)])),
  };
}

test("binary encoding equals protobufjs' for every scalar, limits, repeated (packed), maps and optional", () => {
  const mine = All.encode(full);
  const oracle = OracleAll.encode(OracleAll.fromObject(toOracleObject(full))).finish();
  assert.equal(hex(mine), hex(oracle));
});

test("decoding returns the same values, 64-bit exact", () => {
  const decoded = All.decode(All.encode(full));
  assert.deepEqual(decoded, full);
  assert.ok(Object.is(decoded.rd[1], -0));
  // And protobufjs' bytes decode to it too.
  assert.deepEqual(All.decode(OracleAll.encode(OracleAll.fromObject(toOracleObject(full))).finish()), full);
});

test("zero values of implicit-presence fields are omitted; optional ones are written", () => {
  assert.equal(All.encode(All.create()).length, 0);
  assert.equal(hex(All.encode(All.create({ oi: 0 }))), "c00100");
  assert.equal(hex(All.encode(All.create({ os: "" }))), "ca0100");
  const decoded = All.decode(new Uint8Array(0));
  assert.equal(decoded.oi, undefined);
  assert.equal(decoded.inner, undefined);
  assert.equal(All.decode(All.encode(All.create({ oi: 0 }))).oi, 0);
  // -0 is not the default: it is written, as Go does.
  assert.equal(hex(All.encode(All.create({ d: -0 }))), "390000000000000080");
  // A present but empty sub-message is written as an empty field.
  assert.equal(hex(All.encode(All.create({ inner: Inner.create() }))), "5a00");
});

test("map entries are sorted by key like Go's deterministic output, bool and negative keys included", () => {
  const message = All.create({ mim: { "7": { s: "", n: 0n }, "-3": { s: "neg", n: 1n } }, mbs: { true: "t", false: "f" } });
  // mim: key -3 (10-byte varint) before key 7; an empty value message is still written (12 00).
  // mbs: key false (08 00) before key true (08 01); protobufjs itself mis-encodes a "false" key as true.
  assert.equal(
    hex(All.encode(message)),
    "aa011408fdffffffffffffffff0112070a036e65671001" + "aa010408071200" + "ba01050800120166" + "ba01050801120174",
  );
  assert.deepEqual(All.decode(All.encode(message)).mbs, { false: "f", true: "t" });
  assert.deepEqual(All.decode(All.encode(message)).mim, message.mim);
});

test("unpacked repeated scalars and unknown fields are accepted", () => {
  const bytes = Uint8Array.from([0x60, 0x01, 0x60, 0x02]); // field 12 twice, unpacked
  assert.deepEqual(All.decode(bytes).ri32, [1, 2]);
  // Fields 99 (varint), 100 (bytes), 101 (fixed32), 102 (fixed64) are unknown to All.
  const unknown = Uint8Array.from([0x98, 0x06, 0x05, 0xa2, 0x06, 0x01, 0x41, 0xad, 0x06, 1, 2, 3, 4, 0xb1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x42, 0x01, 0x2a]);
  assert.equal(All.decode(unknown).s, "*");
});

test("recursive messages round-trip and match protobufjs", () => {
  const tree: Tree = { name: "root", children: [{ name: "a", children: [{ name: "a1", children: [] }] }, { name: "b", children: [] }] };
  const bytes = Tree.encode(tree);
  assert.equal(hex(bytes), hex(OracleTree.encode(OracleTree.fromObject(tree)).finish()));
  assert.deepEqual(Tree.decode(bytes), tree);
});

test("malformed bytes are a BadArgumentError naming the type", () => {
  const good = All.encode(full);
  for (const bad of [
    good.subarray(0, good.length - 3),
    Uint8Array.from([0x42, 0x05, 0x61]), // string field longer than the buffer
    Uint8Array.from([0x0f]), // wire type 7
    Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 11-byte varint
    Uint8Array.from([0x5a, 0x03, 0x0a, 0x05, 0x61]), // sub-message content overruns its length
  ]) {
    assert.throws(() => All.decode(bad), (error: unknown) => error instanceof BadArgumentError && /^t\.All: malformed protobuf/.test(error.message), hex(bad));
  }
});

test("encoding validates JS types and names the field path", () => {
  const check = (patch: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(() => All.encode({ ...full, ...patch } as All), (e: unknown) => e instanceof BadArgumentError && pattern.test(e.message));
  check({ i32: 2 ** 31 }, /^t\.All\.i32: expected an integer in int32 range, got number 2147483648$/);
  check({ i64: 5 }, /^t\.All\.i64: expected a bigint in int64 range/);
  check({ u64: -1n }, /^t\.All\.u64: expected a bigint in uint64 range/);
  check({ s: 5 }, /^t\.All\.s: expected a string/);
  check({ rs: ["a", 3] }, /^t\.All\.rs\[1\]: expected a string/);
  check({ inner: { s: 1, n: 0n } }, /^t\.All\.inner\.s: expected a string/);
  check({ mim: { x: { s: "", n: 0n } } }, /^t\.All\.mim\["x"\]: expected an integer map key/);
});

test("JSON mapping: int64 as strings, bytes base64, enums by name, defaults omitted", () => {
  const json = All.toJson(full);
  assert.equal(json.i64, "-9223372036854775808");
  assert.equal(json.u64, "18446744073709551615");
  assert.equal(json.by, "AP+A");
  assert.equal(json.c, "BLUE");
  assert.deepEqual(json.rc, ["RED", "GREEN", "BLUE", 7]);
  assert.deepEqual(json.rd, [0, -0, "Infinity", "-Infinity", Number.MAX_VALUE]);
  assert.deepEqual(json.inner, { s: "in", n: "9223372036854775807" });
  assert.equal(json.oi, 0);
  assert.deepEqual(All.toJson(All.create()), {});
  // protobufjs' own JSON view agrees on the value forms.
  const oracle = OracleAll.toObject(OracleAll.decode(All.encode(full)), { longs: String, enums: String, bytes: String });
  assert.equal(oracle.i64, json.i64);
  assert.equal(oracle.by, json.by);
  assert.equal(oracle.c, json.c);
});

test("JSON round-trips through JSON text, and fromJson accepts the protobuf JSON alternatives", () => {
  const text = JSON.stringify(All.toJson(full));
  assert.deepEqual(All.fromJson(JSON.parse(text)), { ...full, rd: full.rd.map((x) => (Object.is(x, -0) ? 0 : x)) });
  const lenient = All.fromJson({ i32: "12", i64: 7, u64: "18446744073709551615", f: "NaN", c: 1, by: "AP-A", s: null });
  assert.equal(lenient.i32, 12);
  assert.equal(lenient.i64, 7n);
  assert.equal(lenient.u64, UINT64_MAX);
  assert.ok(Number.isNaN(lenient.f));
  assert.equal(lenient.c, 1);
  assert.deepEqual(lenient.by, Uint8Array.of(0, 255, 128));
  assert.equal(lenient.s, "");
  // Unknown keys are refused as protobuf JSON parsers refuse them, nested ones with their path.
  assert.throws(() => All.fromJson({ I32: 1 }), /^BadArgumentError: t\.All: unknown field "I32" \(did you mean "i32"\?\); known: b, i32,/);
  assert.throws(() => All.fromJson({ inner: { s: "x", extra: 1 } }), /t\.All\.inner: unknown field "extra"/);
});

test("fromJson rejects wrong types with the field path", () => {
  const check = (json: unknown, pattern: RegExp) =>
    assert.throws(() => All.fromJson(json), (e: unknown) => e instanceof BadArgumentError && pattern.test(e.message), String(pattern));
  check([], /^t\.All: expected an object, got array$/);
  check({ b: "true" }, /^t\.All\.b: expected a boolean/);
  check({ i32: 1.5 }, /^t\.All\.i32: expected an integer in int32 range/);
  check({ u32: -1 }, /^t\.All\.u32: expected an integer in uint32 range/);
  check({ i64: "1e3" }, /^t\.All\.i64: expected an integer/);
  check({ i64: 2 ** 60 }, /^t\.All\.i64: expected an integer/);
  check({ c: "PURPLE" }, /^t\.All\.c: expected a value of enum t\.Color \(RED, GREEN, BLUE\)/);
  check({ inner: { n: true } }, /^t\.All\.inner\.n: expected an integer/);
  check({ rin: [{}, { s: 3 }] }, /^t\.All\.rin\[1\]\.s: expected a string/);
  check({ mss: { k: 1 } }, /^t\.All\.mss\["k"\]: expected a string/);
  check({ mim: { x: {} } }, /^t\.All\.mim\["x"\]: expected an integer map key/);
  check({ by: "!!" }, /^t\.All\.by: expected a base64 string/);
  check({ rs: "a" }, /^t\.All\.rs: expected an array/);
});

test("create fills zero values; clone is deep", () => {
  const created = All.create({ s: "x" });
  assert.equal(created.s, "x");
  assert.equal(created.i64, 0n);
  assert.deepEqual(created.by, new Uint8Array(0));
  assert.deepEqual(created.ri32, []);
  assert.deepEqual(created.mss, {});
  assert.equal("inner" in created, false);
  const copy = All.clone(full);
  assert.deepEqual(copy, full);
  copy.by[0] = 9;
  copy.inner!.s = "changed";
  copy.rin[1].s = "changed";
  copy.mim["7"].s = "changed";
  copy.ri32.push(1);
  assert.equal(full.by[0], 0);
  assert.equal(full.inner!.s, "in");
  assert.equal(full.rin[1].s, "x");
  assert.equal(full.mim["7"].s, "");
  assert.equal(full.ri32.length, 6);
});

test("codec and jsonCodec carry mqant tags", () => {
  assert.equal(All.codec.tag, "proto@t.All");
  const bytes = All.codec.encode(full);
  assert.deepEqual(All.codec.decode(bytes, "proto@*t.All"), full);
  assert.deepEqual(All.codec.decode(bytes, "marshal@whatever"), full);
  assert.deepEqual(All.codec.decode(new Uint8Array(0), "null"), All.create());
  assert.throws(() => All.codec.decode(bytes, "string"), BadArgumentError);
  assert.equal(All.jsonCodec.tag, "map");
  const json = Inner.jsonCodec.encode(Inner.create({ s: "<x>", n: 5n }));
  assert.equal(new TextDecoder().decode(json), '{"n":"5","s":"\\u003cx\\u003e"}');
  assert.deepEqual(Inner.jsonCodec.decode(new TextEncoder().encode('{"s":"a","n":"9"}'), "map"), { s: "a", n: 9n });
  assert.deepEqual(Inner.jsonCodec.decode(new TextEncoder().encode('{"s":"a"}'), "bytes"), { s: "a", n: 0n });
  assert.throws(() => Inner.jsonCodec.decode(new TextEncoder().encode("{"), "map"), BadArgumentError);
});

test("defineEnum keeps the values and is frozen", () => {
  assert.equal(Color.typeName, "t.Color");
  assert.equal(Color.values.BLUE, 2);
  assert.ok(Object.isFrozen(Color.values));
});
