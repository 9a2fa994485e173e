import { test } from "node:test";
import assert from "node:assert/strict";
import {
  boolCodec,
  bytesCodec,
  decodeBase64,
  doubleCodec,
  encodeBase64,
  floatCodec,
  goJsonStringify,
  int32Codec,
  int64Codec,
  mapCodec,
  mapstrCodec,
  stringCodec,
  uint32Codec,
  uint64Codec,
  voidCodec,
} from "../../runtime/internal.js";
import { BadArgumentError } from "../../runtime/internal.js";
import type { ValueCodec } from "../../runtime/internal.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));
const utf8 = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function roundTrip<T>(codec: ValueCodec<T>, value: T): T {
  return codec.decode(codec.encode(value), codec.tag);
}

function throwsBadArgument(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof BadArgumentError && pattern.test(error.message));
}

test("tags are mqant's", () => {
  assert.deepEqual(
    [stringCodec, boolCodec, int32Codec, int64Codec, uint32Codec, uint64Codec, floatCodec, doubleCodec, bytesCodec, mapCodec, mapstrCodec, voidCodec].map((c) => c.tag),
    ["string", "bool", "int", "long", "long", "long", "float", "double", "bytes", "map", "mapstr", "null"],
  );
});

test("int32 is 4 bytes big-endian, limits included, and rejects non-int32 numbers", () => {
  assert.equal(hex(int32Codec.encode(16909060)), "01020304");
  assert.equal(hex(int32Codec.encode(-2)), "fffffffe");
  assert.equal(hex(int32Codec.encode(-0x80000000)), "80000000");
  assert.equal(hex(int32Codec.encode(0x7fffffff)), "7fffffff");
  assert.equal(roundTrip(int32Codec, -0x80000000), -0x80000000);
  assert.equal(roundTrip(int32Codec, 0x7fffffff), 0x7fffffff);
  throwsBadArgument(() => int32Codec.encode(0x80000000), /int32 range, got 2147483648/);
  throwsBadArgument(() => int32Codec.encode(1.5), /int32 range/);
  throwsBadArgument(() => int32Codec.encode(NaN), /int32 range/);
  throwsBadArgument(() => int32Codec.decode(fromHex("010203"), "int"), /expected 4 bytes, got 3/);
});

test("int64 is 8 bytes big-endian bigint with exact limits", () => {
  const min = -(1n << 63n);
  const max = (1n << 63n) - 1n;
  assert.equal(hex(int64Codec.encode(72623859790382856n)), "0102030405060708");
  assert.equal(hex(int64Codec.encode(min)), "8000000000000000");
  assert.equal(hex(int64Codec.encode(max)), "7fffffffffffffff");
  assert.equal(roundTrip(int64Codec, min), min);
  assert.equal(roundTrip(int64Codec, max), max);
  assert.equal(int64Codec.decode(fromHex("fffffffffffffffe"), "long"), -2n);
  throwsBadArgument(() => int64Codec.encode(max + 1n), /int64 range/);
  throwsBadArgument(() => int64Codec.encode(5 as unknown as bigint), /expected a bigint/);
  throwsBadArgument(() => int64Codec.decode(fromHex("01"), "long"), /expected 8 bytes, got 1/);
});

test("unsigned values travel as long", () => {
  assert.equal(hex(uint32Codec.encode(0xffffffff)), "00000000ffffffff");
  assert.equal(roundTrip(uint32Codec, 0xffffffff), 0xffffffff);
  assert.equal(roundTrip(uint32Codec, 0), 0);
  throwsBadArgument(() => uint32Codec.encode(-1), /0\.\.4294967295/);
  throwsBadArgument(() => uint32Codec.decode(fromHex("ffffffffffffffff"), "long"), /out of range/);
  const max = (1n << 64n) - 1n;
  // Two's complement: the same bits as int64 -1.
  assert.equal(hex(uint64Codec.encode(max)), hex(int64Codec.encode(-1n)));
  assert.equal(roundTrip(uint64Codec, max), max);
  assert.equal(uint64Codec.decode(int64Codec.encode(-2n), "long"), max - 1n);
  throwsBadArgument(() => uint64Codec.encode(-1n), /0\.\.2\^64-1/);
});

