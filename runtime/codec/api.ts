/**
 * mqant's HTTP gateway messages (package `go.api`, inherited from go-micro's api.proto): the gateway sends
 * a `Request` to the backend and expects a `Response` back.
 *
 * `body` is a proto3 `string` in the schema, but HTTP bodies are bytes; they are carried verbatim so a
 * binary body survives a round trip between two mqgen nodes (Go peers expect UTF-8 there).
 */
import { BadArgumentError } from "../errors.js";
import type { ValueCodec } from "../descriptor.js";
import { defineMessage, field, scalar } from "./message.js";

/** Tag of the argument the gateway sends, exactly as Go mqant writes it (`proto@<Go reflect type>`). */
export const API_REQUEST_TAG = "proto@*go_api.Request";
/** Tag a TypeScript backend should answer with (Go mqant writes this for `*go_api.Response`). */
export const API_RESPONSE_TAG = "proto@*go_api.Response";

/** `go.api.Pair`: a header/query/form key with all its values. */
export interface ApiPair {
  key: string;
  values: string[];
}

export interface ApiRequest {
  method: string;
  path: string;
  /** Header name (Go canonical form, `Content-Type`) → values. */
  header: Record<string, ApiPair>;
  /** URL query parameters. */
  get: Record<string, ApiPair>;
  /** Form fields of an `application/x-www-form-urlencoded` body (then `body` is empty). */
  post: Record<string, ApiPair>;
  body: Uint8Array;
  /** Request URI as received (`/module/path?query`). */
  url: string;
}

export interface ApiResponse {
  /** 0 means 200, as in mqant. */
  statusCode: number;
  header: Record<string, ApiPair>;
  body: Uint8Array;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

// The go.api messages as tables on the one codec runtime (map keys by code point, `__proto__` as a plain
// key, the same wire and UTF-8 helpers as every other message). `body` is declared bytes: same wire type
// as the schema's string, and carried verbatim.
const Pair = defineMessage<ApiPair>("go.api.Pair", () => [field(1, "key", scalar.string), field(2, "values", scalar.string, "repeated")]);
const pairMap = (no: number, name: string) => field(no, name, { kind: "message", message: () => Pair }, "map", "string");

const RequestMessage = defineMessage<ApiRequest>("go.api.Request", () => [
  field(1, "method", scalar.string),
  field(2, "path", scalar.string),
  pairMap(3, "header"),
  pairMap(4, "get"),
  pairMap(5, "post"),
  field(6, "body", scalar.bytes),
  field(7, "url", scalar.string),
]);

const ResponseMessage = defineMessage<ApiResponse>("go.api.Response", () => [
  field(1, "statusCode", scalar.int32),
  pairMap(2, "header"),
  field(3, "body", scalar.bytes),
]);

export function encodeApiRequest(request: ApiRequest): Uint8Array {
  return RequestMessage.encode(request);
}

/** Throws BadArgumentError on malformed bytes. */
export function decodeApiRequest(bytes: Uint8Array): ApiRequest {
  return RequestMessage.decode(bytes);
}

export function encodeApiResponse(response: ApiResponse): Uint8Array {
  return ResponseMessage.encode(response);
}

/** Throws BadArgumentError on malformed bytes. */
export function decodeApiResponse(bytes: Uint8Array): ApiResponse {
  return ResponseMessage.decode(bytes);
}

/** Convenience for backends: a Response with a text or JSON body. */
export function apiResponse(
  statusCode: number,
  body: string | Uint8Array,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
): ApiResponse {
  const header: Record<string, ApiPair> = {};
  for (const [key, value] of Object.entries(headers)) {
    header[key] = { key, values: typeof value === "string" ? [value] : [...value] };
  }
  return { statusCode, header, body: typeof body === "string" ? utf8Encoder.encode(body) : body };
}

/** The body of a Request or Response as text. */
export function apiBodyText(message: { body: Uint8Array }): string {
  return utf8Decoder.decode(message.body);
}

/** Codec for a backend's Request param (decodes whatever `proto@`/`marshal@`/`bytes` tag it came with). */
export const apiRequestCodec: ValueCodec<ApiRequest> = {
  tag: API_REQUEST_TAG,
  encode: encodeApiRequest,
  decode: (bytes, tag) => {
    if (tag === "null") return decodeApiRequest(new Uint8Array(0));
    if (!/^(proto@|marshal@)/.test(tag) && tag !== "bytes") {
      throw new BadArgumentError(`go.api.Request: cannot decode tag "${tag}"`);
    }
    return decodeApiRequest(bytes);
  },
  clone: (request) => decodeApiRequest(encodeApiRequest(request)),
};

/** Codec for a backend's Response result, written with Go's tag so Go gateways accept it too. */
export const apiResponseCodec: ValueCodec<ApiResponse> = {
  tag: API_RESPONSE_TAG,
  encode: encodeApiResponse,
  decode: (bytes, tag) => {
    if (tag === "null") return decodeApiResponse(new Uint8Array(0));
    if (!/^(proto@|marshal@)/.test(tag) && tag !== "bytes") {
      throw new BadArgumentError(`go.api.Response: cannot decode tag "${tag}"`);
    }
    return decodeApiResponse(bytes);
  },
  clone: (response) => decodeApiResponse(encodeApiResponse(response)),
};
