/**
 * The MQTT gate (mqant `basegate.Gate`): a module of type `Gate` that accepts MQTT 3.1/3.1.1 clients over
 * TCP and WebSocket, routes their publishes to `HD_` handlers of backend modules, and serves the session
 * RPCs (`Bind`, `Send`, …) that backends call back with. GateServer is the network part on its own, usable
 * with any GateBackend; Gate wires it into an app.
 */
import { readFileSync } from "node:fs";
import type { Server as NetServer, Socket } from "node:net";
import type { Server as HttpServer } from "node:http";
import type { WebSocketServer } from "ws";
import type { AppHandle, Module, ModuleContext } from "../app/types.js";
import { ClosedError } from "../errors.js";
import type { RpcCaller } from "../descriptor.js";
import { Connection, type ConnectionHost, type ConnectionTransport, type GateLog } from "./connection.js";
import type { ConnectionAcceptor } from "./listeners/acceptor.js";
import { listenTcp } from "./listeners/tcp.js";
import { listenWebSocket } from "./listeners/ws.js";
import {
  ConnackCode,
  parseListenAddress,
  resolveGateOptions,
  type AuthHandlerRef,
  type ConnectInfo,
  type GateOptions,
  type ResolvedGateOptions,
  type StorageHandler,
} from "./options.js";
import { Router, type GateBackend } from "./router.js";
export type { GateBackend } from "./router.js";
import { registerSessionHandlers, type SessionHost } from "./session-handlers.js";
import { ensureGateSerializer } from "./session.js";
import { cloneSessionData as copyOf } from "../codec/session.js";
import type { GateObserver, OpsHub } from "../observe/hooks.js";
import { SpanKind, instantSpan, otelContext, sessionContext, tracingActive } from "../observe/tracing.js";

/** The app as the gate uses it: backend calls with pre-encoded arguments, plus untyped calls for auth. */
export type GateApp = GateBackend & Pick<RpcCaller, "call">;

const silentLog: GateLog = { debug() {}, warn() {} };

export class GateServer implements ConnectionHost, ConnectionAcceptor, SessionHost {
  readonly options: ResolvedGateOptions;
  readonly nodeId: string;
  readonly log: GateLog;
  private readonly app: GateApp;
  private readonly router: Router;
  private readonly bySessionId = new Map<string, Connection>();
  /** Every socket admitted and not yet closed, connected or not (some still in a TLS or WebSocket handshake). */
  private readonly admitted = new Set<Socket>();
  private tokens: number;
  private tokensAt = Date.now();
  private readonly lastHeartbeat = new WeakMap<Connection, number>();
  private tcpServer: NetServer | undefined;
  private httpServer: HttpServer | undefined;
  private wsServer: WebSocketServer | undefined;
  private readonly allConnections = new Set<Connection>();
  /** Refusals, closes and publishes for the metrics (runtime/ops), when attached. */
  observer: GateObserver | undefined;

  constructor(app: GateApp, options: ResolvedGateOptions, nodeId: string, log: GateLog = silentLog) {
    this.app = app;
    this.options = options;
    this.nodeId = nodeId;
    this.log = log;
    this.tokens = options.connectionsPerSecond;
    this.router = new Router(app, { log, rpcTimeoutMs: options.rpcTimeoutMs, concurrentTasks: options.concurrentTasks });
  }

  get storage(): StorageHandler | undefined {
    return this.options.storage;
  }

  get handshakeTimeoutMs(): number {
    return this.options.connectTimeoutMs;
  }

  get maxFrameBytes(): number {
    return 2 * (this.options.maxPackSize + 5);
  }

  /** Connections that completed CONNECT. */
  get connectionCount(): number {
    return this.bySessionId.size;
  }

  /** Sockets open, including those that have not sent CONNECT yet. */
  get socketCount(): number {
    return this.admitted.size;
  }

  get tcpPort(): number | undefined {
    const address = this.tcpServer?.address();
    return typeof address === "object" && address !== null ? address.port : undefined;
  }

  get wsPort(): number | undefined {
    const address = this.httpServer?.address();
    return typeof address === "object" && address !== null ? address.port : undefined;
  }

  async listen(): Promise<void> {
    if (this.options.tcpAddr !== undefined) {
      this.tcpServer = await listenTcp(this, parseListenAddress(this.options.tcpAddr), this.options.tls);
    }
    if (this.options.wsAddr !== undefined) {
      const { server, wss } = await listenWebSocket(this, parseListenAddress(this.options.wsAddr), this.options.tls);
      this.httpServer = server;
      this.wsServer = wss;
    }
  }