test("float and double are little-endian IEEE 754 and keep -0, NaN and infinities", () => {
  assert.equal(hex(floatCodec.encode(1.5)), "0000c03f");
  assert.equal(hex(doubleCodec.encode(3.141592653589793)), "182d4454fb210940");
  assert.equal(hex(doubleCodec.encode(-0.5)), "000000000000e0bf");
  for (const codec of [floatCodec, doubleCodec]) {
    assert.ok(Object.is(roundTrip(codec, -0), -0));
    assert.ok(Number.isNaN(roundTrip(codec, NaN)));
    assert.equal(roundTrip(codec, Infinity), Infinity);
    assert.equal(roundTrip(codec, -Infinity), -Infinity);
  }
  assert.equal(roundTrip(floatCodec, 0.1), Math.fround(0.1));
  assert.equal(roundTrip(doubleCodec, Number.MIN_VALUE), Number.MIN_VALUE);
  assert.equal(roundTrip(doubleCodec, Number.MAX_VALUE), Number.MAX_VALUE);
  throwsBadArgument(() => floatCodec.decode(fromHex("0000c03f00"), "float"), /expected 4 bytes, got 5/);
  throwsBadArgument(() => doubleCodec.decode(fromHex("0000c03f"), "double"), /expected 8 bytes, got 4/);
});

test("bool is one byte; any non-zero byte is true as in Go", () => {
  assert.equal(hex(boolCodec.encode(true)), "01");
  assert.equal(hex(boolCodec.encode(false)), "00");
  assert.equal(boolCodec.decode(fromHex("02"), "bool"), true);
  throwsBadArgument(() => boolCodec.decode(fromHex("0101"), "bool"), /expected 1 bytes, got 2/);
  throwsBadArgument(() => boolCodec.decode(new Uint8Array(0), "bool"), /expected 1 bytes, got 0/);
});

test("strings are raw UTF-8, non-ASCII and empty included", () => {
  assert.equal(hex(stringCodec.encode("你好")), "e4bda0e5a5bd");
  assert.equal(roundTrip(stringCodec, "😀 é"), "😀 é");
  assert.equal(stringCodec.encode("").length, 0);
  assert.equal(roundTrip(stringCodec, ""), "");
});

test("bytes decode to a copy that does not alias the network buffer", () => {
  const wire = fromHex("0001feff");
  const decoded = bytesCodec.decode(wire, "bytes");
  wire[0] = 9;
  assert.equal(hex(decoded), "0001feff");
  assert.equal(Object.getPrototypeOf(decoded), Uint8Array.prototype);
  assert.equal(roundTrip(bytesCodec, new Uint8Array(0)).length, 0);
  const original = Uint8Array.of(1, 2);
  const copy = bytesCodec.clone(original);
  copy[0] = 7;
  assert.equal(original[0], 1);
});

test("every codec decodes the null tag to its zero value", () => {
  const empty = new Uint8Array(0);
  assert.equal(stringCodec.decode(empty, "null"), "");
  assert.equal(boolCodec.decode(empty, "null"), false);
  assert.equal(int32Codec.decode(empty, "null"), 0);
  assert.equal(int64Codec.decode(empty, "null"), 0n);
  assert.equal(uint32Codec.decode(empty, "null"), 0);
  assert.equal(uint64Codec.decode(empty, "null"), 0n);
  assert.equal(floatCodec.decode(empty, "null"), 0);
  assert.equal(doubleCodec.decode(empty, "null"), 0);
  assert.deepEqual(bytesCodec.decode(empty, "null"), new Uint8Array(0));
  assert.deepEqual(mapCodec.decode(empty, "null"), {});
  assert.deepEqual(mapstrCodec.decode(empty, "null"), {});
  assert.equal(voidCodec.decode(empty, "null"), undefined);
});

