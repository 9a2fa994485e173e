/**
 * Gate options: mqant's Settings keys (`TCPAddr`, `WSAddr`, `TLS`, `CertFile`, `KeyFile`, `MaxPackSize`,
 * `ConcurrentTasks`, `OverTime`) plus the limits mqant lacks. Code options win over server.json Settings.
 */
import { ConfigError } from "../errors.js";
import type { GateSessionData } from "./session-state.js";

/** What the auth hook sees of a CONNECT. */
export interface ConnectInfo {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: Uint8Array | undefined;
  readonly protocolVersion: number;
  readonly keepalive: number;
  readonly clean: boolean;
  /** `host:port` for TCP, the client address for WebSocket (mqant's session IP). */
  readonly ip: string;
  readonly network: "tcp" | "websocket";
}

/** CONNACK return codes of MQTT 3.1.1. */
export const ConnackCode = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;
export type ConnackReturnCode = (typeof ConnackCode)[keyof typeof ConnackCode];

/** Decides the CONNACK return code; anything but 0 closes the connection after the CONNACK. */
export type AuthHook = (info: ConnectInfo) => number | Promise<number>;

/**
 * The auth decision made by a module handler over RPC: called with one `map` argument (clientId, username,
 * password as UTF-8, ip, network, protocolVersion) and expected to return the CONNACK code as a number.
 */
export interface AuthHandlerRef {
  /** Module type or `type@nodeId`. */
  readonly module: string;
  readonly handler: string;
}

/** mqant's StorageHandler: persists bound sessions' settings. */
export interface StorageHandler {
  /** Called after Bind and after settings change while a user is bound. */
  storage(session: GateSessionData): void | Promise<void>;
  /** Called on UnBind. */
  delete(session: GateSessionData): void | Promise<void>;
  /** Settings saved for a user, merged into the session on Bind (existing keys win). */
  query(userId: string): Record<string, string> | undefined | Promise<Record<string, string> | undefined>;
  /** Paced by `heartbeatMs` after processed packets of a bound session. */
  heartbeat?(session: GateSessionData): void | Promise<void>;
}

/** mqant's SessionLearner. */
export interface SessionListener {
  connect?(session: GateSessionData): void;
  disconnect?(session: GateSessionData): void;
}

export interface GateOptions {
  /** Module type, `Gate` by default (mqant's basegate). */
  readonly type?: string;
  readonly version?: string;
  /** `host:port` or `:port`; no listener when unset (as in mqant). Port 0 picks a free port. */
  readonly tcpAddr?: string;
  readonly wsAddr?: string;
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
  /** Largest accepted MQTT remaining length, checked from the fixed header before any buffering. */
  readonly maxPackSize?: number;
  /** In-flight backend calls per connection; over it the reply is mqant's "the work queue is full!". */
  readonly concurrentTasks?: number;
  /** Close a socket that sent no CONNECT within this time (mqant OverTime, 10 s). */
  readonly connectTimeoutMs?: number;
  /** Keepalive above this (seconds) is clamped to it; keepalive 0 also uses it, so no socket idles forever. */
  readonly maxKeepaliveSec?: number;
  /** Refuse connections beyond this many (socket closed at accept). */
  readonly maxConnections?: number;
  /** Accepted connections per second, all listeners together (token bucket, burst = the rate). */
  readonly connectionsPerSecond?: number;
  /** A connection whose unsent bytes exceed this (a client that does not read) is dropped. */
  readonly maxUnsentBytes?: number;
  /**
   * Packets that may wait behind a socket the client is not draining before it is dropped (server.json
   * Mqtt.WirteLoopChanNum, mqant's per-connection write queue); 0 = only maxUnsentBytes applies.
   */
  readonly writeQueuePackets?: number;
  /** A socket holding unsent bytes of which none leave for this long is dropped (Mqtt.WriteTimeout); 0 = off. */
  readonly writeTimeoutMs?: number;
  /** Keepalive for a CONNECT that says 0 (Mqtt.ReadTimeout, mqant's fallback); 0 = maxKeepaliveSec. */
  readonly keepaliveZeroSec?: number;
  /** Backend call timeout (mqant RPCExpired, 10 s). */
  readonly rpcTimeoutMs?: number;
  /** Longest accepted topic, bytes. */
  readonly maxTopicLength?: number;
  /**
   * Decides the CONNACK code: a function, a handler reference, or `"module/handler"` (also Settings key
   * `AuthHandler`). Default: every CONNECT is accepted, as mqant does.
   */
  readonly authenticate?: AuthHook | AuthHandlerRef | string;
  readonly storage?: StorageHandler;
  readonly heartbeatMs?: number;
  readonly listeners?: readonly SessionListener[];
  /** mqant SetSendMessageHook: rewrite (return bytes) or block (return null) a down-link message. */
  readonly sendMessageHook?: (session: GateSessionData, topic: string, body: Uint8Array) => Uint8Array | null;
  /** Every closed socket with the reason (limits hit, protocol errors, client gone): for logs and metrics. */
  readonly onConnectionClosed?: (details: ClosedConnectionInfo) => void;
}

