/**
 * The CallContext a handler receives. The AbortSignal (and its deadline timer) is created only when the
 * handler reads `signal`, so handlers that never look at it cost no timer per call.
 */
import type { Logger } from "../log/types.js";
import { AbortedError, DeadlineExceededError } from "../errors.js";
import type { CallContext } from "../descriptor.js";
import { newId16 } from "../codec/ids.js";
import { timerDelay } from "../transport/timer.js";

/** Who aborts running handlers when the app stops; only contexts whose signal was read are tracked. */
export interface SignalOwner {
  readonly stopReason: Error | undefined;
  /** Why the call was canceled by its caller before the handler read its signal (rpc/cancel.ts). */
  canceledReason?(ctx: HandlerContext): Error | undefined;
  track(ctx: HandlerContext): void;
  untrack(ctx: HandlerContext): void;
}

function abortAtDeadline(ctx: HandlerContext, controller: AbortController): void {
  // A deadline beyond the longest timer delay fires early: arm again for the rest.
  if (Date.now() < ctx.deadline) ctx.rearm(controller);
  else controller.abort(new DeadlineExceededError());
}

export class HandlerContext implements CallContext {
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopReason: Error | undefined;
  private childLog: Logger | undefined;
  private unfollow: (() => void) | undefined;

  private trace: string | undefined;
  private span: string | undefined;
  /** Names the call for a cancel from its caller (rpc/cancel.ts); wire calls only. */
  cancelKey: string | undefined;

  constructor(
    readonly handler: string,
    readonly deadline: number,
    readonly caller: string,
    traceId: string | undefined,
    spanId: string | undefined,
    private readonly baseLog?: Logger,
    private readonly owner?: SignalOwner,
  ) {
    this.trace = traceId;
    this.span = spanId;
  }

  /** From the call's `trace` argument or Cid; in-process calls get fresh ids on first use. */
  get traceId(): string {
    return (this.trace ??= newId16());
  }

  get spanId(): string {
    return (this.span ??= newId16());
  }

  /** The module's logger with this call's trace and span ids on every line (created on first use). */
  get log(): Logger | undefined {
    if (this.childLog === undefined && this.baseLog !== undefined) {
      this.childLog = this.baseLog.child({ traceId: this.traceId, spanId: this.spanId, fn: this.handler });
    }
    return this.childLog;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      const stopped = this.stopReason ?? this.owner?.stopReason ?? this.owner?.canceledReason?.(this);
      if (stopped !== undefined) {
        controller.abort(stopped);
      } else {
        const remaining = this.deadline - Date.now();
        if (remaining <= 0) controller.abort(new DeadlineExceededError());
        else {
          this.rearm(controller);
          this.owner?.track(this);
        }
      }
    }
    return this.controller.signal;
  }

  /** @internal Arms the deadline timer for what is left of the deadline. */
  rearm(controller: AbortController): void {
    this.timer = setTimeout(abortAtDeadline, timerDelay(this.deadline, Date.now()), this, controller);
    this.timer.unref();
  }

  /** The app is stopping: abort now. */
  abort(reason: Error = new AbortedError("app stopping")): void {
    this.stopReason ??= reason;
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(reason);
    this.release();
  }

  /**
   * The caller's own signal (an in-process call): when it fires, so does this call's. The listener goes at
   * release(), so a signal shared by many calls does not collect one per call.
   */
  followCaller(signal: AbortSignal): void {
    const onAbort = (): void => this.abort(new AbortedError("canceled by the caller"));
    signal.addEventListener("abort", onAbort, { once: true });
    this.unfollow = () => signal.removeEventListener("abort", onAbort);
  }

  /** The call finished: drop the deadline timer and the caller's signal listener. */
  release(): void {
    if (this.unfollow !== undefined) {
      this.unfollow();
      this.unfollow = undefined;
    }
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.owner?.untrack(this);
  }
}

/** The per-call logger of a handler's context; `ctx.log` says the same (kept for code written before it). */
export function callLogger(ctx: CallContext): Logger | undefined {
  return ctx instanceof HandlerContext ? ctx.log : undefined;
}
