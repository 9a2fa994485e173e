/**
 * One RpcServer per running module instance. Both transports feed it: NATS (wire requests, protobuf already
 * stripped) and the in-process fast path (JS values). Either way a call goes through the same queue, so
 * serial/concurrent semantics, the Rpc.MaxCoroutine bound, the queue bound, deadlines and hook behaviour
 * are identical whether the caller sits in this process or not.
 *
 * Choices where mqant has no behaviour:
 * - `register` handlers of one module instance run one at a time in arrival order (mqant runs them on the
 *   receive loop); `registerGo` handlers run concurrently up to `maxConcurrent`, then wait in a FIFO queue
 *   of at most `maxQueue` calls. Past that the caller gets BusyError
 *   `"<type> rpc func(<fn>) busy: <running> running, <queued> queued (Rpc.MaxCoroutine=<n>)"`.
 * - A call whose deadline passes while queued is dropped without running; a result produced after the
 *   deadline is not sent (the caller already reported "deadline exceeded").
 * - A thrown error becomes ResultInfo.Error (its message) with ResultType "null".
 */
import { AbortedError, BadArgumentError, BusyError, DeadlineExceededError, NodeStoppingError, type MqgenError, RemoteError, errorFromWire, wireErrorCode } from "../errors.js";
import { BIND_CALLER } from "../descriptor.js";
import type {
  CallerBindable,
  HandlerDescriptor,
  HandlerMode,
  ModuleDescriptor,
  ModuleServer,
  RawHandler,
  TypedHandler,
} from "../descriptor.js";
import { HandlerContext, type SignalOwner } from "./context.js";
import type { ResultInfo, RPCInfo } from "../codec/envelope.js";
import type { Endpoint, LocalSink, WireResponder } from "../transport/endpoint.js";
import { Scheduler } from "./scheduler.js";
import { onWire } from "./typed.js";
import { runServerChain } from "../middleware/chain.js";
import { CancelBook, cancelKey } from "./cancel.js";
import { busyError, decodeWireArgs, errorText, goBytesList, isThenable, paramCountError, traceOf } from "./dispatch.js";
import type { CompleteInfo, HandleInfo, RpcServerOptions, ServerHooks, UntypedCodec } from "./server-types.js";
import { FALLBACK_HANDLER, UNKNOWN_HANDLER, callClock, handlerReport, localSpan, outcomeOf, refused, runIn, settled, wireSpan, type HandlerReport, type SpanScope } from "./server-observe.js";
import { tracingActive } from "../observe/tracing.js";

export type { CompleteInfo, HandleInfo, RpcServerOptions, ServerHooks, UntypedCodec };

/** A handler with what its calls report to (`stats`, `observer`), bound at registration: no lookup per call. */
interface Registered extends HandlerReport {
  readonly name: string;
  readonly mode: HandlerMode;
  readonly handler: RawHandler;
  /** Typed handlers only. */
  readonly descriptor: HandlerDescriptor | undefined;
}

interface Job {
  readonly entry: Registered;
  readonly args: unknown[];
  readonly ctx: HandlerContext;
  readonly reply: boolean;
  readonly started: number;
  /** Wire reply subject and Cid, or the in-process promise callbacks. */
  readonly cid: string;
  readonly replyTo: string;
  readonly respond: WireResponder | undefined;
  readonly sink: LocalSink | undefined;
  readonly trace: SpanScope | undefined;
}

const EMPTY = new Uint8Array(0);

export class RpcServer implements ModuleServer, SignalOwner, Endpoint {
  readonly type: string;
  readonly nodeId: string;
  /** Wire name → handler hash, for registry metadata and contract checks. */
  readonly handlerHashes = new Map<string, string>();
  schemaHash: string | undefined;

  private readonly handlers = new Map<string, Registered>();
  private readonly scheduler: Scheduler<Job>;
  /** Running calls whose handler watches its signal. */
  private readonly active = new Set<HandlerContext>();
  private readonly cancels = new CancelBook();
  stopReason: Error | undefined;
  private accepting = true;
  private lastSkewWarning = 0;
  /** Tracing not switched off for this app: spans start once an SDK is registered. */
  private readonly tracing: boolean;