export interface ClosedConnectionInfo {
  readonly clientId: string;
  readonly reason: string;
  /** Undefined when the socket closed before its CONNECT was accepted. */
  readonly session: GateSessionData | undefined;
}

export interface ResolvedGateOptions {
  readonly type: string;
  readonly version: string;
  readonly tcpAddr: string | undefined;
  readonly wsAddr: string | undefined;
  readonly tls: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array } | undefined;
  readonly maxPackSize: number;
  readonly concurrentTasks: number;
  readonly connectTimeoutMs: number;
  readonly maxKeepaliveSec: number;
  readonly maxConnections: number;
  readonly connectionsPerSecond: number;
  readonly maxUnsentBytes: number;
  readonly writeQueuePackets: number;
  readonly writeTimeoutMs: number;
  readonly keepaliveZeroSec: number;
  readonly rpcTimeoutMs: number;
  readonly maxTopicLength: number;
  readonly authenticate: AuthHook | AuthHandlerRef | undefined;
  readonly storage: StorageHandler | undefined;
  readonly heartbeatMs: number;
  readonly listeners: readonly SessionListener[];
  readonly sendMessageHook: ((session: GateSessionData, topic: string, body: Uint8Array) => Uint8Array | null) | undefined;
  readonly onConnectionClosed: ((details: ClosedConnectionInfo) => void) | undefined;
}

export const gateDefaults = {
  maxPackSize: 65_535,
  concurrentTasks: 20,
  connectTimeoutMs: 10_000,
  maxKeepaliveSec: 300,
  maxConnections: 100_000,
  connectionsPerSecond: 10_000,
  maxUnsentBytes: 1024 * 1024,
  rpcTimeoutMs: 10_000,
  maxTopicLength: 1024,
  heartbeatMs: 60_000,
} as const;

function settingString(settings: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = settings[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw new ConfigError(`Gate Settings.${key} must be a string`);
  return value;
}

function settingNumber(settings: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = settings[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`Gate Settings.${key} must be a non-negative number`);
  }
  return value;
}

/** server.json's Mqtt section as the gate reads it (app/config.ts parses it; absent keys are undefined). */
export interface MqttSection {
  readonly wirteLoopChanNum: number | undefined;
  readonly readPackLoop: number | undefined;
  readonly readTimeout: number | undefined;
  readonly writeTimeout: number | undefined;
}

