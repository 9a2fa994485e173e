/**
 * The RPC server's options and hook shapes (apart from server.ts so the app and tests can name them
 * without the server's code).
 */
import type { Logger } from "../log/types.js";
import type { RawHandler, RpcCaller } from "../descriptor.js";
import type { HandlerContext } from "./context.js";
import type { ServerMiddleware } from "../middleware/types.js";
import type { ServerObserver } from "../observe/hooks.js";

/** Tag-driven encoding for untyped handlers and calls (mqant Args2Bytes / Bytes2Args plus serializers). */
export interface UntypedCodec {
  encode(value: unknown): { tag: string; bytes: Uint8Array };
  decode(tag: string, bytes: Uint8Array): unknown;
  /** Deep copy for the in-process path; values a serializer owns round-trip through it. */
  clone(value: unknown): unknown;
}

export interface HandleInfo {
  readonly module: string;
  readonly nodeId: string;
  readonly handler: string;
  readonly args: readonly unknown[];
  readonly ctx: HandlerContext;
}

export interface CompleteInfo {
  readonly module: string;
  readonly nodeId: string;
  readonly handler: string;
  readonly durationMs: number;
  /** The error string sent to the caller, if any. */
  readonly error: string | undefined;
}

export interface ServerHooks {
  /** Return or throw an error (or a string) to refuse the call; the caller receives it instead. */
  onBeforeHandle?(info: HandleInfo): unknown;
  onComplete?(info: CompleteInfo): void;
  /** mqant NoFoundFunction: a handler to run for an unknown name, or undefined for the default error. */
  onNotFound?(info: { readonly module: string; readonly nodeId: string; readonly fn: string }): RawHandler | undefined;
}

export interface RpcServerOptions {
  readonly type: string;
  readonly nodeId: string;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly untyped: UntypedCodec;
  readonly caller: RpcCaller;
  readonly hooks: ServerHooks;
  readonly log: Logger;
  /** Rpc.Log: a line per call. */
  readonly logCalls: boolean;
  /** A line per successful call (server.json Rpc.LogSuccess), even when logCalls is off. */
  readonly logSuccess?: boolean;
  /** The app's server middleware per module type (none: handlers are called directly). */
  readonly middleware?: { server(module: string): readonly ServerMiddleware[] };
  /** Metrics and `$SRV` stats (runtime/observe); absent when nothing watches. */
  readonly observer?: ServerObserver;
  /** Server spans when an OpenTelemetry SDK is registered (default true). */
  readonly tracing?: boolean;
}
