// Differential test (every scalar kind, sint/fixed/sfixed included): mqgen's generated codecs against @bufbuild/protobuf (protobuf-es, the runtime of
// protoc-gen-es' output) on the same .proto messages, compiled by the same buf. Binary and JSON must agree
// byte for byte on random messages, 64-bit extremes, NaN/±Infinity/−0, unicode (astral, combining, U+2028)
// and the empty message; each side must also decode the other's bytes to the same message.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { create, createFileRegistry, fromBinary, fromJson, toBinary, toJsonString } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { compileProtos } from "../../codegen/parse/buf.js";
import { generate } from "../../codegen/index.js";
import { readGenerated } from "../../codegen/cli/output.js";
import { All, Mood } from "../fixtures/codegen/differential.golden/diff.types.js";
import type { Inner } from "../fixtures/codegen/differential.golden/diff.types.js";

const FIXTURE = "test/fixtures/codegen/differential";

test("the differential fixture's generated code is its golden file", () => {
  const result = generate({ schemaDir: FIXTURE });
  assert.deepEqual(result.diagnostics, []);
  for (const [path, text] of readGenerated(`${FIXTURE}.golden`)) assert.equal(result.files.get(path), text, path);
});

function protobufEsSchema(): DescMessage {
  const compiled = compileProtos([{ rel: "diff.proto", text: readFileSync(join(FIXTURE, "diff.proto"), "utf8") }], join("proto"));
  assert.deepEqual(compiled.errors, []);
  const set = fromJson(FileDescriptorSetSchema, { file: compiled.files as never }, { ignoreUnknownFields: true });
  const registry = createFileRegistry(set);
  const schema = registry.getMessage("diff.All");
  assert.ok(schema);
  return schema;
}

/** A small deterministic PRNG (mulberry32), so a failure names a seed that reproduces it. */
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
const I64 = [0n, 1n, -1n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n, 4_294_967_296n, -(2n ** 53n) - 1n];
const U64 = [0n, 1n, 18_446_744_073_709_551_615n, 2n ** 53n + 1n, 2n ** 63n];
const I32 = [0, 1, -1, 2_147_483_647, -2_147_483_648, 300];
const U32 = [0, 1, 4_294_967_295, 2 ** 31];
const DOUBLES = [0, -0, 1.5, -2.25e-308, 1.7976931348623157e308, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, 0.1];
const FLOATS = [0, -0, 1.5, -3.4028234663852886e38, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.401298464324817e-45];
const MOODS = [Mood.MOOD_UNSPECIFIED, Mood.HAPPY, Mood.SAD, Mood.NEGATIVE];

