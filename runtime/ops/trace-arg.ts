/** Go mqant's trace carrier from the active OpenTelemetry span. */
import type { Span } from "@opentelemetry/api";
import { activeMqantIds } from "../observe/tracing.js";
import { TraceSpan } from "../rpc/trace.js";

/**
 * A `trace` argument for a call to a Go mqant handler that continues the active span (or `span`'s): Go
 * logs and forwards the same trace id, and an mqgen node behind it continues this trace. Without a
 * recording span, a new mqant root trace.
 */
export function traceSpanOf(span?: Span): TraceSpan {
  const ids = activeMqantIds(span);
  return ids === undefined ? TraceSpan.create() : new TraceSpan(ids.trace, ids.span);
}
