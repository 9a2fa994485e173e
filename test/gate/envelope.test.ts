/**
 * The reply envelope and topic grammar, unit by unit: every result tag rendered as Go's encoding/json would
 * render the value mqant decoded from it, and mqant's split of `moduleType[@nodeId]/HD_handler[/msgId]`.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { envelope, parseTopic, resultToJson } from "../../runtime/internal.js";
import { doubleCodec, floatCodec, int32Codec, int64Codec, mapCodec, mapstrCodec, stringCodec } from "../../runtime/internal.js";

test("results render as Go's encoding/json renders mqant's decoded value", () => {
  assert.equal(resultToJson("null", new Uint8Array()), "null");
  assert.equal(resultToJson("string", stringCodec.encode("hi <b>&\u2028")), '"hi \\u003cb\\u003e\\u0026\\u2028"');
  assert.equal(resultToJson("bool", Uint8Array.of(1)), "true");
  assert.equal(resultToJson("int", int32Codec.encode(-5)), "-5");
  assert.equal(resultToJson("long", int64Codec.encode(9007199254740993n)), "9007199254740993");
  assert.equal(resultToJson("float", floatCodec.encode(3.14)), "3.14");
  assert.equal(resultToJson("double", doubleCodec.encode(0.1)), "0.1");
  assert.equal(resultToJson("bytes", Buffer.from("raw:raw-bytes")), '"cmF3OnJhdy1ieXRlcw=="');
  assert.equal(resultToJson("proto@*rpcpb.ResultInfo", Uint8Array.of(10, 1, 97)), '"CgFh"');
  assert.equal(resultToJson("map", mapCodec.encode({ b: 1, a: [true, null] })), '{"a":[true,null],"b":1}');
  assert.equal(resultToJson("map", Buffer.from('{"z":1,"a":"<"}')), '{"a":"\\u003c","z":1}');
  assert.equal(resultToJson("mapstr", mapstrCodec.encode({ k: "v" })), '{"k":"v"}');
  assert.equal(resultToJson("map", Buffer.from("not json")), '"bm90IGpzb24="', "undecodable JSON falls back to the raw bytes");
});

test("the envelope has Go's field order", () => {
  assert.equal(envelope("dd9de933e263cad0", "", '"hi"'), '{"Trace":"dd9de933e263cad0","Error":"","Result":"hi"}');
  assert.equal(envelope("t", "Service(type:x) not found", "null"), '{"Trace":"t","Error":"Service(type:x) not found","Result":null}');
});

test("topics split as mqant splits them", () => {
  assert.equal(parseTopic("helloworld"), undefined);
  assert.deepEqual(parseTopic("helloworld/HD_say"), { target: "helloworld", handler: "HD_say", msgId: "" });
  assert.deepEqual(parseTopic("helloworld/HD_say/1"), { target: "helloworld", handler: "HD_say", msgId: "1" });
  assert.deepEqual(parseTopic("helloworld/HD_say/7/extra"), { target: "helloworld", handler: "HD_say", msgId: "" });
  assert.deepEqual(parseTopic("helloworld@abc/HD_say/"), { target: "helloworld@abc", handler: "HD_say", msgId: "" });
  assert.deepEqual(parseTopic("/HD_say/1"), { target: "", handler: "HD_say", msgId: "1" });
  const deep = "m/HD_x/" + "a/".repeat(100_000);
  assert.deepEqual(parseTopic(deep), { target: "m", handler: "HD_x", msgId: "" });
});
