/**
 * Middleware (interceptors) around every call: on the server around a handler, on the client around a
 * call the app makes. One shape for both sides, as Moleculer's `localAction` / `remoteAction` hooks and
 * gRPC's interceptors: a function of the call and `next`, so it can look at the call, short-circuit it
 * (return or throw without calling `next`), change the result or the error, time it, or call `next`
 * more than once (a retry). Browser-safe types only.
 */
import type { CallContext, CallOptions, HandlerDescriptor } from "../descriptor.js";

/** What a server middleware sees of one call to a handler on this node. */
export interface ServerCall {
  readonly side: "server";
  /** Module type of the node running the handler. */
  readonly module: string;
  readonly nodeId: string;
  /** Wire name of the handler (`/say/hi`, `HD_say`). */
  readonly handler: string;
  /** The typed descriptor, for handlers registered from a schema. */
  readonly descriptor: HandlerDescriptor | undefined;
  /** The decoded arguments, as the handler gets them (the gate session among them, for gate handlers). */
  readonly args: readonly unknown[];
  /** Deadline, signal, trace and caller of the call. */
  readonly ctx: CallContext;
  /** The gate session argument, when the call came through a gate. */
  readonly session: unknown;
}

/** What a client middleware sees of one call this app makes. */
export interface ClientCall {
  readonly side: "client";
  /** Module type the call goes to. */
  readonly module: string;
  readonly handler: string;
  readonly descriptor: HandlerDescriptor | undefined;
  readonly args: readonly unknown[];
  /** The call's options as given by the caller (a middleware passes changed ones to `next`). */
  readonly options: CallOptions | undefined;
  /** Deadline of the whole call (unix ms), from its timeout, the schema's, or the app's default. */
  readonly deadline: number;
  /** May run twice without harm (schema `retrySafe`; false for untyped calls). */
  readonly retrySafe: boolean;
  /** Node the latest attempt went to, once `next` has picked one. */
  readonly nodeId: string | undefined;
  /** Attempts of this call that failed on a node (gone, stopping) before the client moved to another. */
  readonly failedOver: readonly { readonly nodeId: string; readonly error: unknown }[];
}

/** Runs the rest of the chain (and the call); a server `next` may be given changed arguments. */
export type ServerNext = (args?: readonly unknown[]) => Promise<unknown>;
export type ClientNext = (options?: CallOptions) => Promise<unknown>;

export type ServerMiddleware = (call: ServerCall, next: ServerNext) => Promise<unknown>;
export type ClientMiddleware = (call: ClientCall, next: ClientNext) => Promise<unknown>;

/** A middleware for either side or both; `app.use(m)` for every module, `app.use(m, { modules })` for some. */
export interface Middleware {
  /** Shown in logs and errors. */
  readonly name: string;
  readonly server?: ServerMiddleware;
  readonly client?: ClientMiddleware;
}

export interface UseOptions {
  /**
   * Module types it applies to: for `server`, the modules whose handlers it wraps; for `client`, the
   * modules whose calls it wraps. Default: all.
   */
  readonly modules?: readonly string[];
}
