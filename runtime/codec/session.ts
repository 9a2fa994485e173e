/**
 * The gate session as it travels in RPC arguments and results (tag `SESSION`): mqant's
 * `basegate.sessionImp` protobuf. Plain data here; the gate builds its Session class on it.
 *
 *   IP=1 Network=2 UserId=3 SessionId=4 ServerId=5 TraceId=6 SpanId=7
 *   map<string,string> Settings=8  map<string,string> Carrier=9  Topic=10
 *
 * Map entries are written in key order by code point (Go's own order is its random map iteration; sorted
 * is what Go's deterministic mode writes and keeps our output stable). Browser-safe.
 */
import { defineMessage, field, scalar } from "./message.js";

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

/**
 * mqant's `basegate.sessionImp` as a message table on the one codec runtime: map entries in key order by
 * code point (what Go's deterministic mode writes), `__proto__` kept as a plain key, unknown fields skipped.
 */
const SessionMessage = defineMessage<SessionData>("basegate.sessionImp", () => [
  field(1, "ip", scalar.string),
  field(2, "network", scalar.string),
  field(3, "userId", scalar.string),
  field(4, "sessionId", scalar.string),
  field(5, "serverId", scalar.string),
  field(6, "traceId", scalar.string),
  field(7, "spanId", scalar.string),
  field(8, "settings", scalar.string, "map", "string"),
  field(9, "carrier", scalar.string, "map", "string"),
  field(10, "topic", scalar.string),
]);

export function encodeSessionData(data: SessionData): Uint8Array {
  return SessionMessage.encode(data);
}

/** Throws BadArgumentError on malformed bytes; unknown fields are skipped. */
export function decodeSessionData(bytes: Uint8Array): SessionData {
  return SessionMessage.decode(bytes);
}
