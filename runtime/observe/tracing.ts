/**
 * OpenTelemetry tracing on `@opentelemetry/api` only: the SDK, exporters and context manager are the
 * user's choice. Without an SDK the API hands out non-recording spans and nothing is written on the wire,
 * so the cost is a few allocations per call (measured by bench:rpc).
 *
 * How the context crosses each hop:
 * - mqgen → mqgen over NATS: the W3C `traceparent` of the client span in RPCInfo's `Track` field (mqant
 *   declares it and never uses it, so Go mqant nodes ignore it and the envelope stays byte-identical when
 *   no span is recording).
 * - in process: the client span's context is the parent of the server span directly.
 * - Go mqant: its only trace carriers are the `trace` argument (`log.TraceSpan{Trace, Span}`) and the
 *   gate session's TraceId/SpanId, 16 hex each. A 16-hex trace id maps to a W3C trace id left-padded with
 *   zeros (as Jaeger and Zipkin map 64-bit ids), the span id as is; `traceSpanOf()` (ops/trace-arg.ts) goes the other way
 *   and writes the full 32-hex W3C trace id into `Trace` (Go copies it unchanged), so a trace crossing a
 *   Go node and back keeps its id.
 * - HTTP: an incoming `traceparent` header is honoured.
 * - Handlers: the server span is active while the handler runs (with a context manager, such as the
 *   SDK's AsyncLocalStorage one, across awaits too), so calls it makes are its children without passing
 *   anything; `ctx.traceId`/`ctx.spanId` and the handler's log lines carry the span's ids.
 */
import {
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  createContextKey,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from "@opentelemetry/api";

/** The tracer mqgen reports to (a proxy: an SDK registered later takes over). */
export const tracer: Tracer = trace.getTracer("mqgen");

/** What the global proxy delegates to while no SDK is registered (a fresh proxy's delegate is that no-op). */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Is a tracer provider (an SDK) registered? Checked per call, so one registered after start takes effect;
 * while none is, mqgen starts no spans at all — the whole cost of tracing is this check.
 */
export function tracingActive(): boolean {
  // The API's global proxy is one stable object that an SDK's register() gives its delegate; asking it is
  // a property read. The global lookup itself (a version check) is redone only every 4096 calls, in case
  // the API was disabled and a new proxy installed.
  if ((++lookups & 4095) === 0) provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}
let provider = trace.getTracerProvider();
let lookups = 0;

/** The context a gate session's trace ids stand for: the parent of everything its connection does. */
export function sessionContext(traceId: string | undefined, spanId: string | undefined): Context {
  const sc = spanContextFromMqant(traceId, spanId);
  return sc === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, sc);
}

/** What the gate knows of a client's PUBLISH, for the span of the backend call it becomes. */
const GATE_PUBLISH = createContextKey("mqgen gate publish");

/** The context a gate routes one client PUBLISH in: the session's trace, with the publish's attributes. */
export function publishContext(traceId: string, spanId: string, attributes: Readonly<Record<string, string>>): Context {
  return sessionContext(traceId, spanId).setValue(GATE_PUBLISH, attributes);
}

/**
 * The gate's own span of one `HD_` call: from the client's PUBLISH to the backend's answer, in the
 * connection's trace. The RPC client span of the call (and through its traceparent the backend's server
 * span) is its child, so a trace shows the gate's time apart from the backend's.
 */
export function tracedGateCall<T>(target: string, fn: string, run: () => Promise<T>): Promise<T> {
  if (!tracingActive()) return run();
  const parent = context.active();
  const publish = parent.getValue(GATE_PUBLISH) as Readonly<Record<string, string>> | undefined;
  const span = tracer.startSpan(`Gate ${target}/${fn}`, { kind: SpanKind.SERVER, attributes: { "messaging.system": "mqtt", "rpc.system": "mqant", "rpc.service": target, "rpc.method": fn, ...publish } }, parent);
  return settleSpan({ span, context: trace.setSpan(parent, span) }, run);
}

/** A span that starts and ends at once (a gate CONNECT, a push), under `parent`. */
export function instantSpan(name: string, kind: SpanKind, attributes: Record<string, string | number>, parent: Context): void {
  tracer.startSpan(name, { kind, attributes }, parent).end();
}

const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO16 = "0000000000000000";

export function isValidIds(traceId: string, spanId: string): boolean {
  return HEX32.test(traceId) && traceId !== ZERO16 + ZERO16 && HEX16.test(spanId) && spanId !== ZERO16;
}