/** Merges code options over the module's Settings (mqant key names) over the Mqtt section over defaults. */
export function resolveGateOptions(
  options: GateOptions,
  settings: Readonly<Record<string, unknown>> = {},
  readFile?: (path: string) => Uint8Array,
  mqtt?: MqttSection,
): ResolvedGateOptions {
  let tls = options.tls;
  if (tls === undefined && settings["TLS"] === true) {
    const certFile = settingString(settings, "CertFile");
    const keyFile = settingString(settings, "KeyFile");
    if (certFile === undefined || keyFile === undefined) {
      throw new ConfigError("Gate Settings.TLS is true but CertFile or KeyFile is missing");
    }
    if (readFile === undefined) throw new ConfigError("Gate Settings.TLS needs a file reader");
    tls = { cert: readFile(certFile), key: readFile(keyFile) };
  }
  const overTimeSec = settingNumber(settings, "OverTime");
  const resolved: ResolvedGateOptions = {
    type: options.type ?? "Gate",
    version: options.version ?? "1.0.0",
    tcpAddr: options.tcpAddr ?? settingString(settings, "TCPAddr"),
    wsAddr: options.wsAddr ?? settingString(settings, "WSAddr"),
    tls,
    maxPackSize: options.maxPackSize ?? settingNumber(settings, "MaxPackSize") ?? gateDefaults.maxPackSize,
    concurrentTasks: options.concurrentTasks ?? settingNumber(settings, "ConcurrentTasks") ?? gateDefaults.concurrentTasks,
    connectTimeoutMs:
      options.connectTimeoutMs ?? (overTimeSec === undefined ? undefined : overTimeSec * 1000) ?? gateDefaults.connectTimeoutMs,
    maxKeepaliveSec: options.maxKeepaliveSec ?? settingNumber(settings, "MaxKeepalive") ?? gateDefaults.maxKeepaliveSec,
    maxConnections: options.maxConnections ?? settingNumber(settings, "MaxConnections") ?? gateDefaults.maxConnections,
    connectionsPerSecond:
      options.connectionsPerSecond ?? settingNumber(settings, "ConnectionsPerSecond") ?? gateDefaults.connectionsPerSecond,
    maxUnsentBytes: options.maxUnsentBytes ?? settingNumber(settings, "MaxUnsentBytes") ?? gateDefaults.maxUnsentBytes,
    writeQueuePackets: options.writeQueuePackets ?? mqtt?.wirteLoopChanNum ?? 0,
    writeTimeoutMs: options.writeTimeoutMs ?? (mqtt?.writeTimeout === undefined ? 0 : mqtt.writeTimeout * 1000),
    keepaliveZeroSec: options.keepaliveZeroSec ?? mqtt?.readTimeout ?? 0,
    rpcTimeoutMs: options.rpcTimeoutMs ?? settingNumber(settings, "RPCExpired") ?? gateDefaults.rpcTimeoutMs,
    maxTopicLength: options.maxTopicLength ?? gateDefaults.maxTopicLength,
    authenticate: parseAuthenticate(options.authenticate ?? settingString(settings, "AuthHandler")),
    storage: options.storage,
    heartbeatMs: options.heartbeatMs ?? gateDefaults.heartbeatMs,
    listeners: options.listeners ?? [],
    sendMessageHook: options.sendMessageHook,
    onConnectionClosed: options.onConnectionClosed,
  };
  if (resolved.maxPackSize < 16) throw new ConfigError("Gate MaxPackSize must be at least 16");
  if (resolved.concurrentTasks < 1) throw new ConfigError("Gate ConcurrentTasks must be at least 1");
  if (resolved.maxKeepaliveSec < 1) throw new ConfigError("Gate MaxKeepalive must be at least 1 s");
  return resolved;
}

function parseAuthenticate(value: AuthHook | AuthHandlerRef | string | undefined): AuthHook | AuthHandlerRef | undefined {
  if (typeof value !== "string") return value;
  const slash = value.indexOf("/");
  if (slash <= 0 || slash === value.length - 1) {
    throw new ConfigError(`Gate auth handler "${value}" must be "module/handler"`);
  }
  return { module: value.slice(0, slash), handler: value.slice(slash + 1) };
}

/** `":3563"`, `"127.0.0.1:3563"`, `"[::1]:3563"` → host (undefined = all interfaces) and port. */
export function parseListenAddress(address: string): { host: string | undefined; port: number } {
  const colon = address.lastIndexOf(":");
  if (colon < 0) throw new ConfigError(`Gate listen address "${address}" must be host:port or :port`);
  let host = address.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const port = Number(address.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`Gate listen address "${address}" has an invalid port`);
  }
  return { host: host === "" ? undefined : host, port };
}
