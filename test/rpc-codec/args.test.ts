import { test } from "node:test";
import assert from "node:assert/strict";
import {
  EncodedArg,
  EncodedMessage,
  Float32,
  Float64,
  Int32,
  Int64,
  MapStr,
  Marshal,
  Proto,
  Typed,
  decodeArg,
  decodeArgs,
  encodeArg,
  encodeArgs,
} from "../../runtime/internal.js";
import { TraceSpan } from "../../runtime/internal.js";
import { uint64Codec } from "../../runtime/internal.js";
import type { ArgSerializer } from "../../runtime/internal.js";
import { BadArgumentError } from "../../runtime/internal.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const tagOf = (value: unknown): string => encodeArg(value).tag;

test("JS values pick mqant's tags", () => {
  assert.equal(tagOf(null), "null");
  assert.equal(tagOf(undefined), "null");
  assert.equal(tagOf("s"), "string");
  assert.equal(tagOf(true), "bool");
  assert.equal(tagOf(5n), "long");
  assert.equal(tagOf(Uint8Array.of(1)), "bytes");
  assert.equal(tagOf({ a: 1 }), "map");
  assert.equal(tagOf(Object.create(null)), "map");
  assert.equal(tagOf(new Map([["a", 1]])), "map");
  assert.equal(tagOf(new TraceSpan("0123456789abcdef", "fedcba9876543210")), "trace");
  assert.equal(encodeArg(null).bytes.length, 0);
});

test("numbers: integers within int32 are int, everything else double", () => {
  assert.equal(tagOf(0), "int");
  assert.equal(tagOf(-0x80000000), "int");
  assert.equal(tagOf(0x7fffffff), "int");
  assert.equal(tagOf(0x80000000), "double");
  assert.equal(tagOf(-0x80000001), "double");
  assert.equal(tagOf(1.5), "double");
  assert.equal(tagOf(NaN), "double");
  assert.equal(tagOf(Infinity), "double");
  assert.equal(tagOf(-0), "double", "-0 keeps its sign as a double");
  assert.ok(Object.is(decodeArg("double", encodeArg(-0).bytes), -0));
  assert.equal(hex(encodeArg(16909060).bytes), "01020304");
});

test("wrappers choose the tags JS types cannot", () => {
  assert.deepEqual([Int32(7).tag, hex(Int32(7).bytes)], ["int", "00000007"]);
  assert.deepEqual([Int64(2500).tag, hex(Int64(2500).bytes)], ["long", "00000000000009c4"]);
  assert.equal(hex(Int64(-1n).bytes), "ffffffffffffffff");
  assert.deepEqual([Float32(1.5).tag, hex(Float32(1.5).bytes)], ["float", "0000c03f"]);
  assert.deepEqual([Float64(1).tag, hex(Float64(1).bytes)], ["double", "000000000000f03f"]);
  assert.deepEqual([MapStr({ k: "v" }).tag, new TextDecoder().decode(MapStr({ k: "v" }).bytes)], ["mapstr", '{"k":"v"}']);
  assert.equal(Proto("*rpcpb.ResultInfo", Uint8Array.of(1)).tag, "proto@*rpcpb.ResultInfo");
  assert.equal(Marshal("mytype", Uint8Array.of(1)).tag, "marshal@mytype");
  assert.deepEqual([Typed(uint64Codec, (1n << 64n) - 1n).tag, hex(Typed(uint64Codec, (1n << 64n) - 1n).bytes)], ["long", "ffffffffffffffff"]);
  assert.throws(() => Int32(2 ** 31), BadArgumentError);
  assert.throws(() => Int64(2 ** 60), BadArgumentError);
  const pre = new EncodedArg("custom", Uint8Array.of(9));
  assert.equal(encodeArg(pre), pre);
});

