/**
 * What the RPC server tells operations tooling (runtime/observe): the server span of a call, with the ids
 * its context and log lines then show, and the per-call reports to the metrics and `$SRV` observer. Apart
 * from server.ts so the dispatch code stays about dispatch.
 */
import type { RPCInfo } from "../codec/envelope.js";
import { FALLBACK_HANDLER, UNKNOWN_HANDLER, handlerReport, outcomeOf, type CallOutcome, type HandlerReport } from "../observe/hooks.js";
import { endSpan, idsOf, otelContext, startServerSpan, tracingActive, type SpanScope } from "../observe/tracing.js";
import { parseTraceSpan } from "./trace.js";

export interface TracedIds {
  readonly scope: SpanScope | undefined;
  readonly traceId: string | undefined;
  readonly spanId: string | undefined;
}

/**
 * The server span of a call from the wire: parent from the caller's traceparent (RPCInfo.Track), else a Go
 * caller's `trace` argument as sent (decoding already moved it to a new span id), else the session's ids.
 */
export function wireSpan(enabled: boolean, module: string, nodeId: string, req: RPCInfo, traceId: string | undefined, spanId: string | undefined): TracedIds {
  if (!enabled || !tracingActive()) return { scope: undefined, traceId, spanId };
  let mqantTrace = traceId;
  let mqantSpan = spanId;
  const at = req.argsType.indexOf("trace");
  if (at >= 0) {
    try {
      const sent = parseTraceSpan(req.args[at] as Uint8Array);
      mqantTrace = sent.Trace;
      mqantSpan = sent.Span;
    } catch {
      // The argument decoding already refused it.
    }
  }
  return withIds(startServerSpan(module, req.fn, nodeId, { traceparent: req.track, mqantTrace, mqantSpan }), traceId, spanId);
}

/** The server span of an in-process call (tracing on and an SDK registered): the caller's span is the active context. */
export function localSpan(module: string, nodeId: string, fn: string, traceId: string | undefined, spanId: string | undefined): TracedIds {
  return withIds(startServerSpan(module, fn, nodeId, { parent: otelContext.active(), mqantTrace: traceId, mqantSpan: spanId }), traceId, spanId);
}

function withIds(scope: SpanScope, traceId: string | undefined, spanId: string | undefined): TracedIds {
  const ids = idsOf(scope.span);
  return ids === undefined ? { scope, traceId, spanId } : { scope, traceId: ids.traceId, spanId: ids.spanId };
}

/** A call that ended before its handler ran (busy, closed, unknown, expired in the queue). */
export function refused(report: HandlerReport, scope: SpanScope | undefined, error: string, outcome: CallOutcome): void {
  report.stats?.finished(0, error, outcome, false);
  report.observer?.finished(0, error, outcome, false, callClock());
  if (scope !== undefined) endSpan(scope.span, error);
}

/**
 * A call whose handler ran, apart from a success with no span and no observer to call (the server counts
 * that one itself): its duration and outcome reported, its span ended.
 */
export function settled(report: HandlerReport, scope: SpanScope | undefined, durationMs: number, error: string | undefined, now: number): void {
  const outcome = error === undefined ? "ok" : outcomeOf(error);
  if (report.stats !== undefined) {
    if (error === undefined) report.stats.succeeded(durationMs);
    else report.stats.finished(durationMs, error, outcome, true);
  }
  report.observer?.finished(durationMs, error, outcome, true, now);
  if (scope !== undefined) endSpan(scope.span, error);
}

/*
 * The server's one clock: epoch milliseconds with sub-millisecond resolution, from the monotonic clock. A
 * call takes one reading when its handler starts and one when it ends, and each serves both the deadline
 * check and the duration; Date.now() beside performance.now() made that four, and each read costs about
 * 50 ns, which bench:rpc showed as several percent of an in-process call. It is re-anchored to Date.now()
 * every second, so a stepped wall clock is followed within a second; the +1 keeps it at or past Date.now()
 * (which truncates), so a handler whose deadline timer fired (that timer asks Date.now()) never finds its
 * result still in time.
 */
const monotonic = performance;
let anchoredAt = monotonic.now();
let offset = Date.now() + 1 - anchoredAt;

export function callClock(): number {
  const mono = monotonic.now();
  if (mono - anchoredAt > 1000) {
    anchoredAt = mono;
    offset = Date.now() + 1 - mono;
  }
  return mono + offset;
}

/** Runs a handler in its span's context, so calls it makes are the span's children. */
export function runIn<A extends unknown[], R>(scope: SpanScope | undefined, fn: (...args: A) => R, ...args: A): R {
  return scope === undefined ? fn(...args) : otelContext.with(scope.context, fn, undefined, ...args);
}

export { FALLBACK_HANDLER, UNKNOWN_HANDLER, handlerReport, outcomeOf, type HandlerReport, type SpanScope };