test("a wrong tag is a BadArgumentError naming both tags", () => {
  throwsBadArgument(() => int32Codec.decode(fromHex("0000000000000001"), "long"), /^int: cannot decode tag "long" \(expected "int" or "null"\)$/);
  throwsBadArgument(() => stringCodec.decode(fromHex("01"), "bool"), /cannot decode tag "bool"/);
  throwsBadArgument(() => voidCodec.decode(fromHex("01"), "string"), /cannot decode tag "string"/);
  throwsBadArgument(() => voidCodec.decode(fromHex("01"), "null"), /expected 0 bytes/);
});

test("map is Go encoding/json: sorted keys, no spaces, HTML-safe escapes, raw non-ASCII", () => {
  const captured = '{"a":1,"b":"two","c":[1,2],"d":{"e":true}}';
  assert.equal(utf8(mapCodec.encode({ d: { e: true }, c: [1, 2], b: "two", a: 1 })), captured);
  assert.deepEqual(mapCodec.decode(new TextEncoder().encode(captured), "map"), { a: 1, b: "two", c: [1, 2], d: { e: true } });
  assert.equal(goJsonStringify({ html: "<a href='x'>&</a>" }), '{"html":"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e"}');
  assert.equal(goJsonStringify({ s: "é你\u007f" }), '{"s":"é你\u007f"}');
  assert.equal(goJsonStringify("\b\f\n\r\t\u0001\"\\"), '"\\u0008\\u000c\\n\\r\\t\\u0001\\"\\\\"');
  assert.equal(goJsonStringify("\u2028\u2029"), '"\\u2028\\u2029"');
  assert.equal(goJsonStringify("a\ud800b"), '"a\\ufffdb"', "a lone surrogate is invalid UTF-8 to Go");
  assert.equal(goJsonStringify("😀"), '"😀"');
  // Go sorts keys by UTF-8 bytes: U+1F600 (f0 9f …) sorts after U+FF61 (ef bd a1), unlike UTF-16 order.
  assert.equal(goJsonStringify({ "😀": 1, "｡": 2, Z: 3, a: 4 }), '{"Z":3,"a":4,"｡":2,"😀":1}');
  assert.equal(goJsonStringify({ n: [-0, 1e21, 1e-7, 123456789012, 0.1, 9007199254740993n] }), '{"n":[-0,1e+21,1e-7,123456789012,0.1,9007199254740993]}');
  assert.equal(goJsonStringify({ skip: undefined, arr: [undefined], nul: null }), '{"arr":[null],"nul":null}');
  assert.equal(goJsonStringify({ b: Uint8Array.of(0, 1, 254, 255) }), '{"b":"AAH+/w=="}', "[]byte is base64 in Go JSON");
  assert.equal(goJsonStringify({ outer: { z: { y: 1, x: 2 }, a: [] } }), '{"outer":{"a":[],"z":{"x":2,"y":1}}}');
});

