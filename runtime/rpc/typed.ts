/**
 * The typed side of the RPC client apart from its routing: arguments through their codecs (for the wire,
 * and for the in-process path as the wire would decode them), the reply handling of a typed NATS call,
 * and when a failed call may move to another node.
 */
import { RemoteError, errorFromWire, isNodeFailure, isRetryable } from "../errors.js";
import type { CallOptions, HandlerDescriptor, ModuleDescriptor, ValueCodec } from "../descriptor.js";
import type { ResultInfo } from "../codec/envelope.js";
import type { ServiceNode } from "../registry/types.js";
import type { ReplyHandler } from "../transport/nats.js";
import type { RpcClient } from "./client.js";

/**
 * May this failure move on to another node? Only when the node itself failed (gone, stopping) and the
 * runtime's retry policy (errors.ts) allows it: a request that never ran may move on for any call, one
 * that may have run only for retry-safe handlers. Other retries are the retry middleware's.
 */
export function mayRetry(err: unknown, retrySafe: boolean): boolean {
  return isNodeFailure(err) && isRetryable(err, retrySafe);
}

/**
 * In-process arguments as the handler would have decoded them from the wire: through the param codec's
 * encode and decode, so the same values are refused (an int32 of 1.5, a negative uint32 deep in a
 * message) and the same conversions happen (a float32 0.1 arrives as 0.10000000149011612).
 */
export function asOnWire(params: HandlerDescriptor["params"], args: readonly unknown[]): unknown[] {
  const copies = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const codec = params[i]?.codec;
    copies[i] = codec === undefined ? args[i] : onWire(codec, args[i]);
  }
  return copies;
}

/** One value as a wire peer decodes it: the codec's shortcut where it has one, else the round trip. */
export function onWire<T>(codec: ValueCodec<T>, value: T): T {
  return codec.onWire !== undefined ? codec.onWire(value) : codec.decode(codec.encode(value), codec.tag);
}

/** A descriptor as the client's internals see it: arguments already checked against it, the result typed. */
export type TypedDescriptor<R> = HandlerDescriptor<readonly unknown[], R>;

export interface TypedArgs {
  readonly argsType: string[];
  readonly encoded: Uint8Array[];
}

/** A typed call's arguments as mqant tags and bytes, each through its param codec (the last one repeats). */
export function encodeTypedArgs(module: ModuleDescriptor, handler: HandlerDescriptor, args: readonly unknown[]): TypedArgs {
  const params = handler.params;
  const argsType = new Array<string>(args.length);
  const encoded = new Array<Uint8Array>(args.length);
  for (let i = 0; i < args.length; i++) {
    const codec = (params[i] ?? params[params.length - 1])?.codec;
    if (codec === undefined) throw new RemoteError(`${module.type}.${handler.method}: takes no arguments`);
    argsType[i] = codec.tag;
    encoded[i] = codec.encode(args[i]);
  }
  return { argsType, encoded };
}

/** One typed remote call's reply handling: decode in the subscription callback, retry when allowed. */
export class TypedReply<R> implements ReplyHandler<R> {
  constructor(
    private readonly client: RpcClient,
    private readonly node: ServiceNode,
    private readonly module: ModuleDescriptor,
    private readonly handler: TypedDescriptor<R>,
    private readonly args: readonly unknown[],
    private readonly options: CallOptions | undefined,
    private readonly deadline: number,
  ) {}

  onReply(reply: ResultInfo): R | Promise<R> {
    if (reply.error !== "") {
      const error = errorFromWire(reply.error, reply.errorCode);
      if (!mayRetry(error, this.handler.retrySafe)) throw error;
      return this.retry(error);
    }
    return this.handler.result.decode(reply.result, reply.resultType);
  }

  onError(error: Error): Promise<R> | undefined {
    return mayRetry(error, this.handler.retrySafe) ? this.retry(error) : undefined;
  }

  private retry(error: Error): Promise<R> {
    return this.client.retryTyped<R>(error, this.node, this.module, this.handler, this.args, this.options, this.deadline);
  }
}