test("decoding goes by tag", () => {
  const enc = (v: unknown) => encodeArg(v);
  const round = (v: unknown) => {
    const e = enc(v);
    return decodeArg(e.tag, e.bytes);
  };
  assert.equal(round(null), null);
  assert.equal(round(undefined), null);
  assert.equal(round("你好"), "你好");
  assert.equal(round(false), false);
  assert.equal(round(-2), -2);
  assert.equal(round(-(1n << 63n)), -(1n << 63n));
  assert.equal(round(0.1), 0.1);
  assert.equal(decodeArg("float", Float32(0.1).bytes), Math.fround(0.1));
  assert.deepEqual(round(Uint8Array.of(0, 255)), Uint8Array.of(0, 255));
  assert.deepEqual(round({ nested: { list: [1, "two", null, { x: true }] } }), { nested: { list: [1, "two", null, { x: true }] } });
  assert.deepEqual(decodeArg("mapstr", MapStr({ a: "b" }).bytes), { a: "b" });
});

test("a trace argument arrives as the next span of the same trace (mqant ExtractSpan)", () => {
  const span = new TraceSpan("0123456789abcdef", "fedcba9876543210");
  const { tag, bytes } = encodeArg(span);
  assert.equal(new TextDecoder().decode(bytes), '{"Trace":"0123456789abcdef","Span":"fedcba9876543210"}');
  const received = decodeArg(tag, bytes);
  assert.ok(received instanceof TraceSpan);
  assert.equal(received.Trace, span.Trace);
  assert.match(received.Span, /^[0-9a-f]{16}$/);
  assert.notEqual(received.Span, span.Span);
});

test("proto@ and marshal@ arguments decode to their bytes and type name, and re-encode unchanged", () => {
  const decoded = decodeArg("proto@*rpcpb.ResultInfo", Uint8Array.of(0x0a, 0x01, 0x78));
  assert.ok(decoded instanceof EncodedMessage);
  assert.deepEqual([decoded.kind, decoded.typeName, hex(decoded.bytes)], ["proto", "*rpcpb.ResultInfo", "0a0178"]);
  assert.deepEqual(encodeArg(decoded), decoded);
  const marshalled = decodeArg("marshal@thing", Uint8Array.of(1));
  assert.ok(marshalled instanceof EncodedMessage);
  assert.equal(marshalled.kind, "marshal");
  assert.equal(marshalled.tag, "marshal@thing");
});

test("unsupported values fail with mqant's Args2Bytes text and position", () => {
  assert.throws(
    () => encodeArgs(["ok", [1, 2]]),
    (e: unknown) =>
      e instanceof BadArgumentError &&
      e.message === "args[1] error Args2Bytes [array] not registered to app.addrpcserialize(...) structure type or not *mqrpc.marshaler pointer type",
  );
  class Point {
    x = 1;
  }
  assert.throws(() => encodeArgs([new Point()]), /^BadArgumentError: args\[0\] error Args2Bytes \[Point\] not registered/);
  assert.throws(() => encodeArgs([Symbol("s")]), /Args2Bytes \[symbol\]/);
  assert.throws(() => encodeArgs([{ bad: NaN }]), /^BadArgumentError: args\[0\] error json: unsupported value: NaN/);
});

test("unknown tags fail with mqant's Bytes2Args text", () => {
  assert.throws(
    () => decodeArg("SESSION", Uint8Array.of(1)),
    (e: unknown) => e instanceof BadArgumentError && e.message === "Bytes2Args [SESSION] not registered to app.addrpcserialize(...) structure type",
  );
  assert.throws(() => decodeArgs(["string"], []), BadArgumentError);
});

test("serializers are tried first, for encoding and decoding", () => {
  class Custom {
    constructor(readonly n: number) {}
  }
  const serializer: ArgSerializer = {
    name: "custom",
    tags: ["CUSTOM", "string"],
    serialize: (value) => (value instanceof Custom ? { tag: "CUSTOM", bytes: Uint8Array.of(value.n) } : undefined),
    deserialize: (tag, bytes) => (tag === "CUSTOM" ? new Custom(bytes[0]) : `custom:${new TextDecoder().decode(bytes)}`),
  };
  const encoded = encodeArgs([new Custom(7), "plain"], [serializer]);
  assert.deepEqual(encoded.argsType, ["CUSTOM", "string"]);
  const decoded = decodeArgs(encoded.argsType, encoded.args, [serializer]);
  assert.ok(decoded[0] instanceof Custom && decoded[0].n === 7);
  assert.equal(decoded[1], "custom:plain", "a serializer claiming a built-in tag wins");
});
