/**
 * The runtime's internal entry: a superset of the public entry (index.ts), adding the pieces tests,
 * benchmarks and the runtime's own tools need (scratch-state encoders, transports, the server, id and
 * wire helpers). Not part of the package's exports; what is here may change without notice.
 * nats.js' services/src/internal_mod.ts next to mod.ts is the model.
 */
export type * from "./selector/types.js";
export * from "./errors.js";
export * from "./descriptor.js";
export type * from "./registry/types.js";
export type * from "./app/types.js";
export * from "./codec/values.js";
export * from "./codec/message.js";
export * from "./codec/envelope.js";
export * from "./codec/session.js";
export * from "./codec/api.js";
export * from "./codec/ids.js";
export * from "./codec/slab.js";
export * from "./http/gateway.js";
export * from "./http/module.js";
export * from "./http/listen.js";
export * from "./http/backend.js";
export * from "./rpc/args.js";
export * from "./middleware/index.js";
export type * from "./middleware/types.js";
export { MiddlewareStack } from "./middleware/chain.js";
export * from "./rpc/trace.js";
export * from "./rpc/schema-check.js";
export { RpcServer, type ServerHooks, type CompleteInfo, type HandleInfo, type RpcServerOptions, type UntypedCodec } from "./rpc/server.js";
export { RpcClient, type RpcClientOptions } from "./rpc/client.js";
export { HandlerContext, callLogger } from "./rpc/context.js";
export * from "./gate/session.js";
export * from "./push/send.js";
export * from "./gate/gate.js";
export * from "./gate/module.js";
export * from "./gate/rooms.js";
export * from "./gate/options.js";
export { readFixedHeader } from "./gate/packets.js";
export type { GateSessionData } from "./gate/session-state.js";
export { encodeRoutedSession } from "./gate/session-bytes.js";
export { readPublishFrame } from "./gate/publish-frame.js";
export { envelope, parseTopic, resultToJson } from "./gate/router.js";
export { MAX_QOS2_AWAITING_RELEASE } from "./gate/handlers/publish.js";
export * from "./registry/encoding.js";
export { ConsulRegistry, type ConsulRegistryOptions } from "./registry/consul.js";
export * from "./registry/nats-kv.js";
export { EtcdRegistry, type EtcdRegistryOptions } from "./registry/etcd.js";
export { MemoryRegistry } from "./registry/memory.js";
export { Registrar, type RegistrarOptions } from "./registry/registrar.js";
export { parseConfig, parseConfigText, loadConfigFile, type AppConfig, type RpcConfig, type LogConfig } from "./app/config.js";
export { parseFlags, type AppFlags } from "./app/flags.js";
export { createApp, type App, type AppOptions, type BeforeHandleInfo } from "./app/app.js";
export * from "./log/logger.js";
export { RotatingFile, BEEGO_ROTATION, type RotationPolicy } from "./log/rotating-file.js";
export { Selector, parseTarget, random as randomStrategy, roundRobin as roundRobinStrategy, weighted as weightedStrategy } from "./selector/selector.js";
export { NatsTransport, type ReplyHandler } from "./transport/nats.js";
export * from "./nats-connection.js";
export { LocalTransport } from "./transport/local.js";
export type { Endpoint, LocalSink, WireResponder } from "./transport/endpoint.js";
export { protocolOf, socketOf, type ProtocolInternals } from "./transport/nats-internals.js";
export { isPublishableSubject, MAX_SUBJECT_LENGTH } from "./transport/subject.js";
export { escapeForLog, previewBytes, ThrottledLog } from "./log/throttle.js";
export { repeatedLog, type RepeatedLog, type RepeatedLogOptions, type RepeatedLevel } from "./log/repeated.js";
export { NatsSubjectCheck, natsProbe, type SubjectPresence, type SubjectState, type NatsProbeOptions, type SubjectCheckOptions } from "./transport/presence.js";
export * from "./ops/index.js";
export { MicroResponder, NodeStats, EndpointStats } from "./observe/micro.js";
