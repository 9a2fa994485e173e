// Conformance: the gate session as Go mqant v1.5.3 sends it in RPCs (captured vectors, session.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import {
  createSessionData,
  decodeSessionData,
  encodeRoutedSession,
  encodeSessionData,
  type SessionData,
} from "../../runtime/internal.js";
import { parseTraceSpan, encodeTraceSpan, TraceSpan } from "../../runtime/internal.js";
import { BadArgumentError } from "../../runtime/internal.js";

const vectors = JSON.parse(
  readFileSync(fileURLToPath(new URL("../fixtures/mqant-vectors/session.json", import.meta.url)), "utf8"),
) as {
  proto: string;
  examples: { id: string; tag: string; bytes_hex: string; bytes_b64: string; decoded: Record<string, unknown> }[];
  trace_arg_example: { tag: string; bytes_hex: string; json: string };
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

const GO_NAMES: Record<string, keyof SessionData> = {
  IP: "ip",
  Network: "network",
  UserId: "userId",
  SessionId: "sessionId",
  ServerId: "serverId",
  TraceId: "traceId",
  SpanId: "spanId",
  Settings: "settings",
  Carrier: "carrier",
  Topic: "topic",
};

// An independent oracle: protobufjs compiling mqant's own message definition.
const root = protobuf.parse(`syntax = "proto3"; package basegate; ${vectors.proto}`, { keepCase: true }).root;
root.resolveAll();
const SessionImp = root.lookupType("basegate.sessionImp");

test("session.json holds the four captured sessions", () => {
  assert.deepEqual(
    vectors.examples.map((example) => example.id),
    ["tcp-guest", "tcp-bound", "ws-guest-with-settings", "bind-result"],
  );
});

for (const example of vectors.examples) {
  test(`session ${example.id} decodes and re-encodes byte for byte`, () => {
    assert.equal(example.tag, "SESSION");
    const bytes = fromHex(example.bytes_hex);
    assert.equal(Buffer.from(bytes).toString("base64"), example.bytes_b64);
    const data = decodeSessionData(bytes);
    const expected = createSessionData();
    for (const [goName, value] of Object.entries(example.decoded)) {
      (expected as unknown as Record<string, unknown>)[GO_NAMES[goName]] = value;
    }
    assert.deepEqual(data, expected);
    assert.equal(hex(encodeSessionData(data)), example.bytes_hex);
    // The same bytes protobufjs writes for mqant's sessionImp.
    const oracle = SessionImp.encode(SessionImp.fromObject(example.decoded)).finish();
    assert.equal(hex(encodeSessionData(data)), hex(oracle));
    // The gate's per-request encoding (parts kept between requests) writes the same bytes.
    const { spanId, topic } = data;
    const gateSide = { ...data, spanId: "other span", topic: "other/topic" };
    assert.equal(hex(encodeRoutedSession(gateSide, spanId, topic)), example.bytes_hex);
    assert.equal(hex(encodeRoutedSession(gateSide, spanId, topic)), example.bytes_hex, "and again from the kept parts");
  });
}

test("the gate's per-request session bytes follow every change to the session, whatever changed it", () => {
  const session = createSessionData({ ip: "10.0.0.1:5000", network: "tcp", sessionId: "s1", serverId: "Gate@1", traceId: "t1", settings: { b: "2", a: "1" } });
  const check = (spanId: string, topic: string): void =>
    assert.equal(hex(encodeRoutedSession(session, spanId, topic)), hex(encodeSessionData({ ...session, spanId, topic })));
  check("span1", "helloworld/HD_say/1");
  check("", "");
  session.userId = "u1";
  check("span2", "helloworld/HD_say/2");
  session.settings["c"] = "3";
  check("span3", "room/HD_join/1");
  session.settings["a"] = "changed";
  check("span4", "x/HD_y");
  delete session.settings["b"];
  check("span5", "x/HD_y");
  session.carrier["k"] = "v";
  check("span6", "ü/HD_ä/7");
  session.settings = {};
  check("span7", "x/HD_y");
});

test("session settings are written in sorted key order with key and value always present", () => {
  const data = createSessionData({ sessionId: "s", settings: { b: "2", a: "", "": "empty-key" } });
  const bytes = encodeSessionData(data);
  const decoded = SessionImp.toObject(SessionImp.decode(bytes)) as { Settings: Record<string, string> };
  assert.deepEqual(decoded.Settings, { "": "empty-key", a: "", b: "2" });
  // Entries in order "", "a", "b"; the entry ("a", "") still carries its empty value field (12 00).
  const text = hex(bytes);
  const emptyKeyEntry = text.indexOf("420d0a00120965");
  const entryA = text.indexOf("42050a01611200");
  const entryB = text.indexOf("42060a0162120132");
  assert.ok(emptyKeyEntry >= 0 && entryA > emptyKeyEntry && entryB > entryA, text);
  assert.deepEqual(Object.keys(decodeSessionData(bytes).settings), ["", "a", "b"]);
  assert.deepEqual(decodeSessionData(bytes), data);
});

test("session decoding skips unknown fields and rejects truncated bytes", () => {
  const known = encodeSessionData(createSessionData({ userId: "u1" }));
  const withUnknown = new Uint8Array([...known, 0x78, 0x05, 0xa2, 0x06, 0x01, 0x41]); // field 15 varint, field 100 bytes
  assert.equal(decodeSessionData(withUnknown).userId, "u1");
  assert.throws(() => decodeSessionData(known.subarray(0, known.length - 1)), BadArgumentError);
});

test("session settings key __proto__ stays an ordinary key", () => {
  const bytes = SessionImp.encode(SessionImp.fromObject({ Settings: { ["__proto__"]: "x" } })).finish();
  const data = decodeSessionData(bytes);
  assert.equal(Object.getPrototypeOf(data.settings), Object.prototype);
  assert.deepEqual(Object.keys(data.settings), ["__proto__"]);
});

test("the trace argument of session RPCs is mqant's TraceSpan JSON in struct field order", () => {
  const { bytes_hex: bytesHex, json, tag } = vectors.trace_arg_example;
  assert.equal(tag, "trace");
  const span = parseTraceSpan(fromHex(bytesHex));
  assert.equal(JSON.stringify(span), json);
  assert.equal(hex(encodeTraceSpan(new TraceSpan(span.Trace, span.Span))), bytesHex);
});
