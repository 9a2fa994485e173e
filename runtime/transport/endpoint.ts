/**
 * What a transport delivers calls to. The RPC server implements it; the transports know nothing more of
 * the server, so `transport/` never imports `rpc/` (the caller side, `rpc/client.ts`, imports the transports).
 */
import type { ResultInfo, RPCInfo } from "../codec/envelope.js";

/** Where an in-process call's outcome goes (the local fast path skips encoding). */
export interface LocalSink {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Sends one reply envelope to `replyTo`; an empty `replyTo` means the caller wants no reply. */
export type WireResponder = (replyTo: string, reply: ResultInfo) => void;

/** A served module instance as a transport sees it. */
export interface Endpoint {
  readonly nodeId: string;
  /** A decoded request from the wire (or from an in-process caller that encoded its arguments). */
  handleWire(req: RPCInfo, respond: WireResponder): void;
  /**
   * An in-process call with argument values; the outcome goes to `sink` (none for fire-and-forget);
   * `signal` is the caller's: when it fires, so does the handler's. `now`: the server's clock (callClock) as
   * the caller just read it for the deadline, so a call that starts at once needs no reading of its own.
   */
  handleLocal(fn: string, args: unknown[], deadline: number, caller: string, sink: LocalSink | undefined, signal?: AbortSignal, now?: number): void;
  /** The caller of a wire call named by its reply subject and Cid gave up (optional: cross-hop cancel). */
  cancel?(replyTo: string, cid: string): void;
}
