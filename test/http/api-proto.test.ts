/**
 * The hand-written go.api Request/Response codec against protobufjs' reflection on the same schema as
 * mqant's httpgateway/proto/api.proto (v1.5.3 source), so Go peers read what mqgen writes and back.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import protobuf from "protobufjs";
import {
  type ApiRequest,
  type ApiResponse,
  apiRequestCodec,
  apiResponse,
  apiResponseCodec,
  decodeApiRequest,
  decodeApiResponse,
  encodeApiRequest,
  encodeApiResponse,
} from "../../runtime/internal.js";
import { ConfigError } from "../../runtime/internal.js";
import { listenAddressFromSettings } from "../../runtime/internal.js";

const schema = protobuf.parse(`
  syntax = "proto3";
  package go.api;
  message Pair { string key = 1; repeated string values = 2; }
  message Request {
    string method = 1; string path = 2; map<string, Pair> header = 3; map<string, Pair> get = 4;
    map<string, Pair> post = 5; string body = 6; string url = 7;
  }
  message Response { int32 statusCode = 1; map<string, Pair> header = 2; string body = 3; }
`).root;
const RequestType = schema.lookupType("go.api.Request");
const ResponseType = schema.lookupType("go.api.Response");

const request: ApiRequest = {
  method: "POST",
  path: "/web/echo",
  // Keys in sorted order: protobufjs writes map entries in insertion order, mqgen sorts (as Go's deterministic marshal).
  header: {
    "Content-Type": { key: "Content-Type", values: ["application/json"] },
    Host: { key: "Host", values: ["127.0.0.1:8090"] },
    "X-Forwarded-For": { key: "X-Forwarded-For", values: ["10.0.0.1, 127.0.0.1"] },
  },
  get: { a: { key: "a", values: ["1", "2"] }, "ü": { key: "ü", values: [""] } },
  post: {},
  body: new TextEncoder().encode('{"name":"x"}'),
  url: "/web/echo?a=1&a=2",
};

function asProtobufjsObject(message: ApiRequest | ApiResponse): Record<string, unknown> {
  return { ...message, body: new TextDecoder().decode(message.body) };
}

test("Request: bytes identical to protobufjs on mqant's schema, and decodable both ways", () => {
  const ours = encodeApiRequest(request);
  const theirs = RequestType.encode(RequestType.fromObject(asProtobufjsObject(request))).finish();
  assert.equal(Buffer.from(ours).toString("hex"), Buffer.from(theirs).toString("hex"));
  assert.deepEqual(decodeApiRequest(theirs), request);
  const back = RequestType.toObject(RequestType.decode(ours), { defaults: false }) as Record<string, unknown>;
  assert.equal(back["url"], request.url);
  assert.equal(back["body"], '{"name":"x"}');
});

test("Response: bytes identical to protobufjs, status 0 omitted, unknown fields skipped", () => {
  const response = apiResponse(404, "nope", { "Content-Type": "text/plain", "X-Many": ["1", "2"] });
  const ours = encodeApiResponse(response);
  const theirs = ResponseType.encode(ResponseType.fromObject(asProtobufjsObject(response))).finish();
  assert.equal(Buffer.from(ours).toString("hex"), Buffer.from(theirs).toString("hex"));
  assert.deepEqual(decodeApiResponse(theirs), response);
  assert.equal(encodeApiResponse(apiResponse(0, "")).length, 0);
  // Field 9 (varint) and field 10 (bytes) are not in the schema: a newer peer's additions are ignored.
  const withUnknown = Buffer.concat([Buffer.from(ours), Buffer.from([0x48, 0x01, 0x52, 0x01, 0x7a])]);
  assert.deepEqual(decodeApiResponse(withUnknown), response);
});

test("codecs: Go's tags, bytes-tagged replies accepted, malformed input is a BadArgumentError", () => {
  assert.equal(apiRequestCodec.tag, "proto@*go_api.Request");
  assert.equal(apiResponseCodec.tag, "proto@*go_api.Response");
  const encoded = apiResponseCodec.encode(apiResponse(201, "made"));
  assert.equal(apiResponseCodec.decode(encoded, "bytes").statusCode, 201);
  assert.equal(apiResponseCodec.decode(new Uint8Array(0), "null").statusCode, 0);
  assert.throws(() => apiResponseCodec.decode(encoded, "string"), { code: "BAD_ARGUMENT" });
  assert.throws(() => decodeApiResponse(new Uint8Array([0x1a, 0x05, 0x41])), { code: "BAD_ARGUMENT", message: /go\.api\.Response/ });
  const copy = apiRequestCodec.clone(request);
  assert.deepEqual(copy, request);
  assert.notEqual(copy.body, request.body);
});

test("HttpGatewayModule settings: Go-style Addr, Port wins, bad values name the key", () => {
  assert.deepEqual(listenAddressFromSettings({ Addr: ":8090" }), { host: undefined, port: 8090 });
  assert.deepEqual(listenAddressFromSettings({ Addr: "127.0.0.1:8090" }), { host: "127.0.0.1", port: 8090 });
  assert.deepEqual(listenAddressFromSettings({ Addr: "[::1]:0" }), { host: "::1", port: 0 });
  assert.deepEqual(listenAddressFromSettings({ Addr: "127.0.0.1:8090", Port: 9000 }), { host: "127.0.0.1", port: 9000 });
  assert.deepEqual(listenAddressFromSettings({ Port: "8091" }), { host: undefined, port: 8091 });
  assert.throws(() => listenAddressFromSettings({}), (err: unknown) => err instanceof ConfigError && /Addr or Settings\.Port/.test(err.message));
  assert.throws(() => listenAddressFromSettings({ Addr: "8090" }), /Settings\.Addr "8090" is not "host:port"/);
  assert.throws(() => listenAddressFromSettings({ Port: 70000 }), /Settings\.Port must be a port number/);
  assert.throws(() => listenAddressFromSettings({ Addr: 8090 }), /Settings\.Addr must be/);
});
