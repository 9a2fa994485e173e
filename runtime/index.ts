/**
 * mqgen/runtime: the public surface — what an application and the code mqgen generates need, and no more
 * (at most 50 values; test/architecture checks it). Generated code imports from here and, for message
 * types, from mqgen/gate-client. Tests and benchmarks that need the runtime's inner pieces import
 * runtime/internal.ts instead.
 */

// Errors: one class per code; `code` and `retryable` on every one.
export {
  MqgenError,
  DeadlineExceededError,
  NoneAvailableError,
  NotFoundError,
  RemoteError,
  BusyError,
  ClosedError,
  BadArgumentError,
  ConfigError,
  SchemaMismatchError,
  AbortedError,
  RegistryError,
  ProtocolError,
  NotStartedError,
  type ErrorCode,
} from "./errors.js";

// The contract generated code is written against (types only).

export type * from "./descriptor.js";

// Argument codecs generated descriptors name, and message types.
export {
  stringCodec,
  boolCodec,
  int32Codec,
  int64Codec,
  uint32Codec,
  uint64Codec,
  floatCodec,
  doubleCodec,
  bytesCodec,
  mapCodec,
  mapstrCodec,
  voidCodec,
} from "./codec/values.js";

// Untyped calls (mqant Call with tagged arguments): a value with an explicit codec, a pre-encoded
// message, a trace span; `Typed(int64Codec, n)` and friends cover every scalar tag (a bigint is a long).
export { Typed, Proto, Marshal, EncodedMessage, type EncodedArg } from "./rpc/args.js";
export { TraceSpan } from "./rpc/trace.js";
export type { SessionData } from "./codec/session.js";
export { sessionCodec, type Session } from "./gate/session.js";
// Typed pushes to gate clients: generated `<Module>Pushes` send through `app.sendPush`.
export type { PushTarget, PushSender } from "./push/send.js";

// Typed events between modules (generated `<Module>Events` over `app.events` / `ctx.events`; types only).
export type { EventBus, EventHost, EventHandler, EventInfo, EventSubscription, SubscribeOptions } from "./events/types.js";

// The app.
export { createApp, type App, type AppOptions, type BeforeHandleInfo } from "./app/app.js";
export type { CompleteInfo, HandleInfo, ServerHooks } from "./rpc/server-types.js";
// Middleware around calls and handlers (app.use); the built-in ones are off until installed.
export { middleware, type RetryOptions, type CircuitBreakerOptions, type TimeoutOptions } from "./middleware/index.js";
export type * from "./middleware/types.js";
export type * from "./app/types.js";
export type { AppConfig, RpcConfig, LogConfig } from "./app/config.js";
export type { AppFlags } from "./app/flags.js";
export type { AppLogger, LoggerOptions, Logger } from "./log/logger.js";
// The NATS connection as the public types see it (any nats.js connection is one), and mqgen's way to open one.
export { connectNats, type NatsConnectOptions, type NatsConnection, type NatsSubscription, type NatsSubscribeOptions, type NatsMessage, type NatsStatus } from "./nats-connection.js";

// Registries and node selection.
export type * from "./registry/types.js";
export type * from "./selector/types.js";
export { MemoryRegistry } from "./registry/memory.js";
export { NatsKvRegistry, type NatsKvRegistryOptions } from "./registry/nats-kv.js";
export { ConsulRegistry, type ConsulRegistryOptions } from "./registry/consul.js";
export { EtcdRegistry, type EtcdRegistryOptions } from "./registry/etcd.js";

// The MQTT gate.
export { type GateApp, type GateBackend } from "./gate/gate.js";
export { Gate } from "./gate/module.js";
// Rooms from any process: `Gate.rooms(app)` (a type here, so the entry keeps to its 50 values).
export type { GateRooms, GateRoomsOptions, GateDirectory, RoomTarget } from "./gate/rooms.js";
export type { ConnackReturnCode, GateOptions, ConnectInfo, AuthHook, StorageHandler, SessionListener } from "./gate/options.js";

// The HTTP gateway and HTTP backends.
export { HttpGatewayModule, type HttpGatewayModuleOptions, type ListenAddress, listenAddressFromSettings } from "./http/module.js";
export type { HttpGatewayOptions, HttpGatewayHandler, HttpErrorBody } from "./http/gateway.js";
export { registerHttpRoute, type HttpRouteHandler } from "./http/backend.js";
export { apiResponse, apiBodyText, type ApiRequest, type ApiResponse, type ApiPair } from "./codec/api.js";
export { listenHttp, closeHttp } from "./http/listen.js";

// Operations: metrics and probes, the live console, and a Go mqant trace argument from the active span.
// Each from its own file rather than ops/index.ts, whose other exports (the $SRV responder, tracing) would
// bring nats.js' and OpenTelemetry's declarations into every consumer's program.
export { MetricsModule, type MetricsModuleOptions } from "./ops/module.js";
export { OpsConsole, type OpsConsoleOptions } from "./ops/console.js";
export { traceSpanOf, type TracedSpan } from "./ops/trace-arg.js";
