// Conformance: every RPC exchange a real Go mqant v1.5.3 put on NATS (captured vectors,
// test/fixtures/mqant-vectors/rpc-calls.jsonl) decodes to the expected handler and values, and
// re-encodes from those values to the captured bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ArgSerializer } from "../../runtime/internal.js";
import { decodeRPCInfo, decodeResultInfo, encodeRPCInfo, encodeResultInfo } from "../../runtime/internal.js";
import { EncodedMessage, Float32, MapStr, decodeArg, encodeArgs } from "../../runtime/internal.js";
import { TraceSpan } from "../../runtime/internal.js";
import { SESSION_TAG, decodeSessionData, encodeSessionData, type SessionData } from "../../runtime/internal.js";
import { defineMessage } from "../../runtime/internal.js";
import { isId16 } from "../../runtime/internal.js";

const vectorsDir = fileURLToPath(new URL("../fixtures/mqant-vectors/", import.meta.url));

interface ArgVector {
  type: string;
  bytes_hex: string;
  value: unknown;
}
interface Exchange {
  id: string;
  description: string;
  handler: { name: string } | null;
  go_caller_saw: { result: unknown; error: string } | null;
  request: {
    bytes_hex: string;
    fields: {
      Cid: string;
      Fn: string;
      ReplyTo: string;
      track: string;
      Expired: string;
      Reply: boolean;
      ArgsType: string[] | null;
      Args_hex: string[] | null;
      caller: string;
      hostname: string;
    };
    args_decoded: ArgVector[] | null;
  } | null;
  response: {
    bytes_hex: string;
    fields: { Cid: string; Error: string; ResultType: string; Result_hex: string };
    result_decoded: unknown;
  } | null;
}