  constructor(private readonly options: RpcServerOptions) {
    this.type = options.type;
    this.nodeId = options.nodeId;
    this.tracing = options.tracing !== false;
    this.scheduler = new Scheduler<Job>(options.maxConcurrent, options.maxQueue, (job, now) => this.start(job, now));
  }

  // --- registration (ModuleServer) ---

  register(fn: string, handler: RawHandler): void {
    this.add(this.entry(fn, "serial", handler, undefined));
  }

  registerGo(fn: string, handler: RawHandler): void {
    this.add(this.entry(fn, "concurrent", handler, undefined));
  }

  registerHandler<A extends readonly unknown[], R>(module: ModuleDescriptor, handler: HandlerDescriptor<A, R>, fn: NoInfer<TypedHandler<A, R>>): void {
    if (module.type !== this.type) {
      throw new BadArgumentError(`registerHandler: descriptor of module ${module.type} on a ${this.type} node`);
    }
    // The one widening of a typed handler: every call decodes its arguments with this descriptor's param
    // codecs (ValueCodec<A[i]>) before it runs, so the array it receives is the A it was typed with.
    const raw = fn as unknown as RawHandler;
    this.add(this.entry(handler.wireName, handler.mode, raw, handler));
    this.handlerHashes.set(handler.wireName, handler.hash);
    this.schemaHash = module.schemaHash;
  }

  private entry(name: string, mode: HandlerMode, handler: RawHandler, descriptor: HandlerDescriptor | undefined): Registered {
    const { stats, observer } = handlerReport(this.options.observer, name);
    return { name, mode, handler, descriptor, stats, observer };
  }

  private add(entry: Registered): void {
    if (this.handlers.has(entry.name)) {
      throw new BadArgumentError(`${this.type} rpc func(${entry.name}) already registered`);
    }
    this.handlers.set(entry.name, entry);
  }

  /** Registered wire names (for diagnostics). */
  get handlerNames(): string[] {
    return [...this.handlers.keys()];
  }

  /** The typed descriptor of a handler, when registered through one. */
  descriptorOf(fn: string): HandlerDescriptor | undefined {
    return this.handlers.get(fn)?.descriptor;
  }

  // --- dispatch from NATS ---

  /** A request from the wire; `respond` publishes a reply (never called for Reply=false calls). */
  handleWire(req: RPCInfo, respond: WireResponder): void {
    const entry = this.lookup(req.fn);
    if (entry === undefined) {
      this.finishEarly(req, respond, `Remote function(${req.fn}) not found`, this.fixedReport(UNKNOWN_HANDLER));
      return;
    }
    const descriptor = entry.descriptor;
    if (descriptor !== undefined && req.args.length !== descriptor.params.length) {
      this.finishEarly(req, respond, paramCountError(descriptor, goBytesList(req.args)), entry);
      return;
    }
    let args: unknown[];
    let trace: ReturnType<typeof traceOf>;
    try {
      args = decodeWireArgs(descriptor, req, this.options.untyped);
      trace = traceOf(args, req.argsType);
    } catch (err) {
      this.finishEarly(req, respond, `${this.type} rpc func(${req.fn}) error ${errorText(err)}`, entry);
      return;
    }
    const now = callClock();
    const deadline = req.expired > 0 ? req.expired : now + 10_000;
    if (deadline < now && now - this.lastSkewWarning > 10_000) {
      // The deadline is the caller's clock; a request that arrives already expired usually means the
      // hosts' clocks disagree, which would make this node drop every call from that caller.
      this.lastSkewWarning = now;
      this.options.log.warn(
        `rpc ${req.fn} from ${req.caller || "?"} arrived ${now - deadline} ms after its deadline; dropped (check clock sync between hosts)`,
      );
    }
    const traced = wireSpan(this.tracing, this.type, this.nodeId, req, trace?.traceId, trace?.spanId);
    const ctx = new HandlerContext(entry.name, deadline, req.caller, traced.traceId, traced.spanId, this.options.log, this);
    ctx.cancelKey = cancelKey(req.replyTo, req.cid);
    this.enqueue({ entry, args, ctx, reply: req.reply, started: 0, cid: req.cid, replyTo: req.replyTo, respond, sink: undefined, trace: traced.scope }, now);
  }