  async close(): Promise<void> {
    for (const connection of [...this.allConnections]) connection.destroy("gate stopping");
    // Sockets still in a handshake have no Connection yet; left alone they would hold close() up to its timeout.
    for (const socket of [...this.admitted]) socket.destroy();
    const closing: Promise<void>[] = [];
    const tcp = this.tcpServer;
    if (tcp !== undefined) closing.push(new Promise((resolve) => tcp.close(() => resolve())));
    this.wsServer?.close();
    const http = this.httpServer;
    if (http !== undefined) {
      http.closeAllConnections();
      closing.push(new Promise((resolve) => http.close(() => resolve())));
    }
    this.tcpServer = undefined;
    this.httpServer = undefined;
    this.wsServer = undefined;
    await Promise.all(closing);
  }

  // ConnectionAcceptor -------------------------------------------------------------------------------

  admit(socket: Socket): boolean {
    if (this.admitted.size >= this.options.maxConnections) {
      this.observer?.refused("max_connections");
      return false;
    }
    const now = Date.now();
    const rate = this.options.connectionsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) {
      this.observer?.refused("rate");
      return false;
    }
    this.tokens -= 1;
    this.admitted.add(socket);
    return true;
  }

  release(socket: Socket): void {
    this.admitted.delete(socket);
  }

  open(transport: ConnectionTransport): Connection {
    const connection = new Connection(this, transport);
    this.allConnections.add(connection);
    return connection;
  }

  // ConnectionHost -----------------------------------------------------------------------------------

  authenticate(info: ConnectInfo): number | Promise<number> {
    const hook = this.options.authenticate;
    if (hook === undefined) return ConnackCode.accepted;
    if (typeof hook === "function") return hook(info);
    return this.authenticateByHandler(hook, info);
  }

  private async authenticateByHandler(ref: AuthHandlerRef, info: ConnectInfo): Promise<number> {
    const result = await this.app.call(
      ref.module,
      ref.handler,
      [
        {
          clientId: info.clientId,
          username: info.username ?? "",
          password: info.password === undefined ? "" : new TextDecoder().decode(info.password),
          ip: info.ip,
          network: info.network,
          protocolVersion: info.protocolVersion,
        },
      ],
      { timeout: this.options.connectTimeoutMs },
    );
    // Not a number at all is a refusal; the range is checked with the function hook's answers (connect.ts).
    if (typeof result === "bigint") return Number(result);
    return typeof result === "number" ? result : ConnackCode.notAuthorized;
  }

  connectionOpened(connection: Connection): void {
    const session = connection.session;
    if (session === undefined) return;
    this.bySessionId.set(session.sessionId, connection);
    // The connection's mqant trace (session TraceId/SpanId) is the parent of all it does (runtime/observe/tracing.ts).
    if (tracingActive()) {
      instantSpan("Gate CONNECT", SpanKind.SERVER, { "mqgen.gate.client_id": connection.clientId ?? "", "mqgen.gate.session": session.sessionId, "mqgen.node": this.nodeId }, sessionContext(session.traceId, session.spanId));
    }
    for (const listener of this.options.listeners) {
      if (listener.connect === undefined) continue;
      // mqant calls Connect in a goroutine: a slow listener must not hold up the client.
      queueMicrotask(() => {
        try {
          listener.connect?.(copyOf(session));
        } catch (error) {
          this.log.warn({ err: error }, "gate session listener connect failed");
        }
      });
    }
  }

  connectionClosed(connection: Connection, opened: boolean): void {
    this.allConnections.delete(connection);
    this.observer?.closed(connection.closeReason ?? "closed", opened);
    const session = connection.session;
    try {
      this.options.onConnectionClosed?.({
        clientId: connection.clientId,
        reason: connection.closeReason ?? "closed",
        session: session === undefined ? undefined : copyOf(session),
      });
    } catch (error) {
      this.log.warn({ err: error }, "gate onConnectionClosed hook failed");
    }
    if (!opened || session === undefined) return;
    this.bySessionId.delete(session.sessionId);
    for (const listener of this.options.listeners) {
      try {
        listener.disconnect?.(copyOf(session));
      } catch (error) {
        this.log.warn({ err: error }, "gate session listener disconnect failed");
      }
    }
  }

  route(connection: Connection, topic: string, payload: Buffer): void {
    this.observer?.publish("in", payload.length);
    const session = connection.session;
    if (session !== undefined && tracingActive()) {
      // The backend call's client span becomes a child of the connection's trace.
      otelContext.with(sessionContext(session.traceId, session.spanId), () => this.router.route(connection, topic, payload));
      return;
    }
    this.router.route(connection, topic, payload);
  }

  activity(connection: Connection): void {
    const storage = this.options.storage;
    const session = connection.session;
    if (storage?.heartbeat === undefined || session === undefined) return;
    const now = Date.now();
    if (now - (this.lastHeartbeat.get(connection) ?? 0) < this.options.heartbeatMs) return;
    this.lastHeartbeat.set(connection, now);
    Promise.resolve()
      .then(() => storage.heartbeat?.(copyOf(session)))
      .catch((error: unknown) => this.log.warn({ err: error }, "gate storage heartbeat failed"));
  }

  // SessionHost and the local API --------------------------------------------------------------------

  findConnection(sessionId: string): Connection | undefined {
    return this.bySessionId.get(sessionId);
  }

  sendTo(connection: Connection, topic: string, body: Uint8Array): boolean {
    const session = connection.session;
    if (session === undefined || connection.closed) return false;
    let payload: Uint8Array | null = body;
    if (this.options.sendMessageHook !== undefined) payload = this.options.sendMessageHook(copyOf(session), topic, body);
    if (payload === null) return false;
    if (tracingActive()) instantSpan(`Gate push ${topic}`, SpanKind.PRODUCER, { "messaging.destination.name": topic, "mqgen.gate.session": session.sessionId }, otelContext.active());
    connection.publish(topic, payload);
    return true;
  }

  /** Pushes to one session of this gate; false when it is not connected here. */
  send(sessionId: string, topic: string, body: Uint8Array | string): boolean {
    const connection = this.bySessionId.get(sessionId);
    if (connection === undefined) return false;
    return this.sendTo(connection, topic, typeof body === "string" ? Buffer.from(body) : body);
  }

  broadcast(topic: string, body: Uint8Array | string): number {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    let count = 0;
    for (const connection of [...this.bySessionId.values()]) if (this.sendTo(connection, topic, bytes)) count++;
    return count;
  }

  isUserConnected(userId: string): boolean {
    for (const connection of this.bySessionId.values()) {
      if (connection.session?.userId === userId && !connection.closed) return true;
    }
    return false;
  }

  /** Sessions of every connected client (copies). */
  sessions(): ReturnType<typeof copyOf>[] {
    return [...this.bySessionId.values()].flatMap((connection) => (connection.session === undefined ? [] : [copyOf(connection.session)]));
  }
}

