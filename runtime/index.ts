/**
 * mqgen/runtime: the public surface. Generated code imports only from here.
 */
export * from "./errors.js";
export * from "./rpc/descriptor.js";
export type * from "./registry/types.js";
export type * from "./selector/types.js";
export type * from "./app/types.js";
export * from "./rpc/values.js";
export { defineMessage, defineEnum } from "./rpc/message.js";
export * from "./http/gateway.js";
export * from "./http/module.js";
export * from "./http/api-proto.js";
export * from "./http/backend.js";
export * from "./rpc/codec.js";
export * from "./rpc/args.js";
export * from "./rpc/session-codec.js";
export * from "./rpc/trace.js";
export * from "./rpc/ids.js";
export * from "./gate/session.js";
export { ConsulRegistry, type ConsulRegistryOptions } from "./registry/consul.js";
export { NatsKvRegistry, type NatsKvRegistryOptions } from "./registry/nats-kv.js";
export { EtcdRegistry, type EtcdRegistryOptions } from "./registry/etcd.js";
