/**
 * The caller side: picks a node (selector), then calls it in process when it runs here (LocalTransport)
 * or over NATS. Errors are the typed classes of errors.ts with mqant's wording. The hot path (cached
 * selection, one reply subscription, pending calls in a ring keyed by the Cid's counter, see
 * transport/pending.ts) avoids per-call closures and awaits
 * where it can.
 */
import { hostname as osHostname } from "node:os";
import type { Logger } from "../log/types.js";
import { AbortedError, BadArgumentError, ClosedError, NoneAvailableError, RemoteError, errorFromWire, isNodeFailure } from "../errors.js";
import type { ServiceNode } from "../registry/types.js";
import { parseTarget, type Selector } from "../selector/selector.js";
import type { NatsTransport } from "../transport/nats.js";
import type { LocalTransport } from "../transport/local.js";
import type { RpcServer } from "./server.js";
import type { ResultInfo, RPCInfo } from "../codec/envelope.js";
import { decodeArg, encodeArgs } from "./args.js";
import { callClock } from "./server-observe.js";
import type {
  ArgSerializer,
  CallOptions,
  HandlerDescriptor,
  ModuleDescriptor,
  RawResult,
  RpcCaller,
} from "../descriptor.js";
import { newCid } from "../codec/ids.js";
import { schemaCheckedOptions, type SchemaGuard } from "./schema-check.js";
import { noteNode, runClientChain, type MiddlewareStack } from "../middleware/chain.js";
import { TypedReply, asOnWire, encodeTypedArgs, mayRetry, type TypedArgs, type TypedDescriptor } from "./typed.js";
import type { ClientObserver } from "../observe/hooks.js";
import { trackOf, traced, tracingActive } from "../observe/tracing.js";

export interface RpcClientOptions {
  readonly selector: Selector;
  readonly local: LocalTransport<RpcServer>;
  /** Undefined when the app runs in process only. */
  readonly nats: NatsTransport | undefined;
  readonly serializers: readonly ArgSerializer[];
  /** Default call timeout in ms when neither the call nor the schema sets one. */
  readonly timeoutMs: () => number;
  readonly log: Logger;
  /** Attempts for retry-safe calls whose node vanished (default 3). */
  readonly maxAttempts?: number;
  readonly hostname?: string;
  /** Contract check of typed calls (schema-check.ts); without one, nodes are picked ignoring schema hashes. */
  readonly schemaGuard?: SchemaGuard;
  /** The app's middleware; its client chain wraps every call to a module it applies to. */
  readonly middleware?: MiddlewareStack;
  /** Retry counter (runtime/ops). */
  readonly observer?: ClientObserver;
  /** Client spans when an OpenTelemetry SDK is registered (default true). */
  readonly tracing?: boolean;
}

/**
 * Latest deadline a call may have: RPCInfo.Expired is an integer of unix ms, so `now + timeout` must stay
 * a safe integer; 2^52 ms is about 140,000 years from 1970. Longer timeouts (Infinity too) mean "no limit"
 * in practice and are clamped to it; the timers along the way re-arm (transport/timer.ts).
 */
const LATEST_DEADLINE = 2 ** 52;

/** The deadline of a call with `timeout` ms from `now`; a timeout that is no number is refused. */
function deadlineAfter(timeout: number, now: number): number {
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new BadArgumentError(`call timeout must be a number of ms, got ${String(timeout)}`);
  }
  const deadline = now + Math.ceil(timeout);
  return deadline > LATEST_DEADLINE ? LATEST_DEADLINE : deadline;
}

export class RpcClient implements RpcCaller {
  private readonly hostname: string;
  private readonly maxAttempts: number;
  private closed = false;