  private finishEarly(req: RPCInfo, respond: WireResponder, error: string, report: HandlerReport): void {
    refused(report, undefined, error, outcomeOf(error) === "not_found" ? "not_found" : "bad_request");
    this.options.hooks.onComplete?.({ module: this.type, nodeId: this.nodeId, handler: req.fn, durationMs: 0, error });
    if (this.options.logCalls) this.options.log.info({ fn: req.fn, cid: req.cid }, `rpc ${req.fn} refused: ${error}`);
    if (req.reply) respond(req.replyTo, { cid: req.cid, error, resultType: "null", result: EMPTY });
    else this.options.log.warn(`${this.type} rpc func(${req.fn}) (no reply wanted): ${error}`);
  }

  // --- dispatch in process ---

  /**
   * An in-process call. `args` must already be private copies (the local transport clones them). Resolves
   * with a private copy of the result; rejects with the same error classes a NATS caller would see.
   */
  handleLocal(fn: string, args: unknown[], deadline: number, caller: string, sink: LocalSink | undefined, signal?: AbortSignal, now?: number): void {
    const entry = this.lookup(fn);
    if (entry === undefined) {
      refused(this.fixedReport(UNKNOWN_HANDLER), undefined, `Remote function(${fn}) not found`, "not_found");
      sink?.reject(new RemoteError(`Remote function(${fn}) not found`));
      return;
    }
    const descriptor = entry.descriptor;
    if (descriptor !== undefined && args.length !== descriptor.params.length) {
      refused(entry, undefined, "wrong number of params", "bad_request");
      sink?.reject(new RemoteError(paramCountError(descriptor, String(args.length))));
      return;
    }
    // The caller's trace, replaced by the server span's ids when there is a span (checked here, so a call
    // without one makes nothing for it).
    let ids = traceOf(args, undefined);
    let scope: SpanScope | undefined;
    if (this.tracing && tracingActive()) {
      const traced = localSpan(this.type, this.nodeId, fn, ids?.traceId, ids?.spanId);
      scope = traced.scope;
      ids = traced;
    }
    const ctx = new HandlerContext(entry.name, deadline, caller, ids?.traceId, ids?.spanId, this.options.log, this);
    if (signal !== undefined) ctx.followCaller(signal);
    this.enqueue({ entry, args, ctx, reply: sink !== undefined, started: 0, cid: "", replyTo: "", respond: undefined, sink, trace: scope }, now);
  }

  private lookup(fn: string): Registered | undefined {
    const entry = this.handlers.get(fn);
    if (entry !== undefined) return entry;
    const fallback = this.options.hooks.onNotFound?.({ module: this.type, nodeId: this.nodeId, fn });
    if (fallback === undefined) return undefined;
    return { name: fn, mode: "concurrent", handler: fallback, descriptor: undefined, ...this.fixedReport(FALLBACK_HANDLER) };
  }

  // --- scheduling ---

  /** `now`: the clock reading the caller just took, if any (one less per call). */
  private enqueue(job: Job, now?: number): void {
    if (!this.accepting) {
      this.fail(job, new NodeStoppingError(`${this.type} rpc server closed`));
      return;
    }
    const admission = this.scheduler.submit(job, job.entry.mode, now);
    if (typeof admission === "object") this.fail(job, busyError(this.type, job.entry.name, admission, this.options.maxConcurrent));
  }

  /** Reports an error that happened before the handler ran. */
  private fail(job: Job, error: MqgenError): void {
    job.ctx.release();
    refused(job.entry, job.trace, error.message, error instanceof BusyError ? "busy" : "closed");
    this.options.hooks.onComplete?.({ module: this.type, nodeId: this.nodeId, handler: job.entry.name, durationMs: 0, error: error.message });
    if (job.respond !== undefined) {
      if (job.reply) job.respond(job.replyTo, { cid: job.cid, error: error.message, resultType: "null", result: EMPTY });
    } else {
      job.sink?.reject(error);
    }
  }

