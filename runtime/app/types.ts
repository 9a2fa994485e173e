/**
 * The module contract: what a module implements and what the app hands it. Shared by the app, the gate,
 * the HTTP gateway and the starter implementations mqgen generates.
 */
import type { Logger } from "../log/types.js";
import type { ArgSerializer, CallOptions, ModuleServer, RawResult, RpcCaller } from "../descriptor.js";
import type { AppConfig } from "./config.js";
import type { OpsHub } from "../observe/hooks.js";
import type { EventBus } from "../events/types.js";

/** One entry of `Module.<type>[]` in server.json. */
export interface ModuleSettings {
  readonly id: string;
  readonly processId: string;
  readonly settings: Readonly<Record<string, unknown>>;
}

/** The app as modules see it. */
export interface AppHandle extends RpcCaller {
  readonly processId: string;
  /** server.json `Settings`. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The whole validated server.json (e.g. `config.mqtt.readTimeout` for the gate); set once the app started. */
  readonly config?: AppConfig;
  readonly log: Logger;
  /** Call with pre-encoded mqant arguments (mqant CallArgs); the gate and the HTTP gateway use it. */
  callArgs(
    target: string,
    fn: string,
    argsType: readonly string[],
    args: readonly Uint8Array[],
    options?: CallOptions,
  ): Promise<RawResult>;
  /** Fire-and-forget form of callArgs (mqant CallNRArgs). */
  callArgsNR(
    target: string,
    fn: string,
    argsType: readonly string[],
    args: readonly Uint8Array[],
    options?: CallOptions,
  ): Promise<void>;
  /** mqant AddRPCSerialize. */
  addSerializer(serializer: ArgSerializer): void;
  /** Observation hooks (runtime/observe); the app always has one, other AppHandle implementations may not. */
  readonly ops?: OpsHub;
}

/** What a module gets in onInit. */
export interface ModuleContext {
  readonly app: AppHandle;
  readonly settings: ModuleSettings;
  /** Registers this module instance's handlers. */
  readonly server: ModuleServer;
  /** `<type>@<16 hex>`. */
  readonly nodeId: string;
  readonly log: Logger;
  /**
   * Registry metadata of this node; changes are pushed to the registry by `serviceRegister()`
   * (mqant `GetServer().Options().Metadata` + `ServiceRegister()`).
   */
  readonly metadata: Record<string, string>;
  serviceRegister(): Promise<void>;
  /** Typed events (generated `<Module>Events`); balanced events subscribed here are shared by this module type. */
  readonly events: EventBus;
}

export interface Module {
  /** Module type as used in routing and in server.json `Module`. */
  readonly type: string;
  readonly version: string;
  /** Called for every module given to the app, whether or not it runs in this process (as in mqant). */
  onAppConfigurationLoaded?(app: AppHandle): void | Promise<void>;
  onInit(ctx: ModuleContext): void | Promise<void>;
  /** Runs until `signal` aborts (app stopping); may return at once. */
  run?(signal: AbortSignal): void | Promise<void>;
  onDestroy?(): void | Promise<void>;
  /**
   * Module types this module needs: the app starts it (onInit, registration) only once a node of each is
   * routable, in this process or another, and fails start naming the missing ones after
   * `dependencyTimeoutMs` (default 30 s).
   */
  readonly dependencies?: readonly string[];
  readonly dependencyTimeoutMs?: number;
  /** This module's registry TTL and re-register period (mqant's per-module server.RegisterTTL/RegisterInterval). */
  readonly registerTtlMs?: number;
  readonly registerIntervalMs?: number;
}
