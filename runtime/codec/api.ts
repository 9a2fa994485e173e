/**
 * mqant's HTTP gateway messages (package `go.api`, inherited from go-micro's api.proto): the gateway sends
 * a `Request` to the backend and expects a `Response` back. Hand-written on protobufjs' Writer/Reader
 * because these two messages are all the gateway needs and they sit on every HTTP request.
 *
 * `body` is a proto3 `string` in the schema, but HTTP bodies are bytes; they are carried verbatim so a
 * binary body survives a round trip between two mqgen nodes (Go peers expect UTF-8 there).
 */
import protobuf from "protobufjs/minimal.js";
import { BadArgumentError } from "../errors.js";
import type { ValueCodec } from "../descriptor.js";

const { Reader, Writer } = protobuf;
type ProtoReader = InstanceType<typeof Reader>;
type ProtoWriter = InstanceType<typeof Writer>;

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

function writePair(writer: ProtoWriter, pair: ApiPair): void {
  if (pair.key !== "") writer.uint32((1 << 3) | 2).string(pair.key);
  for (const value of pair.values) writer.uint32((2 << 3) | 2).string(value);
}

function writePairMap(writer: ProtoWriter, fieldNo: number, map: Record<string, ApiPair>): void {
  // Sorted keys keep the encoding deterministic (Go's deterministic marshal sorts map keys too).
  for (const key of Object.keys(map).sort()) {
    writer.uint32((fieldNo << 3) | 2).fork();
    writer.uint32((1 << 3) | 2).string(key);
    writer.uint32((2 << 3) | 2).fork();
    writePair(writer, map[key]);
    writer.ldelim();
    writer.ldelim();
  }
}

function readPair(reader: ProtoReader, end: number): ApiPair {
  const pair: ApiPair = { key: "", values: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        pair.key = reader.string();
        break;
      case 2:
        pair.values.push(reader.string());
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return pair;
}

function readPairMapEntry(reader: ProtoReader, end: number, into: Record<string, ApiPair>): void {
  let key = "";
  let value: ApiPair = { key: "", values: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        key = reader.string();
        break;
      case 2: {
        const length = reader.uint32();
        value = readPair(reader, reader.pos + length);
        break;
      }
      default:
        reader.skipType(tag & 7);
    }
  }
  into[key] = value;
}

function decodeWith<T>(what: string, bytes: Uint8Array, read: (reader: ProtoReader) => T): T {
  try {
    return read(Reader.create(bytes));
  } catch (err) {
    throw new BadArgumentError(`malformed ${what}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

export function encodeApiRequest(request: ApiRequest): Uint8Array {
  const writer = Writer.create();
  if (request.method !== "") writer.uint32((1 << 3) | 2).string(request.method);
  if (request.path !== "") writer.uint32((2 << 3) | 2).string(request.path);
  writePairMap(writer, 3, request.header);
  writePairMap(writer, 4, request.get);
  writePairMap(writer, 5, request.post);
  if (request.body.length > 0) writer.uint32((6 << 3) | 2).bytes(request.body);
  if (request.url !== "") writer.uint32((7 << 3) | 2).string(request.url);
  return writer.finish();
}

export function decodeApiRequest(bytes: Uint8Array): ApiRequest {
  return decodeWith("go.api.Request", bytes, (reader) => {
    const request: ApiRequest = { method: "", path: "", header: {}, get: {}, post: {}, body: new Uint8Array(0), url: "" };
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1:
          request.method = reader.string();
          break;
        case 2:
          request.path = reader.string();
          break;
        case 3:
        case 4:
        case 5: {
          const target = tag >>> 3 === 3 ? request.header : tag >>> 3 === 4 ? request.get : request.post;
          const length = reader.uint32();
          readPairMapEntry(reader, reader.pos + length, target);
          break;
        }
        case 6:
          request.body = new Uint8Array(reader.bytes());
          break;
        case 7:
          request.url = reader.string();
          break;
        default:
          reader.skipType(tag & 7);
      }
    }
    return request;
  });
}

export function encodeApiResponse(response: ApiResponse): Uint8Array {
  const writer = Writer.create();
  if (response.statusCode !== 0) writer.uint32(1 << 3).int32(response.statusCode);
  writePairMap(writer, 2, response.header);
  if (response.body.length > 0) writer.uint32((3 << 3) | 2).bytes(response.body);
  return writer.finish();
}

export function decodeApiResponse(bytes: Uint8Array): ApiResponse {
  return decodeWith("go.api.Response", bytes, (reader) => {
    const response: ApiResponse = { statusCode: 0, header: {}, body: new Uint8Array(0) };
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1:
          response.statusCode = reader.int32();
          break;
        case 2: {
          const length = reader.uint32();
          readPairMapEntry(reader, reader.pos + length, response.header);
          break;
        }
        case 3:
          response.body = new Uint8Array(reader.bytes());
          break;
        default:
          reader.skipType(tag & 7);
      }
    }
    return response;
  });
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