/** A W3C `traceparent` (version 00, or a later version read as 00 would) → a remote span context. */
export function parseTraceparent(text: string | undefined): SpanContext | undefined {
  if (text === undefined || text === "") return undefined;
  const m = TRACEPARENT.exec(text.trim().toLowerCase());
  if (m === null || m[1] === "ff") return undefined;
  if (m[1] === "00" && text.trim().length !== 55) return undefined;
  const traceId = m[2] as string;
  const spanId = m[3] as string;
  if (!isValidIds(traceId, spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(m[4] as string, 16) & TraceFlags.SAMPLED, isRemote: true };
}

export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? "01" : "00"}`;
}

/** mqant's 16-hex (or mqgen's 32-hex) Trace and 16-hex Span → a remote span context; undefined if malformed. */
export function spanContextFromMqant(traceText: string | undefined, spanText: string | undefined): SpanContext | undefined {
  if (traceText === undefined || spanText === undefined) return undefined;
  const t = traceText.toLowerCase();
  const s = spanText.toLowerCase();
  const traceId = HEX16.test(t) ? ZERO16 + t : t;
  if (!isValidIds(traceId, s)) return undefined;
  return { traceId, spanId: s, traceFlags: TraceFlags.SAMPLED, isRemote: true };
}

/** The W3C trace id as mqant shows it: a left-padded 64-bit id back to 16 hex, anything else as is. */
export function mqantTraceId(traceId: string): string {
  return traceId.startsWith(ZERO16) ? traceId.slice(16) : traceId;
}

/** The active span's ids as mqant's Trace/Span (see ops/trace-arg.ts); undefined when none records. */
export function activeMqantIds(span: { spanContext(): { traceId: string; spanId: string } } | undefined = trace.getActiveSpan()): { trace: string; span: string } | undefined {
  const sc = span?.spanContext();
  if (sc === undefined || !isValidIds(sc.traceId, sc.spanId)) return undefined;
  return { trace: mqantTraceId(sc.traceId), span: sc.spanId };
}

/** Where a server span's parent comes from, in order of preference. */
export interface IncomingTrace {
  /** RPCInfo.Track of a call from an mqgen node. */
  readonly traceparent?: string;
  /** The in-process caller's context. */
  readonly parent?: Context;
  /** A `trace` argument or the gate session's ids (Go mqant's carriers). */
  readonly mqantTrace?: string;
  readonly mqantSpan?: string;
}

export function parentContext(incoming: IncomingTrace): Context {
  const fromHeader = parseTraceparent(incoming.traceparent);
  if (fromHeader !== undefined) return trace.setSpanContext(ROOT_CONTEXT, fromHeader);
  if (incoming.parent !== undefined && trace.getSpan(incoming.parent) !== undefined) return incoming.parent;
  const fromMqant = spanContextFromMqant(incoming.mqantTrace, incoming.mqantSpan);
  return fromMqant === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, fromMqant);
}

/** A started span with its context (the span set as active in it). */
export interface SpanScope {
  readonly span: Span;
  readonly context: Context;
}

export function startServerSpan(module: string, handler: string, nodeId: string, incoming: IncomingTrace): SpanScope {
  const parent = parentContext(incoming);
  const span = tracer.startSpan(
    `${module}/${handler}`,
    { kind: SpanKind.SERVER, attributes: { "rpc.system": "mqant", "rpc.service": module, "rpc.method": handler, "mqgen.node": nodeId } },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

export function startClientSpan(module: string, handler: string): SpanScope {
  const parent = context.active();
  const span = tracer.startSpan(`${module}/${handler}`, { kind: SpanKind.CLIENT, attributes: { "rpc.system": "mqant", "rpc.service": module, "rpc.method": handler } }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** The HTTP gateway's server span, child of an incoming `traceparent` when there is a valid one. */
export function startHttpSpan(method: string, traceparent: string | string[] | undefined): SpanScope {
  const parent = parentContext({ traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent });
  const span = tracer.startSpan(method, { kind: SpanKind.SERVER, attributes: { "http.request.method": method } }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** RPCInfo.Track for a request made under `span` (default: the active one): its traceparent, or "". */
export function trackOf(span: Span | undefined = trace.getActiveSpan()): string {
  if (span === undefined) return "";
  const sc = span.spanContext();
  return isValidIds(sc.traceId, sc.spanId) ? formatTraceparent(sc) : "";
}

/** Runs one call under a client span; a reply carrying an error string marks the span as failed too. */
export function traced<T>(module: string, fn: string, run: () => Promise<T>): Promise<T> {
  return settleSpan(startClientSpan(module, fn), run);
}

/** Runs `run` in the span's context and ends the span when it settles (an error reply marks it failed). */
function settleSpan<T>(scope: SpanScope, run: () => Promise<T>): Promise<T> {
  let promise: Promise<T>;
  try {
    promise = context.with(scope.context, run);
  } catch (err) {
    endSpan(scope.span, err);
    throw err;
  }
  return promise.then(
    (value) => {
      const error = typeof value === "object" && value !== null && "error" in value ? (value as { error: unknown }).error : undefined;
      endSpan(scope.span, typeof error === "string" && error !== "" ? error : undefined);
      return value;
    },
    (err: unknown) => {
      endSpan(scope.span, err);
      throw err;
    },
  );
}

/** Ends a span with the call's outcome. */
export function endSpan(span: Span, error: unknown): void {
  if (error !== undefined && error !== null && error !== "") {
    const message = error instanceof Error ? error.message : String(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    if (error instanceof Error) span.recordException(error);
  }
  span.end();
}

/** The ids a handler's context and log lines show for a span (mqant-style 16 hex when the trace came from Go). */
export function idsOf(span: Span): { traceId: string; spanId: string } | undefined {
  const sc = span.spanContext();
  if (!isValidIds(sc.traceId, sc.spanId)) return undefined;
  return { traceId: mqantTraceId(sc.traceId), spanId: sc.spanId };
}

export { SpanKind, context as otelContext, trace as otelTrace };