test("map rejects what Go's json.Marshal rejects", () => {
  throwsBadArgument(() => mapCodec.encode({ x: NaN }), /unsupported value: NaN at \$\.x/);
  throwsBadArgument(() => mapCodec.encode({ x: [Infinity] }), /unsupported value: \+?Inf at \$\.x\[0\]/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  throwsBadArgument(() => mapCodec.encode(cyclic), /cycle/);
  throwsBadArgument(() => mapCodec.encode([] as unknown as Record<string, unknown>), /expected an object, got array/);
  throwsBadArgument(() => mapCodec.decode(new TextEncoder().encode("{"), "map"), /invalid JSON/);
  throwsBadArgument(() => mapCodec.decode(new TextEncoder().encode("[1]"), "map"), /expected a JSON object, got array/);
  throwsBadArgument(() => mapCodec.decode(new Uint8Array(0), "map"), /invalid JSON/);
  assert.deepEqual(mapCodec.decode(new TextEncoder().encode("null"), "map"), {});
});

test("mapstr only carries strings", () => {
  assert.equal(utf8(mapstrCodec.encode({ k: "v" })), '{"k":"v"}');
  assert.deepEqual(mapstrCodec.decode(new TextEncoder().encode('{"x":"y","got":"v"}'), "mapstr"), { x: "y", got: "v" });
  throwsBadArgument(() => mapstrCodec.encode({ k: 1 } as unknown as Record<string, string>), /value of key "k" is number/);
  throwsBadArgument(() => mapstrCodec.decode(new TextEncoder().encode('{"k":1}'), "mapstr"), /value of key "k" is number/);
});

test("map clone is deep", () => {
  const original = { a: { b: [1, { c: Uint8Array.of(1) }] } };
  const copy = mapCodec.clone(original) as typeof original;
  assert.deepEqual(copy, original);
  ((copy.a.b[1] as { c: Uint8Array }).c)[0] = 9;
  (copy.a.b as unknown[]).push(2);
  assert.equal((original.a.b[1] as { c: Uint8Array }).c[0], 1);
  assert.equal(original.a.b.length, 2);
});

test("base64 matches Node's encoder at every length and accepts the URL-safe alphabet", () => {
  for (let length = 0; length < 40; length++) {
    const bytes = new Uint8Array(length).map((_, i) => (i * 97 + length * 31) & 0xff);
    const expected = Buffer.from(bytes).toString("base64");
    assert.equal(encodeBase64(bytes), expected);
    assert.deepEqual(decodeBase64(expected), bytes);
    assert.deepEqual(decodeBase64(Buffer.from(bytes).toString("base64url")), bytes);
  }
  throwsBadArgument(() => decodeBase64("ab$d"), /invalid base64 character/);
  throwsBadArgument(() => decodeBase64("abcde"), /invalid base64/);
});

test("a codec's onWire shortcut gives exactly what encode then decode give, and refuses alike", () => {
  const codecs: ValueCodec<never>[] = [stringCodec, boolCodec, int32Codec, int64Codec, uint32Codec, uint64Codec, floatCodec, doubleCodec, bytesCodec, mapCodec, mapstrCodec, voidCodec] as ValueCodec<never>[];
  const withShortcut = codecs.filter((c) => c.onWire !== undefined);
  assert.ok(withShortcut.includes(stringCodec as ValueCodec<never>), "the string codec has the shortcut (the in-process hot path)");
  const samples: unknown[] = [
    "", "x", "hello world", "é", "日本語", "😀", "a😀b", "\ud800", "\udc00", "x\ud83dy", "\ude00\ud83d", "\ud83d\ude00\ud83d",
    "a".repeat(64), "a".repeat(65), `${"a".repeat(100)}\ud800`, "\u0000\u007f\u0080\uffff",
    1, 0, -1, 1.5, Number.NaN, true, false, null, undefined, 10n, {}, [], new Uint8Array([1, 2]),
  ];
  for (const codec of withShortcut) {
    for (const value of samples) {
      let expected: unknown;
      let expectedError: unknown;
      try {
        expected = codec.decode(codec.encode(value as never), codec.tag);
      } catch (err) {
        expectedError = err;
      }
      if (expectedError !== undefined) {
        assert.throws(() => codec.onWire!(value as never), (err: unknown) => {
          assert.ok(err instanceof BadArgumentError);
          assert.equal((err as Error).message, (expectedError as Error).message);
          return true;
        });
      } else {
        assert.deepEqual(codec.onWire!(value as never), expected, `${codec.tag} ${JSON.stringify(String(value))}`);
      }
    }
  }
});