  private start(job: Job, now: number = callClock()): void {
    const ctx = job.ctx;
    if (now > ctx.deadline) {
      // Queued past its deadline: the caller gave up, so the work is not done at all, and nothing is sent.
      const error = new DeadlineExceededError();
      ctx.release();
      refused(job.entry, job.trace, error.message, "deadline");
      this.options.hooks.onComplete?.({ module: this.type, nodeId: this.nodeId, handler: job.entry.name, durationMs: 0, error: error.message });
      job.sink?.reject(error);
      this.next(job.entry.mode);
      return;
    }
    (job as { started: number }).started = now;
    const entry = job.entry;
    if (entry.stats !== undefined) entry.stats.starts++;
    entry.observer?.started();
    const hooks = this.options.hooks;
    try {
      if (hooks.onBeforeHandle !== undefined) {
        const refusal = hooks.onBeforeHandle({ module: this.type, nodeId: this.nodeId, handler: job.entry.name, args: job.args, ctx });
        if (refusal !== undefined && refusal !== null && refusal !== "") {
          if (isThenable(refusal)) {
            refusal.then(
              (value) => (value !== undefined && value !== null && value !== "" ? this.settle(job, undefined, errorText(value)) : this.invoke(job)),
              (err: unknown) => this.settle(job, undefined, errorText(err)),
            );
            return;
          }
          this.settle(job, undefined, errorText(refusal));
          return;
        }
      }
    } catch (err) {
      this.settle(job, undefined, errorText(err));
      return;
    }
    this.invoke(job);
  }

  private invoke(job: Job): void {
    const args = job.args;
    let out: unknown;
    try {
      // Inside the try: binding an argument can fail too, and every accepted call must get an answer.
      for (let i = 0; i < args.length; i++) {
        const arg = args[i];
        if (typeof arg === "object" && arg !== null && BIND_CALLER in arg) {
          (arg as CallerBindable)[BIND_CALLER](this.options.caller);
        }
      }
      const chain = this.options.middleware?.server(this.type);
      out = chain === undefined || chain.length === 0 ? runIn(job.trace, job.entry.handler, args, job.ctx) : runIn(job.trace, runServerChain, chain, this, job.entry, args, job.ctx);
    } catch (err) {
      this.settle(job, undefined, errorText(err), wireErrorCode(err));
      return;
    }
    if (isThenable(out)) {
      out.then(
        (value) => this.settle(job, value, undefined),
        (err: unknown) => this.settle(job, undefined, errorText(err), wireErrorCode(err)),
      );
    } else {
      this.settle(job, out, undefined);
    }
  }

  /** `code`: what wireErrorCode() says of a handler's error, sent beside its text. */
  private settle(job: Job, result: unknown, error: string | undefined, code = ""): void {
    const ctx = job.ctx;
    ctx.release();
    const now = callClock();
    const durationMs = now - job.started;
    const entry = job.entry;
    // The common end of a call (it succeeded, no span, nothing else watching) is counted right here.
    if (error === undefined && job.trace === undefined && entry.observer === undefined) entry.stats?.succeeded(durationMs);
    else settled(entry, job.trace, durationMs, error, now);
    if (this.options.hooks.onComplete !== undefined) {
      try {
        this.options.hooks.onComplete({ module: this.type, nodeId: this.nodeId, handler: job.entry.name, durationMs, error });
      } catch (err) {
        this.options.log.warn({ err }, "onComplete hook threw");
      }
    }
    if (this.options.logCalls || (error === undefined && this.options.logSuccess === true)) {
      (ctx.log ?? this.options.log).info(
        { durationMs: Math.round(durationMs * 1000) / 1000, caller: ctx.caller },
        error === undefined ? `rpc ${job.entry.name} ok` : `rpc ${job.entry.name} error: ${error}`,
      );
    }
    // >= because the handler's signal fires when the clock reaches the deadline: a handler that stops on
    // its signal must not get its "aborted" outcome sent as a late reply.
    if (now >= ctx.deadline) {
      this.options.log.debug({ traceId: ctx.traceId, spanId: ctx.spanId }, `rpc ${job.entry.name}: result after the caller's deadline dropped`);
      job.sink?.reject(new DeadlineExceededError());
    } else {
      this.complete(job, result, error, code);
    }
    this.next(job.entry.mode);
  }