/**
 * The gate module. Settings (server.json `Module.Gate[].Settings`, mqant's keys): `TCPAddr`, `WSAddr`
 * (`":3563"`, `":3653"` in the examples), `TLS`, `CertFile`, `KeyFile`, `MaxPackSize`, `ConcurrentTasks`,
 * `OverTime` (s), `MaxKeepalive` (s), `MaxConnections`, `ConnectionsPerSecond`, `MaxUnsentBytes`,
 * `RPCExpired` (ms). Listeners start in onInit, so the ports are open once the app has started.
 */
export class Gate implements Module {
  readonly type: string;
  readonly version: string;
  private readonly gateOptions: GateOptions;
  private gateServer: GateServer | undefined;
  private ops: OpsHub | undefined;

  constructor(options: GateOptions = {}) {
    this.gateOptions = options;
    this.type = options.type ?? "Gate";
    this.version = options.version ?? "1.0.0";
  }

  /** The running server (after onInit). */
  get server(): GateServer {
    if (this.gateServer === undefined) throw new ClosedError("the gate is not running (before onInit or after onDestroy)");
    return this.gateServer;
  }

  onAppConfigurationLoaded(app: AppHandle): void {
    // Every process needs the SESSION serializer, to decode what the gate sends and to return sessions.
    ensureGateSerializer(app);
  }

  async onInit(ctx: ModuleContext): Promise<void> {
    const options = resolveGateOptions(this.gateOptions, ctx.settings.settings, (path) => readFileSync(path));
    const log: GateLog = {
      debug: (details, message) => ctx.log.debug(details, message),
      warn: (details, message) => ctx.log.warn(details, message),
    };
    const server = new GateServer(ctx.app, options, ctx.nodeId, log);
    registerSessionHandlers(ctx.server, server);
    server.observer = ctx.app.ops?.gate;
    await server.listen();
    this.gateServer = server;
    this.ops = ctx.app.ops;
    this.ops?.addGate(server);
    ctx.log.info({ tcp: server.tcpPort, ws: server.wsPort }, `gate ${ctx.nodeId} listening`);
  }

  async onDestroy(): Promise<void> {
    if (this.gateServer !== undefined) this.ops?.removeGate(this.gateServer);
    await this.gateServer?.close();
    this.gateServer = undefined;
  }
}

