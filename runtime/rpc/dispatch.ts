/**
 * What the server reads off a call before running it, written once for the wire and the in-process path:
 * the caller's trace, mqant's argument-count error text, and an error's text for ResultInfo.Error.
 */
import { BIND_CALLER, type HandlerDescriptor } from "../descriptor.js";
import { BusyError } from "../errors.js";
import type { RPCInfo } from "../codec/envelope.js";
import { TraceSpan } from "./trace.js";
import type { UntypedCodec } from "./server-types.js";

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  return String(error);
}

/** mqant's wording for a call whose argument count does not match the handler; `got` as Go prints it. */
export function paramCountError(descriptor: HandlerDescriptor, got: string): string {
  return `The number of params ${got} is not adapted.<${descriptor.wireName}(${descriptor.params.map((p) => p.codec.tag).join(", ")})>`;
}

/**
 * A wire request's arguments as the handler takes them: through its param codecs (typed handlers; the
 * count already checked), else by their mqant tags. Throws what a codec refuses.
 */
export function decodeWireArgs(descriptor: HandlerDescriptor | undefined, req: RPCInfo, untyped: UntypedCodec): unknown[] {
  const args = new Array<unknown>(req.args.length);
  for (let i = 0; i < req.args.length; i++) {
    const codec = descriptor?.params[i]?.codec;
    args[i] = codec !== undefined ? codec.decode(req.args[i] as Uint8Array, req.argsType[i] as string) : untyped.decode(req.argsType[i] as string, req.args[i] as Uint8Array);
  }
  return args;
}

/**
 * The caller's trace, carried by a `trace` argument or a gate session (a bindable argument, or one that
 * arrived with mqant's SESSION tag): log lines of the call use it.
 */
export function traceOf(args: readonly unknown[], argsType: readonly string[] | undefined): { traceId: string | undefined; spanId: string | undefined } | undefined {
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (typeof value !== "object" || value === null) continue;
    if (value instanceof TraceSpan) return { traceId: value.Trace, spanId: value.Span };
    if (argsType?.[i] === "SESSION" || BIND_CALLER in value) {
      const session = value as { traceId?: unknown; spanId?: unknown };
      const traceId = typeof session.traceId === "string" && session.traceId !== "" ? session.traceId : undefined;
      if (traceId === undefined) continue;
      return { traceId, spanId: typeof session.spanId === "string" && session.spanId !== "" ? session.spanId : undefined };
    }
  }
  return undefined;
}

/** mqgen's refusal past the queue bound (mqant has none). */
export function busyError(type: string, fn: string, at: { readonly running: number; readonly queued: number }, maxConcurrent: number): BusyError {
  return new BusyError(`${type} rpc func(${fn}) busy: ${at.running} running, ${at.queued} queued (Rpc.MaxCoroutine=${maxConcurrent})`);
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** Go's %v of [][]byte, as in mqant's "The number of params" message. */
export function goBytesList(args: readonly Uint8Array[]): string {
  return `[${args.map((a) => `[${Array.from(a).join(" ")}]`).join(" ")}]`;
}