  private complete(job: Job, result: unknown, error: string | undefined, code: string): void {
    const descriptor = job.entry.descriptor;
    const respond = job.respond;
    if (respond !== undefined) {
      if (!job.reply) {
        if (error !== undefined) this.options.log.warn(`${this.type} rpc func(${job.entry.name}) (no reply wanted) error: ${error}`);
        return;
      }
      if (error !== undefined) {
        respond(job.replyTo, code === "" ? { cid: job.cid, error, resultType: "null", result: EMPTY } : { cid: job.cid, error, resultType: "null", result: EMPTY, errorCode: code });
        return;
      }
      let reply: ResultInfo;
      try {
        if (descriptor !== undefined) {
          reply = { cid: job.cid, error: "", resultType: descriptor.result.tag, result: descriptor.result.encode(result) };
        } else {
          const encoded = this.options.untyped.encode(result);
          reply = { cid: job.cid, error: "", resultType: encoded.tag, result: encoded.bytes };
        }
      } catch (err) {
        reply = { cid: job.cid, error: `${this.type} rpc func(${job.entry.name}) result error ${errorText(err)}`, resultType: "null", result: EMPTY };
      }
      respond(job.replyTo, reply);
      return;
    }
    if (error !== undefined) {
      job.sink?.reject(errorFromWire(error, code));
      return;
    }
    let copy: unknown;
    try {
      // Typed results as a wire caller decodes them (same refusals and conversions, see client.ts asOnWire).
      copy = descriptor !== undefined ? onWire(descriptor.result, result) : this.options.untyped.clone(result);
    } catch (err) {
      job.sink?.reject(new RemoteError(`${this.type} rpc func(${job.entry.name}) result error ${errorText(err)}`));
      return;
    }
    job.sink?.resolve(copy);
  }

  private next(mode: HandlerMode): void {
    this.scheduler.done(mode);
  }

  get isIdle(): boolean {
    return this.scheduler.isIdle;
  }

  /** Calls running or waiting. */
  get pending(): number {
    return this.scheduler.pending;
  }

  // --- shutdown ---

  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Stop taking calls; calls already accepted still run. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Resolves when every accepted call has finished, or false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.scheduler.whenIdle(timeoutMs);
  }

  /** Fires every running handler's signal (app stopping for good); signals read later fire at once. */
  abortAll(): void {
    this.stopReason ??= new AbortedError("app stopping");
    for (const ctx of [...this.active]) ctx.abort(this.stopReason);
  }

  /** The caller of the wire call (`replyTo`, `cid`) gave up: its handler's signal fires. */
  cancel(replyTo: string, cid: string): void {
    this.cancels.cancel(this.active, cancelKey(replyTo, cid));
  }

  canceledReason(ctx: HandlerContext): Error | undefined {
    return this.cancels.reasonFor(ctx);
  }

  track(ctx: HandlerContext): void {
    this.active.add(ctx);
  }

  untrack(ctx: HandlerContext): void {
    this.active.delete(ctx);
  }

  /** Calls waiting (not running) per handler, for the queue-depth gauge; walks the queues, so scrape-time only. */
  readonly queuedByHandler = (): Map<string, number> => this.scheduler.countQueued((job) => job.entry.name);

  private readonly fixed: Partial<Record<string, HandlerReport>> = {};
  /** Unknown handlers and fallback-served calls report under one fixed name each: wire names mint no labels. */
  private fixedReport(name: typeof UNKNOWN_HANDLER | typeof FALLBACK_HANDLER): HandlerReport {
    return (this.fixed[name] ??= handlerReport(this.options.observer, name));
  }
}

