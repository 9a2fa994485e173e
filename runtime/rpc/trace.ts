/**
 * mqant's `log.TraceSpanImp`: a trace id shared by every hop of a request and a span id per hop, both
 * 16 hex. On the wire it is the `trace` argument, JSON `{"Trace":"…","Span":"…"}` in that field order
 * (Go struct order, not sorted). Browser-safe.
 */
import type { ValueCodec } from "../descriptor.js";
import { BadArgumentError } from "../errors.js";
import { newId16 } from "../codec/ids.js";
import { goJsonStringify } from "../codec/values.js";

export class TraceSpan {
  readonly Trace: string;
  readonly Span: string;

  constructor(trace: string, span: string) {
    this.Trace = trace;
    this.Span = span;
  }

  /** A new trace with its first span (mqant `log.CreateRootTrace`). */
  static create(): TraceSpan {
    return new TraceSpan(newId16(), newId16());
  }

  /** The same trace with a new span id: what the next hop sees (mqant `ExtractSpan`). */
  extractSpan(): TraceSpan {
    return new TraceSpan(this.Trace, newId16());
  }

  toJSON(): { Trace: string; Span: string } {
    return { Trace: this.Trace, Span: this.Span };
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

export function encodeTraceSpan(span: TraceSpan): Uint8Array {
  return utf8Encoder.encode(`{"Trace":${goJsonStringify(span.Trace)},"Span":${goJsonStringify(span.Span)}}`);
}

/** The span exactly as written on the wire (no new span id). */
export function parseTraceSpan(bytes: Uint8Array): TraceSpan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(bytes));
  } catch (error) {
    throw new BadArgumentError(`trace: invalid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new BadArgumentError("trace: expected a JSON object");
  }
  const { Trace, Span } = parsed as Record<string, unknown>;
  // Go unmarshals missing fields as "" and rejects non-strings.
  if ((Trace !== undefined && typeof Trace !== "string") || (Span !== undefined && typeof Span !== "string")) {
    throw new BadArgumentError("trace: Trace and Span must be strings");
  }
  return new TraceSpan(Trace ?? "", Span ?? "");
}

/** The `trace` argument. Decoding yields the next hop's span (same trace, new span id), as mqant does. */
export const traceCodec: ValueCodec<TraceSpan> = {
  tag: "trace",
  encode(value) {
    if (!(value instanceof TraceSpan)) throw new BadArgumentError("trace: expected a TraceSpan");
    return encodeTraceSpan(value);
  },
  decode(bytes, tag) {
    if (tag === "null") return TraceSpan.create();
    if (tag !== "trace") throw new BadArgumentError(`trace: cannot decode tag "${tag}" (expected "trace" or "null")`);
    return parseTraceSpan(bytes).extractSpan();
  },
  clone: (value) => new TraceSpan(value.Trace, value.Span),
};
