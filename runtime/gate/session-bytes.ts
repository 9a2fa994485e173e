/**
 * The SESSION argument of every routed request. A session's own fields change on Bind, settings pushes and
 * the like; SpanId and Topic change on every request. The parts around those two are encoded once per
 * change and the two written between them, so the bytes are exactly what encodeSessionData writes for the
 * session with that SpanId and Topic (fields in number order), without encoding and sorting the settings
 * again for every request. A part is reused only while every field it holds is unchanged, whoever changed it.
 */
import { createSessionData, encodeSessionData, type SessionData } from "../codec/session.js";
import { newWriter, writeString } from "../codec/wire.js";

interface Parts {
  readonly ip: string;
  readonly network: string;
  readonly userId: string;
  readonly sessionId: string;
  readonly serverId: string;
  readonly traceId: string;
  /** Settings and Carrier as key, value, key, value… in the objects' own order. */
  readonly settings: readonly string[];
  readonly carrier: readonly string[];
  /** Fields 1–6. */
  readonly head: Uint8Array;
  /** Fields 8–9. */
  readonly maps: Uint8Array;
}

const encoded = new WeakMap<SessionData, Parts>();
const EMPTY = new Uint8Array(0);
/** Field 7 (SpanId) and field 10 (Topic), wire type 2. */
const SPAN_ID_TAG = (7 << 3) | 2;
const TOPIC_TAG = (10 << 3) | 2;

function entries(map: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const key in map) if (Object.hasOwn(map, key)) out.push(key, map[key] as string);
  return out;
}

function sameEntries(map: Readonly<Record<string, string>>, known: readonly string[]): boolean {
  let i = 0;
  for (const key in map) {
    if (!Object.hasOwn(map, key)) continue;
    if (known[i] !== key || known[i + 1] !== map[key]) return false;
    i += 2;
  }
  return i === known.length;
}

function partsOf(session: SessionData): Parts {
  const known = encoded.get(session);
  if (
    known !== undefined &&
    known.ip === session.ip &&
    known.network === session.network &&
    known.userId === session.userId &&
    known.sessionId === session.sessionId &&
    known.serverId === session.serverId &&
    known.traceId === session.traceId &&
    sameEntries(session.settings, known.settings) &&
    sameEntries(session.carrier, known.carrier)
  ) {
    return known;
  }
  const { ip, network, userId, sessionId, serverId, traceId } = session;
  const parts: Parts = {
    ip,
    network,
    userId,
    sessionId,
    serverId,
    traceId,
    settings: entries(session.settings),
    carrier: entries(session.carrier),
    head: encodeSessionData(createSessionData({ ip, network, userId, sessionId, serverId, traceId })),
    maps: encodeSessionData(createSessionData({ settings: session.settings, carrier: session.carrier })),
  };
  encoded.set(session, parts);
  return parts;
}

function stringField(tag: number, value: string): Uint8Array {
  // An empty string is proto3's default and not written, as encodeSessionData does.
  return value === "" ? EMPTY : writeString(newWriter().uint32(tag), value).finish();
}

/** encodeSessionData({ ...session, spanId, topic }), from parts kept while the session is unchanged. */
export function encodeRoutedSession(session: SessionData, spanId: string, topic: string): Uint8Array {
  const { head, maps } = partsOf(session);
  const span = stringField(SPAN_ID_TAG, spanId);
  const tail = stringField(TOPIC_TAG, topic);
  const out = new Uint8Array(head.length + span.length + maps.length + tail.length);
  out.set(head, 0);
  out.set(span, head.length);
  out.set(maps, head.length + span.length);
  out.set(tail, head.length + span.length + maps.length);
  return out;
}
