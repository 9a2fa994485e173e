/**
 * The gate session as it travels in RPC arguments and results (tag `SESSION`): mqant's
 * `basegate.sessionImp` protobuf. Plain data here; the gate builds its Session class on it.
 *
 *   IP=1 Network=2 UserId=3 SessionId=4 ServerId=5 TraceId=6 SpanId=7
 *   map<string,string> Settings=8  map<string,string> Carrier=9  Topic=10
 *
 * Map entries are written in sorted key order (Go's own order is its random map iteration; sorted is
 * what Go's deterministic mode writes and keeps our output stable). Browser-safe.
 */
import { BadArgumentError } from "../errors.js";
import { newReader, newWriter, readString, writeString } from "./message.js";
import { compareByCodePoint } from "./values.js";

/** The `SESSION` tag mqant's gate serializer registers. */
export const SESSION_TAG = "SESSION";

export interface SessionData {
  ip: string;
  network: string;
  userId: string;
  sessionId: string;
  /** Node id of the gate that owns the connection (`Gate@<16 hex>`). */
  serverId: string;
  traceId: string;
  spanId: string;
  settings: Record<string, string>;
  /** Present in mqant's message, unused by it. */
  carrier: Record<string, string>;
  topic: string;
}

export function createSessionData(init: Partial<SessionData> = {}): SessionData {
  return {
    ip: init.ip ?? "",
    network: init.network ?? "",
    userId: init.userId ?? "",
    sessionId: init.sessionId ?? "",
    serverId: init.serverId ?? "",
    traceId: init.traceId ?? "",
    spanId: init.spanId ?? "",
    settings: { ...(init.settings ?? {}) },
    carrier: { ...(init.carrier ?? {}) },
    topic: init.topic ?? "",
  };
}

export function cloneSessionData(data: SessionData): SessionData {
  return createSessionData(data);
}

type Writer = ReturnType<typeof newWriter>;

function writeStringField(w: Writer, key: number, value: string): void {
  if (value !== "") writeString(w.uint32(key), value);
}

function writeStringMap(w: Writer, key: number, map: Record<string, string>): void {
  for (const entryKey of Object.keys(map).sort(compareByCodePoint)) {
    const value = map[entryKey];
    if (typeof value !== "string") throw new BadArgumentError(`session: value of "${entryKey}" must be a string`);
    w.uint32(key).fork();
    // Go writes key and value of a map entry even when empty.
    writeString(w.uint32(10), entryKey);
    writeString(w.uint32(18), value);
    w.ldelim();
  }
}

export function encodeSessionData(data: SessionData): Uint8Array {
  const w = newWriter();
  writeStringField(w, 10, data.ip);
  writeStringField(w, 18, data.network);
  writeStringField(w, 26, data.userId);
  writeStringField(w, 34, data.sessionId);
  writeStringField(w, 42, data.serverId);
  writeStringField(w, 50, data.traceId);
  writeStringField(w, 58, data.spanId);
  writeStringMap(w, 66, data.settings);
  writeStringMap(w, 74, data.carrier);
  writeStringField(w, 82, data.topic);
  return w.finish();
}

type Reader = ReturnType<typeof newReader>;

function readMapEntry(reader: Reader, into: Record<string, string>): void {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError(`map entry length ${length} runs past the end`);
  let key = "";
  let value = "";
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) key = readString(reader);
    else if (tag === 18) value = readString(reader);
    else reader.skipType(tag & 7);
  }
  if (reader.pos !== end) throw new RangeError("map entry overruns its length");
  // A plain assignment of "__proto__" would replace the prototype instead of adding a key.
  Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Throws BadArgumentError on malformed bytes; unknown fields are skipped. */
export function decodeSessionData(bytes: Uint8Array): SessionData {
  const data = createSessionData();
  const reader = newReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      switch (tag) {
        case 10:
          data.ip = readString(reader);
          break;
        case 18:
          data.network = readString(reader);
          break;
        case 26:
          data.userId = readString(reader);
          break;
        case 34:
          data.sessionId = readString(reader);
          break;
        case 42:
          data.serverId = readString(reader);
          break;
        case 50:
          data.traceId = readString(reader);
          break;
        case 58:
          data.spanId = readString(reader);
          break;
        case 66:
          readMapEntry(reader, data.settings);
          break;
        case 74:
          readMapEntry(reader, data.carrier);
          break;
        case 82:
          data.topic = readString(reader);
          break;
        default:
          if (tag >>> 3 === 0) throw new RangeError("field number 0");
          reader.skipType(tag & 7);
      }
    }
  } catch (error) {
    if (error instanceof BadArgumentError) throw error;
    throw new BadArgumentError(`session: malformed protobuf (${(error as Error).message})`, { cause: error });
  }
  return data;
}
