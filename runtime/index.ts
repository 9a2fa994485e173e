/**
 * mqgen/runtime: the public surface. Generated code imports only from here.
 */
export * from "./errors.js";
export * from "./descriptor.js";
export type * from "./registry/types.js";
export type * from "./selector/types.js";
export type * from "./app/types.js";
export * from "./codec/values.js";
export { defineMessage, defineEnum, field, scalar } from "./codec/message.js";
export * from "./http/gateway.js";
export * from "./http/module.js";
export * from "./http/listen.js";
export * from "./codec/api.js";
export * from "./http/backend.js";
export * from "./codec/envelope.js";
export * from "./rpc/args.js";
export * from "./codec/session.js";
export * from "./rpc/trace.js";
export * from "./codec/ids.js";
export * from "./gate/session.js";
export { ConsulRegistry, type ConsulRegistryOptions } from "./registry/consul.js";
export { NatsKvRegistry, type NatsKvRegistryOptions } from "./registry/nats-kv.js";
export { EtcdRegistry, type EtcdRegistryOptions } from "./registry/etcd.js";
export { createApp, type App, type AppOptions, type BeforeHandleInfo } from "./app/app.js";
export { parseConfig, parseConfigText, loadConfigFile, type AppConfig, type RpcConfig, type LogConfig } from "./app/config.js";
export { parseFlags, type AppFlags } from "./app/flags.js";
export { createLogger, type AppLogger, type LoggerOptions } from "./log/logger.js";
export { MemoryRegistry } from "./registry/memory.js";
export { Registrar, type RegistrarOptions } from "./registry/registrar.js";
export { Selector, parseTarget, random as randomStrategy, roundRobin as roundRobinStrategy, weighted as weightedStrategy } from "./selector/selector.js";
export { RpcServer, type ServerHooks, type CompleteInfo, type HandleInfo } from "./rpc/server.js";
export { RpcClient } from "./rpc/client.js";
export { HandlerContext, callLogger } from "./rpc/context.js";
export { NatsTransport, connectNats } from "./transport/nats.js";
export { LocalTransport } from "./transport/local.js";
export * from "./gate/gate.js";
export * from "./gate/options.js";
export * from "./rpc/schema-check.js";
