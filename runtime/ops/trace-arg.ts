/** Go mqant's trace carrier from the active OpenTelemetry span. */
import { activeMqantIds } from "../observe/tracing.js";
import { TraceSpan } from "../rpc/trace.js";

/**
 * What traceSpanOf reads of a span. An OpenTelemetry `Span` (of @opentelemetry/api or any SDK) is one; the
 * public types name only this, so OpenTelemetry's declarations stay out of a consumer's program.
 */
export interface TracedSpan {
  spanContext(): { readonly traceId: string; readonly spanId: string };
}

/**
 * A `trace` argument for a call to a Go mqant handler that continues the active span (or `span`'s): Go
 * logs and forwards the same trace id, and an mqgen node behind it continues this trace. Without a
 * recording span, a new mqant root trace.
 */
export function traceSpanOf(span?: TracedSpan): TraceSpan {
  const ids = activeMqantIds(span);
  return ids === undefined ? TraceSpan.create() : new TraceSpan(ids.trace, ids.span);
}