const exchanges: Exchange[] = readFileSync(vectorsDir + "rpc-calls.jsonl", "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Exchange);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));

/** The gate's `SESSION` serializer, as mqant's gate registers it with AddRPCSerialize. */
class SessionValue {
  constructor(readonly data: SessionData) {}
}
const sessionSerializer: ArgSerializer = {
  name: "gate",
  tags: [SESSION_TAG],
  serialize: (value) => (value instanceof SessionValue ? { tag: SESSION_TAG, bytes: encodeSessionData(value.data) } : undefined),
  deserialize: (_tag, bytes) => new SessionValue(decodeSessionData(bytes)),
};
const serializers = [sessionSerializer];

// mqant's own rpcpb.ResultInfo, used by the captured app as a proto argument and result.
interface ResultInfoMessage {
  Cid: string;
  Error: string;
  ResultType: string;
  Result: Uint8Array;
}
const ResultInfoMessage = defineMessage<ResultInfoMessage>("rpcpb.ResultInfo", () => [
  { no: 1, name: "Cid", type: { kind: "scalar", scalar: "string" }, cardinality: "singular" },
  { no: 2, name: "Error", type: { kind: "scalar", scalar: "string" }, cardinality: "singular" },
  { no: 4, name: "ResultType", type: { kind: "scalar", scalar: "string" }, cardinality: "singular" },
  { no: 5, name: "Result", type: { kind: "scalar", scalar: "bytes" }, cardinality: "singular" },
]);

const SESSION_FIELDS: Record<string, keyof SessionData> = {
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

function expectedSession(captured: Record<string, unknown>): SessionData {
  const data: Record<string, unknown> = { settings: {}, carrier: {} };
  for (const key of Object.keys(SESSION_FIELDS)) data[SESSION_FIELDS[key]] = captured[key] ?? (key === "Settings" || key === "Carrier" ? {} : "");
  return data as unknown as SessionData;
}

/** Checks a decoded value against the capture, and returns the JS value a mqgen caller would pass. */
function checkDecoded(tag: string, bytesHex: string, captured: unknown, decoded: unknown, where: string): unknown {
  switch (tag) {
    case "null":
      assert.equal(decoded, null, where);
      return null;
    case "string":
    case "bool":
    case "int":
    case "double":
      assert.equal(decoded, captured, where);
      return decoded;
    case "float":
      assert.equal(decoded, captured, where);
      return Float32(decoded as number);
    case "long":
      assert.equal(decoded, BigInt(captured as string), where);
      return decoded;
    case "bytes":
      assert.ok(decoded instanceof Uint8Array, where);
      assert.equal(hex(decoded), (captured as { hex: string }).hex, where);
      return decoded;
    case "map":
      assert.deepEqual(decoded, captured, where);
      return decoded;
    case "mapstr":
      assert.deepEqual(decoded, captured, where);
      return MapStr(decoded as Record<string, string>);
    case "trace": {
      assert.ok(decoded instanceof TraceSpan, where);
      const { Trace, Span } = captured as { Trace: string; Span: string };
      // mqant ExtractSpan: the receiver continues the trace in a new span.
      assert.equal(decoded.Trace, Trace, where);
      assert.notEqual(decoded.Span, Span, where);
      assert.ok(isId16(decoded.Span), where);
      return new TraceSpan(Trace, Span);
    }
    case SESSION_TAG: {
      assert.ok(decoded instanceof SessionValue, where);
      assert.deepEqual(decoded.data, expectedSession(captured as Record<string, unknown>), where);
      return decoded;
    }
    default: {
      assert.ok(tag.startsWith("proto@"), `${where}: unexpected tag ${tag}`);
      assert.ok(decoded instanceof EncodedMessage, where);
      assert.equal(decoded.typeName, "*rpcpb.ResultInfo", where);
      assert.equal(hex(decoded.bytes), bytesHex, where);
      const message = ResultInfoMessage.codec.decode(decoded.bytes, tag);
      const { fields } = captured as { fields: Record<string, string> };
      assert.deepEqual(ResultInfoMessage.toJson(message), fields, where);
      assert.equal(hex(ResultInfoMessage.encode(message)), bytesHex, where);
      return decoded;
    }
  }
}

test("the captured vectors hold the 44 exchanges", () => {
  assert.equal(exchanges.length, 44);
});

for (const exchange of exchanges) {
  test(`rpc ${exchange.id}`, () => {
    const { request, response } = exchange;
    if (request === null) {
      // Client-side failures (Go int argument, unknown module): nothing reached the wire.
      assert.equal(response, null);
      assert.ok(exchange.go_caller_saw?.error, "a client-side failure has an error");
      if (exchange.id === "go-int-arg") {
        // JS has no separate `int`; an unsupported JS value fails with mqant's text and position.
        assert.throws(
          () => encodeArgs([() => 5]),
          (error: Error) =>
            error.message ===
            "args[0] error Args2Bytes [function] not registered to app.addrpcserialize(...) structure type or not *mqrpc.marshaler pointer type",
        );
        assert.match(exchange.go_caller_saw?.error ?? "", /^args\[0\] error Args2Bytes \[int\] not registered to app\.addrpcserialize\(\.\.\.\) structure type or not \*mqrpc\.marshaler pointer type$/);
      }
      return;
    }

    const bytes = fromHex(request.bytes_hex);
    const info = decodeRPCInfo(bytes);
    const fields = request.fields;
    assert.equal(info.cid, fields.Cid);
    assert.equal(info.fn, fields.Fn);
    if (exchange.handler !== null) assert.equal(info.fn, exchange.handler.name);
    assert.equal(info.replyTo, fields.ReplyTo);
    assert.equal(info.track, fields.track);
    assert.equal(info.expired, Number(fields.Expired));
    assert.equal(String(info.expired), fields.Expired, "unix ms survives as a number");
    assert.equal(info.reply, fields.Reply);
    assert.deepEqual(info.argsType, fields.ArgsType ?? []);
    assert.deepEqual(info.args.map(hex), fields.Args_hex ?? []);
    assert.equal(info.caller, fields.caller);
    assert.equal(info.hostname, fields.hostname);
    assert.equal(hex(encodeRPCInfo(info)), request.bytes_hex, "RPCInfo re-encodes byte for byte");

    const captured = request.args_decoded ?? [];
    assert.equal(captured.length, info.args.length);
    const callerValues = captured.map((arg, i) => {
      assert.equal(arg.type, info.argsType[i]);
      const decoded = decodeArg(info.argsType[i], info.args[i], serializers);
      return checkDecoded(arg.type, arg.bytes_hex, arg.value, decoded, `${exchange.id} args[${i}]`);
    });
    // What a mqgen caller passes encodes to mqant's tags and bytes.
    const encoded = encodeArgs(callerValues, serializers);
    assert.deepEqual(encoded.argsType, info.argsType);
    assert.deepEqual(encoded.args.map(hex), info.args.map(hex));
    const rebuilt = encodeRPCInfo({ ...info, argsType: encoded.argsType, args: encoded.args });
    assert.equal(hex(rebuilt), request.bytes_hex, "a request built from the values equals the capture");

    if (response === null) {
      assert.equal(info.reply, false, "only fire-and-forget requests go unanswered in these captures");
      return;
    }
    const result = decodeResultInfo(fromHex(response.bytes_hex));
    assert.equal(result.cid, response.fields.Cid);
    assert.equal(result.cid, info.cid, "the reply carries the request's Cid");
    assert.equal(result.error, response.fields.Error);
    assert.equal(result.resultType, response.fields.ResultType);
    assert.equal(hex(result.result), response.fields.Result_hex);
    assert.equal(hex(encodeResultInfo(result)), response.bytes_hex, "ResultInfo re-encodes byte for byte");
    const value = decodeArg(result.resultType, result.result, serializers);
    const resultValue = checkDecoded(result.resultType, response.fields.Result_hex, response.result_decoded, value, `${exchange.id} result`);
    const reencoded = encodeArgs([resultValue], serializers);
    assert.equal(reencoded.argsType[0], result.resultType);
    assert.equal(hex(reencoded.args[0]), response.fields.Result_hex);
  });
}