  constructor(private readonly options: RpcClientOptions) {
    this.hostname = options.hostname ?? osHostname();
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  private get tracing(): boolean {
    return this.options.tracing !== false && tracingActive();
  }

  // --- RpcCaller ---

  call(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<unknown> {
    const chain = this.options.middleware?.client(typeOf(target));
    if (chain === undefined || chain.length === 0) return this.callDirect(target, fn, args, options);
    const info = { module: typeOf(target), handler: fn, descriptor: undefined, args, retrySafe: false };
    return runClientChain(chain, info, options, this.deadlineOf(options?.timeout), (o) => this.callDirect(target, fn, args, o));
  }

  private callDirect(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<unknown> {
    if (this.tracing) return traced(typeOf(target), fn, () => this.callUntraced(target, fn, args, options));
    return this.callUntraced(target, fn, args, options);
  }

  private async callUntraced(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<unknown> {
    const encoded = encodeArgs(args, this.options.serializers);
    const reply = await this.send(target, fn, encoded.argsType, encoded.args, options, false);
    if (reply.error !== "") throw errorFromWire(reply.error, reply.errorCode);
    return decodeArg(reply.resultType, reply.result, this.options.serializers);
  }

  callNR(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<void> {
    if (this.tracing) return traced(parseTarget(target).type, fn, () => this.callNRUntraced(target, fn, args, options));
    return this.callNRUntraced(target, fn, args, options);
  }

  private async callNRUntraced(target: string, fn: string, args: readonly unknown[], options?: CallOptions): Promise<void> {
    const encoded = encodeArgs(args, this.options.serializers);
    await this.sendNR(target, fn, encoded.argsType, encoded.args, options);
  }

  callHandler<A extends readonly unknown[], R>(module: ModuleDescriptor, handler: HandlerDescriptor<A, R>, args: NoInfer<A>, options?: CallOptions): Promise<R> {
    const chain = this.options.middleware?.client(module.type);
    if (chain === undefined || chain.length === 0) return this.callHandlerDirect<R>(module, handler, args, options);
    const info = { module: module.type, handler: handler.wireName, descriptor: handler, args, retrySafe: handler.retrySafe };
    const deadline = this.deadlineOf(options?.timeout ?? handler.timeoutMs);
    return runClientChain(chain, info, options, deadline, (o) => this.callHandlerDirect<R>(module, handler, args, o)) as Promise<R>;
  }

  /** The deadline a call with this timeout (or the app's default) has from now. */
  private deadlineOf(timeout: number | undefined): number {
    return deadlineAfter(timeout ?? this.options.timeoutMs(), Date.now());
  }

  private callHandlerDirect<R>(module: ModuleDescriptor, handler: TypedDescriptor<R>, args: readonly unknown[], options?: CallOptions): Promise<R> {
    if (this.tracing) return traced(module.type, handler.wireName, () => this.callHandlerUntraced<R>(module, handler, args, options));
    return this.callHandlerUntraced<R>(module, handler, args, options);
  }

  private callHandlerUntraced<R>(module: ModuleDescriptor, handler: TypedDescriptor<R>, args: readonly unknown[], options?: CallOptions): Promise<R> {
    // Fast path: a cached node of this process serving the same contract — straight into its queue.
    if (!this.closed && options?.node === undefined && options?.select === undefined) {
      const node = this.options.selector.trySelect(module.type, undefined);
      const server = node === undefined ? undefined : this.options.local.get(node.id);
      if (server !== undefined && server.isAccepting && server.descriptorOf(handler.wireName)?.hash === handler.hash) {
        noteNode(options, server.nodeId);
        let copies: unknown[];
        try {
          copies = asOnWire(handler.params, args);
        } catch (err) {
          return Promise.reject(err as Error);
        }
        const timeout = options?.timeout ?? handler.timeoutMs ?? this.options.timeoutMs();
        // The server's clock, handed on: a call that starts at once reads no clock of its own (each read is
        // about 40 ns, a tenth of an in-process call). Deadlines stay whole milliseconds, as everywhere.
        const now = callClock();
        return this.options.local.requestValues(server, handler.wireName, copies, deadlineAfter(timeout, Math.floor(now)), options?.signal, this.hostname, now) as Promise<R>;
      }
      const nats = this.options.nats;
      // Contract check (schema-check.ts): a node built from another schema is left to the routed path.
      const guard = this.options.schemaGuard;
      if (
        node !== undefined && server === undefined && nats !== undefined && !isLocalAddress(node.address) &&
        (guard === undefined || guard.isPreferred(module, handler, node, this.options.selector.cache.peek(module.type)))
      ) {
        noteNode(options, node.id);
        return this.callHandlerNats<R>(nats, node, module, handler, args, options);
      }
    }
    return this.callHandlerRouted<R>(module, handler, args, options);
  }

  /** Typed call to a cached remote node without the routing loop; failures that allow it take the loop. */
  private callHandlerNats<R>(
    nats: NatsTransport,
    node: ServiceNode,
    module: ModuleDescriptor,
    handler: TypedDescriptor<R>,
    args: readonly unknown[],
    options: CallOptions | undefined,
  ): Promise<R> {
    let typed: TypedArgs;
    try {
      typed = encodeTypedArgs(module, handler, args);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const { argsType, encoded } = typed;
    const timeout = options?.timeout ?? handler.timeoutMs ?? this.options.timeoutMs();
    const now = Date.now();
    const deadline = deadlineAfter(timeout, now);
    const req = this.request(handler.wireName, argsType, encoded, deadline);
    return nats.requestWith(node.address, node.id, req, deadline, options?.signal, new TypedReply<R>(this, node, module, handler, args, options, deadline), now);
  }

  /** @internal Retries a failed typed call through the routing loop when the failure allows it. */
  retryTyped<R>(
    err: unknown,
    node: ServiceNode,
    module: ModuleDescriptor,
    handler: TypedDescriptor<R>,
    args: readonly unknown[],
    options: CallOptions | undefined,
    deadline: number,
  ): Promise<R> {
    if (!mayRetry(err, handler.retrySafe)) return Promise.reject(err as Error);
    this.options.observer?.retry(module.type, handler.wireName);
    this.dropNode(options, node.id, err);
    const remaining = deadline - Date.now();
    return this.callHandlerRouted<R>(module, handler, args, { ...options, timeout: remaining > 0 ? remaining : 1 });
  }

  private async callHandlerRouted<R>(module: ModuleDescriptor, handler: TypedDescriptor<R>, args: readonly unknown[], options?: CallOptions): Promise<R> {
    if (this.closed) throw new ClosedError();
    const params = handler.params;
    const target = options?.node !== undefined ? nodeTarget(module.type, options.node) : module.type;
    const timeout = options?.timeout ?? handler.timeoutMs ?? this.options.timeoutMs();
    const deadline = deadlineAfter(timeout, Date.now());
    let failure: unknown;
    let typed: TypedArgs | undefined;
    const guard = this.options.schemaGuard;
    for (let attempt = 1; ; attempt++) {
      // Contract check (schema-check.ts): pick among nodes built from this stub's schema; when none is,
      // SchemaMismatchError ("reject") or a warning ("warn"). Synchronous while no node mismatches.
      const checked = guard === undefined ? options : schemaCheckedOptions(guard, this.options.selector.within({ deadline, signal: options?.signal }), module, handler, target, options);
      const callOptions = checked instanceof Promise ? await checked : checked;
      const picked = failure === undefined ? this.pick(target, callOptions, deadline) : this.repick(target, callOptions, failure, deadline);
      // The cached selection is synchronous; awaiting it anyway would cost a microtask hop per call.
      const node = picked instanceof Promise ? await picked : picked;
      if (guard !== undefined && target.includes("@")) guard.checkNode(module, handler, node);
      noteNode(options, node.id);
      const server = this.options.local.get(node.id);
      if (server !== undefined && server.descriptorOf(handler.wireName)?.hash === handler.hash) {
        const copies = asOnWire(params, args);
        try {
          return (await this.options.local.requestValues(server, handler.wireName, copies, deadline, options?.signal, this.hostname)) as R;
        } catch (err) {
          const mapped = err instanceof RemoteError ? errorFromWire(err.message) : err;
          if (mayRetry(mapped, handler.retrySafe) && attempt < this.maxAttempts && !target.includes("@")) {
            this.dropNode(options, node.id, mapped);
            this.options.observer?.retry(module.type, handler.wireName);
            failure = mapped;
            continue;
          }
          throw mapped;
        }
      }
      // Encoded once, on the first attempt that goes over the wire; a retry resends the same bytes.
      typed ??= encodeTypedArgs(module, handler, args);
      const { argsType, encoded } = typed;
      let reply: ResultInfo;
      try {
        reply = await this.sendTo(node, handler.wireName, argsType, encoded, deadline, options?.signal);
        if (reply.error !== "") throw errorFromWire(reply.error, reply.errorCode);
      } catch (err) {
        if (mayRetry(err, handler.retrySafe) && attempt < this.maxAttempts && !target.includes("@")) {
          this.dropNode(options, node.id, err);
          this.options.observer?.retry(module.type, handler.wireName);
          failure = err;
          continue;
        }
        throw err;
      }
      return handler.result.decode(reply.result, reply.resultType);
    }
  }

  callHandlerNR<A extends readonly unknown[]>(module: ModuleDescriptor, handler: HandlerDescriptor<A, unknown>, args: NoInfer<A>, options?: CallOptions): Promise<void> {
    if (this.tracing) return traced(module.type, handler.wireName, () => this.callHandlerNRUntraced(module, handler, args, options));
    return this.callHandlerNRUntraced(module, handler, args, options);
  }

  private async callHandlerNRUntraced(module: ModuleDescriptor, handler: HandlerDescriptor, args: readonly unknown[], options?: CallOptions): Promise<void> {
    const { argsType, encoded } = encodeTypedArgs(module, handler, args);
    const target = options?.node !== undefined ? nodeTarget(module.type, options.node) : module.type;
    // Contract check as in callHandler (a node addressed by id is not checked for fire-and-forget calls).
    const guard = this.options.schemaGuard;
    const checked = guard === undefined ? options : await schemaCheckedOptions(guard, this.options.selector, module, handler, target, options);
    await this.sendNR(target, handler.wireName, argsType, encoded, checked);
  }

  // --- pre-encoded (gate, HTTP gateway) ---

  callArgs(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<RawResult> {
    const chain = this.options.middleware?.client(typeOf(target));
    if (chain === undefined || chain.length === 0) return this.callArgsDirect(target, fn, argsType, args, options);
    const info = { module: typeOf(target), handler: fn, descriptor: undefined, args, retrySafe: false };
    const send = (o: CallOptions): Promise<RawResult> => this.callArgsDirect(target, fn, argsType, args, o);
    return runClientChain(chain, info, options, this.deadlineOf(options?.timeout), send) as Promise<RawResult>;
  }

  private callArgsDirect(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<RawResult> {
    if (this.tracing) return traced(typeOf(target), fn, () => this.callArgsUntraced(target, fn, argsType, args, options));
    return this.callArgsUntraced(target, fn, argsType, args, options);
  }

  private async callArgsUntraced(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<RawResult> {
    const reply = await this.send(target, fn, [...argsType], [...args], options, false);
    return { resultType: reply.resultType, result: reply.result, error: reply.error };
  }

  callArgsNR(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<void> {
    if (this.tracing) return traced(parseTarget(target).type, fn, () => this.callArgsNRUntraced(target, fn, argsType, args, options));
    return this.callArgsNRUntraced(target, fn, argsType, args, options);
  }

  private async callArgsNRUntraced(target: string, fn: string, argsType: readonly string[], args: readonly Uint8Array[], options?: CallOptions): Promise<void> {
    await this.sendNR(target, fn, [...argsType], [...args], options);
  }

  // --- plumbing ---

  /** A node failed this call and it moves on: out of routing, and the call's middleware hears of it. */
  private dropNode(options: CallOptions | undefined, nodeId: string, error: unknown): void {
    this.options.selector.markDead(nodeId);
    noteNode(options, nodeId, error);
  }

  /** The node for a call; a registry lookup gives up at the call's deadline. */
  private pick(target: string, options: CallOptions | undefined, deadline: number): Promise<ServiceNode> | ServiceNode {
    if (options?.node !== undefined && !target.includes("@")) target = nodeTarget(target, options.node);
    const { type, nodeId } = parseTarget(target);
    if (nodeId !== undefined) return this.options.selector.getNode(nodeId, { deadline, signal: options?.signal });
    return this.options.selector.trySelect(type, options?.select) ?? this.options.selector.select(type, options?.select, { deadline, signal: options?.signal });
  }

  /** Another node after a failure; when there is none, the caller sees the original failure. */
  private async repick(target: string, options: CallOptions | undefined, failure: unknown, deadline: number): Promise<ServiceNode> {
    try {
      return await this.pick(target, options, deadline);
    } catch (err) {
      throw err instanceof NoneAvailableError ? failure : err;
    }
  }

  private async send(
    target: string,
    fn: string,
    argsType: string[],
    args: Uint8Array[],
    options: CallOptions | undefined,
    retrySafe: boolean,
  ): Promise<ResultInfo> {
    if (this.closed) throw new ClosedError();
    const timeout = options?.timeout ?? this.options.timeoutMs();
    const deadline = deadlineAfter(timeout, Date.now());
    let failure: unknown;
    for (let attempt = 1; ; attempt++) {
      const picked = failure === undefined ? this.pick(target, options, deadline) : this.repick(target, options, failure, deadline);
      // The cached selection is synchronous; awaiting it anyway would cost a microtask hop per call.
      const node = picked instanceof Promise ? await picked : picked;
      noteNode(options, node.id);
      try {
        const reply = await this.sendTo(node, fn, argsType, args, deadline, options?.signal);
        if (reply.error !== "") {
          const error = errorFromWire(reply.error, reply.errorCode);
          if (isNodeFailure(error)) throw error;
        }
        return reply;
      } catch (err) {
        if (mayRetry(err, retrySafe) && attempt < this.maxAttempts && !target.includes("@")) {
          this.dropNode(options, node.id, err);
          this.options.observer?.retry(typeOf(target), fn);
          failure = err;
          continue;
        }
        throw err;
      }
    }
  }

  private sendTo(node: ServiceNode, fn: string, argsType: string[], args: Uint8Array[], deadline: number, signal: AbortSignal | undefined): Promise<ResultInfo> {
    const req = this.request(fn, argsType, args, deadline);
    const server = this.options.local.get(node.id);
    if (server !== undefined) return this.options.local.requestEncoded(server, req, signal);
    const nats = this.options.nats;
    if (nats === undefined || isLocalAddress(node.address)) {
      // A local-only node of another process cannot be reached.
      return Promise.reject(new NoneAvailableError(`none available: ${node.id} is in-process only elsewhere (${node.address})`));
    }
    return nats.request(node.address, node.id, req, deadline, signal);
  }

  private async sendNR(target: string, fn: string, argsType: string[], args: Uint8Array[], options: CallOptions | undefined): Promise<void> {
    if (this.closed) throw new ClosedError();
    if (options?.signal?.aborted) throw new AbortedError();
    const timeout = options?.timeout ?? this.options.timeoutMs();
    const deadline = deadlineAfter(timeout, Date.now());
    const node = await this.pick(target, options, deadline);
    const req = this.request(fn, argsType, args, deadline);
    const server = this.options.local.get(node.id);
    if (server !== undefined) {
      this.options.local.sendEncoded(server, req);
      return;
    }
    const nats = this.options.nats;
    if (nats === undefined || isLocalAddress(node.address)) throw new NoneAvailableError();
    nats.publishNR(node.address, req);
  }

  private request(fn: string, argsType: string[], args: Uint8Array[], deadline: number): RPCInfo {
    return {
      cid: newCid(),
      fn,
      replyTo: "",
      // W3C traceparent of the active client span (mqant never uses Track; Go nodes ignore it).
      track: this.tracing ? trackOf() : "",
      expired: deadline,
      reply: true,
      argsType,
      args,
      caller: this.hostname,
      hostname: this.hostname,
    };
  }

  close(): void {
    this.closed = true;
  }
}

function nodeTarget(type: string, node: string): string {
  return node.includes("@") ? node : `${type}@${node}`;
}

/** The module type of a target (`type` or `type@nodeId`), without validating it (the call does that). */
function typeOf(target: string): string {
  const at = target.indexOf("@");
  return at < 0 ? target : target.slice(0, at);
}

function isLocalAddress(address: string): boolean {
  return address.startsWith("local:");
}
