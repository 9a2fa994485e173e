/**
 * #17 item 1: the session and go.api codecs run on the same message-table runtime as generated messages,
 * so they agree on what used to differ: map keys in code-point order (as Go sorts them) and `__proto__`
 * kept as a plain key on decode.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createSessionData,
  decodeApiRequest,
  decodeApiResponse,
  decodeSessionData,
  encodeApiRequest,
  encodeApiResponse,
  encodeSessionData,
  type ApiRequest,
} from "../../runtime/internal.js";

// U+FFFF sorts before U+1F600 by code point; by UTF-16 code unit (Array.prototype.sort) it sorts after.
const ASTRAL = "\u{1F600}";
const BMP_HIGH = "\uFFFF";

function request(header: ApiRequest["header"]): ApiRequest {
  return { method: "GET", path: "/p", header, get: {}, post: {}, body: new Uint8Array(0), url: "/p" };
}

test("go.api map keys go out in code-point order, like Go's deterministic marshal", () => {
  const header = { [ASTRAL]: { key: ASTRAL, values: ["a"] }, [BMP_HIGH]: { key: BMP_HIGH, values: ["b"] } };
  assert.deepEqual(Object.keys(decodeApiRequest(encodeApiRequest(request(header))).header), [BMP_HIGH, ASTRAL]);
  const response = decodeApiResponse(encodeApiResponse({ statusCode: 200, header, body: new Uint8Array(0) }));
  assert.deepEqual(Object.keys(response.header), [BMP_HIGH, ASTRAL]);
});

test("a `__proto__` key from the wire stays a plain key in go.api and session maps", () => {
  const header: ApiRequest["header"] = {};
  Object.defineProperty(header, "__proto__", { value: { key: "__proto__", values: ["x"] }, enumerable: true });
  const decoded = decodeApiRequest(encodeApiRequest(request(header)));
  assert.ok(Object.hasOwn(decoded.header, "__proto__"));
  assert.equal(Object.getPrototypeOf(decoded.header), Object.prototype);
  assert.deepEqual(decoded.header["__proto__"]?.values, ["x"]);

  const settings: Record<string, string> = {};
  Object.defineProperty(settings, "__proto__", { value: "v", enumerable: true });
  const session = decodeSessionData(encodeSessionData(createSessionData({ settings })));
  assert.ok(Object.hasOwn(session.settings, "__proto__"));
  assert.equal(Object.getPrototypeOf(session.settings), Object.prototype);
});

test("session map keys go out in code-point order too", () => {
  const bytes = encodeSessionData(createSessionData({ settings: { [ASTRAL]: "1", [BMP_HIGH]: "2" } }));
  assert.deepEqual(Object.keys(decodeSessionData(bytes).settings), [BMP_HIGH, ASTRAL]);
});
