/**
 * The in-process fast path: calls to a node running in this process go straight into its Endpoint's
 * queue, skipping NATS and the protobuf envelope, with the same deadline, abort and error behaviour as a
 * NATS call. Typed calls hand over codec-cloned values; everything else travels as encoded mqant
 * arguments, so the handler sees exactly what it would have decoded from the wire.
 */
import { AbortedError, DeadlineExceededError, ClosedError } from "../errors.js";
import type { Endpoint, LocalSink, WireResponder } from "./endpoint.js";
import type { ResultInfo, RPCInfo } from "../codec/envelope.js";
import { timerDelay } from "./timer.js";

class LocalPending {
  resolve!: (reply: ResultInfo) => void;
  reject!: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** One in-process typed call: settles once, by result, error, deadline or abort. */
class ValueCall implements LocalSink {
  onResolve!: (value: unknown) => void;
  onReject!: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  private finished = false;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined;

  watch(signal: AbortSignal): void {
    this.signal = signal;
    this.onAbort = () => this.reject(new AbortedError());
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal?.removeEventListener("abort", this.onAbort);
    return true;
  }

  resolve(value: unknown): void {
    if (this.finish()) this.onResolve(value);
  }

  reject(error: Error): void {
    if (this.finish()) this.onReject(error);
  }
}

function onValueTimeout(call: ValueCall, deadline: number): void {
  // A deadline beyond the longest timer delay fires early: arm again for the rest.
  if (Date.now() < deadline) call.timer = setTimeout(onValueTimeout, timerDelay(deadline, Date.now()), call, deadline);
  else call.reject(new DeadlineExceededError());
}

function onTimeout(transport: LocalTransport, cid: string, deadline: number): void {
  if (Date.now() < deadline) transport.rearm(cid, deadline);
  else transport.settleError(cid, new DeadlineExceededError());
}

/** `E` is the endpoint type the app adds, so the caller side gets back what it put in. */
export class LocalTransport<E extends Endpoint = Endpoint> {
  private readonly servers = new Map<string, E>();
  private readonly pending = new Map<string, LocalPending>();
  private closed = false;
  private readonly respond: WireResponder = (_replyTo, reply) => {
    const call = this.pending.get(reply.cid);
    if (call === undefined) return;
    this.pending.delete(reply.cid);
    this.cleanup(call);
    call.resolve(reply);
  };

  add(server: E): void {
    this.servers.set(server.nodeId, server);
  }

  remove(nodeId: string): void {
    this.servers.delete(nodeId);
  }

  /** The server of a node running in this process. */
  get(nodeId: string): E | undefined {
    return this.servers.get(nodeId);
  }

  /** A call with encoded arguments (untyped and pre-encoded calls). */
  requestEncoded(server: Endpoint, req: RPCInfo, signal: AbortSignal | undefined): Promise<ResultInfo> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const call = new LocalPending();
    const promise = new Promise<ResultInfo>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    const cid = req.cid;
    this.pending.set(cid, call);
    call.timer = setTimeout(onTimeout, timerDelay(req.expired, Date.now()), this, cid, req.expired);
    if (signal !== undefined) {
      call.signal = signal;
      call.onAbort = () => {
        server.cancel?.(req.replyTo, cid);
        this.settleError(cid, new AbortedError());
      };
      signal.addEventListener("abort", call.onAbort, { once: true });
    }
    req.reply = true;
    server.handleWire(req, this.respond);
    return promise;
  }

  /** Fire-and-forget with encoded arguments. */
  sendEncoded(server: Endpoint, req: RPCInfo): void {
    if (this.closed) throw new ClosedError();
    req.reply = false;
    server.handleWire(req, this.respond);
  }

  /**
   * A typed call with already cloned arguments. The caller's deadline and signal are enforced here, so a
   * slow handler cannot hold the caller past its deadline.
   */
  requestValues(server: Endpoint, fn: string, args: unknown[], deadline: number, signal: AbortSignal | undefined, caller: string, now?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClosedError());
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const call = new ValueCall();
    const promise = new Promise<unknown>((resolve, reject) => {
      call.onResolve = resolve;
      call.onReject = reject;
    });
    server.handleLocal(fn, args, deadline, caller, call, signal, now);
    // Synchronous handlers have already answered: no timer or listener needed for them.
    if (!call.isFinished) {
      call.timer = setTimeout(onValueTimeout, timerDelay(deadline, Date.now()), call, deadline);
      if (signal !== undefined) call.watch(signal);
    }
    return promise;
  }

  /** Typed fire-and-forget with cloned arguments. */
  sendValues(server: Endpoint, fn: string, args: unknown[], deadline: number, caller: string): void {
    if (this.closed) throw new ClosedError();
    server.handleLocal(fn, args, deadline, caller, undefined);
  }

  /** @internal */
  rearm(cid: string, deadline: number): void {
    const call = this.pending.get(cid);
    if (call !== undefined) call.timer = setTimeout(onTimeout, timerDelay(deadline, Date.now()), this, cid, deadline);
  }

  /** @internal */
  settleError(cid: string, error: Error): void {
    const call = this.pending.get(cid);
    if (call === undefined) return;
    this.pending.delete(cid);
    this.cleanup(call);
    call.reject(error);
  }

  private cleanup(call: LocalPending): void {
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (call.onAbort !== undefined) call.signal?.removeEventListener("abort", call.onAbort);
  }

  close(): void {
    this.closed = true;
    for (const cid of [...this.pending.keys()]) this.settleError(cid, new ClosedError());
    this.servers.clear();
  }
}