function randomMessage(next: () => number): All {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const some = <T>(make: () => T, max = 4): T[] => Array.from({ length: Math.floor(next() * max) }, make);
  const maybe = (): boolean => next() < 0.5;
  const bytes = (): Uint8Array => Uint8Array.from(some(() => Math.floor(next() * 256), 6));
  const inner = (): Inner => ({ text: pick(STRINGS), count: pick(I64) });
  // Map keys in an order both sides write alike: protobuf-es writes insertion order, mqgen (like Go)
  // sorted keys; non-integer-like string keys inserted sorted, and ascending non-negative integers, agree.
  const sortedStrings = [...new Set(some(() => `k${pick(STRINGS)}`, 4))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const m: All = All.create({
    flag: maybe(),
    i32: pick(I32),
    i64: pick(I64),
    u32: pick(U32),
    u64: pick(U64),
    f: pick(FLOATS),
    d: pick(DOUBLES),
    s: pick(STRINGS),
    b: bytes(),
    mood: pick(MOODS),
    ri32: some(() => pick(I32)),
    ri64: some(() => pick(I64)),
    ru64: some(() => pick(U64)),
    rd: some(() => pick(DOUBLES)),
    rf: some(() => pick(FLOATS)),
    rflag: some(maybe),
    rs: some(() => pick(STRINGS)),
    rb: some(bytes),
    rmood: some(() => pick(MOODS)),
    rinner: some(inner),
    mss: Object.fromEntries(sortedStrings.map((k) => [k, pick(STRINGS)])),
    mil: Object.fromEntries([...new Set(some(() => Math.floor(next() * 1000)))].sort((x, y) => x - y).map((k) => [String(k), pick(I64)])),
    mui: Object.fromEntries([...new Set(some(() => Math.floor(next() * 1000)))].sort((x, y) => x - y).map((k) => [String(k), inner()])),
    mbm: maybe() ? { false: pick(MOODS), true: pick(MOODS) } : {},
    msb: Object.fromEntries(sortedStrings.map((k) => [k, bytes()])),
    mld: Object.fromEntries([...new Set(some(() => Math.floor(next() * 1000)))].sort((x, y) => x - y).map((k) => [String(k), pick(DOUBLES)])),
    s32: pick(I32),
    s64: pick(I64),
    x32: pick(U32),
    x64: pick(U64),
    sx32: pick(I32),
    sx64: pick(I64),
    rs32: some(() => pick(I32)),
    rs64: some(() => pick(I64)),
    rx64: some(() => pick(U64)),
    rsx32: some(() => pick(I32)),
    msi: Object.fromEntries([...new Set(some(() => Math.floor(next() * 1000)))].sort((x, y) => x - y).map((k) => [String(k), pick(STRINGS)])),
    mxx: Object.fromEntries([...new Set(some(() => Math.floor(next() * 1000)))].sort((x, y) => x - y).map((k) => [String(k), pick(I64)])),
    big: maybe() ? 0 : pick(U32),
  });
  if (maybe()) m.os64 = pick(I64);
  const choices: All["choice"][] = [
    { case: undefined },
    { case: "cs", value: pick(STRINGS) },
    { case: "ci64", value: pick(I64) },
    { case: "cinner", value: inner() },
    { case: "cmood", value: pick(MOODS) },
    { case: "cb", value: bytes() },
  ];
  m.choice = pick(choices);
  if (maybe()) m.inner = inner();
  if (maybe()) m.oi32 = pick(I32);
  if (maybe()) m.os = pick(STRINGS);
  if (maybe()) m.od = pick(DOUBLES);
  if (maybe()) m.omood = pick(MOODS);
  return m;
}

/** mqgen's message is already a valid protobuf-es init (same field names, bigint 64-bit, Uint8Array bytes). */
function esInit(m: All): Record<string, unknown> {
  return { ...m };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

test("binary and JSON agree byte for byte with protobuf-es on 400 random messages and the empty one", () => {
  const schema = protobufEsSchema();
  const cases: { label: string; message: All }[] = [{ label: "empty", message: All.create() }];
  for (let seed = 1; seed <= 400; seed++) cases.push({ label: `seed ${seed}`, message: randomMessage(rng(seed)) });
  for (const { label, message } of cases) {
    const es = create(schema, esInit(message) as never);
    const ours = All.encode(message);
    const theirs = toBinary(schema, es);
    assert.equal(hex(ours), hex(theirs), `binary differs (${label})`);
    assert.equal(JSON.stringify(All.toJson(message)), toJsonString(schema, es, { useProtoFieldName: true }), `JSON differs (${label})`);
    // Each side reads the other's bytes and JSON back to the same message.
    assert.equal(hex(toBinary(schema, fromBinary(schema, ours))), hex(theirs), `protobuf-es reads mqgen's bytes (${label})`);
    assert.equal(hex(All.encode(All.decode(theirs))), hex(ours), `mqgen reads protobuf-es' bytes (${label})`);
    // JSON numbers cannot carry −0, so the JSON round trip is compared side by side, not with the original.
    const theirJson = JSON.parse(toJsonString(schema, es, { useProtoFieldName: true })) as never;
    assert.equal(hex(All.encode(All.fromJson(theirJson))), hex(toBinary(schema, fromJson(schema, theirJson))), `both read the JSON alike (${label})`);
  }
});

test("maps in any insertion order decode to the same entries on both sides", () => {
  const schema = protobufEsSchema();
  const message = All.create({ mil: { "-5": 1n, "7": 2n, "-1": 3n, "0": 4n }, mss: { "10": "a", "9": "b", z: "c", a: "d" } });
  const ours = All.encode(message);
  const back = fromBinary(schema, ours) as unknown as All;
  assert.deepEqual({ ...back.mil }, { ...message.mil });
  assert.deepEqual({ ...back.mss }, { ...message.mss });
  const theirs = All.decode(toBinary(schema, create(schema, esInit(message) as never)));
  assert.deepEqual(theirs.mil, message.mil);
  assert.deepEqual(theirs.mss, message.mss);
});
