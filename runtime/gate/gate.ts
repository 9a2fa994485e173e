/**
 * The MQTT gate (mqant `basegate.Gate`): a module of type `Gate` that accepts MQTT 3.1/3.1.1 clients over
 * TCP and WebSocket, routes their publishes to `HD_` handlers of backend modules, and serves the session
 * RPCs (`Bind`, `Send`, …) that backends call back with. GateServer is the network part on its own, usable
 * with any GateBackend; the Gate module (module.ts) wires it into an app.
 */
import type { Server as NetServer, Socket } from "node:net";
import type { Server as HttpServer } from "node:http";
import type { WebSocketServer } from "ws";
import type { RpcCaller } from "../descriptor.js";
import { Connection, type ConnectionHost, type ConnectionTransport, type GateLog } from "./connection.js";
import type { ConnectionAcceptor } from "./listeners/acceptor.js";
import { listenTcp } from "./listeners/tcp.js";
import { listenWebSocket } from "./listeners/ws.js";
import {
  ConnackCode,
  parseListenAddress,
  type AuthHandlerRef,
  type ConnectInfo,
  type ResolvedGateOptions,
  type StorageHandler,
} from "./options.js";
import { Router, type GateBackend } from "./router.js";
export type { GateBackend } from "./router.js";
import type { SessionHost } from "./session-handlers.js";
import { cloneSessionData as copyOf } from "../codec/session.js";
import { publishQos0 } from "./packets.js";
import { RoomIndex, checkRoomName } from "./room-index.js";
import type { GateObserver } from "../observe/hooks.js";
import { SpanKind, instantSpan, otelContext, publishContext, sessionContext, tracedGateCall, tracingActive } from "../observe/tracing.js";

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
  private readonly rooms = new RoomIndex();
  /** Connections with queued pushes; flushed together once per turn of the event loop. */
  private dirty: Connection[] = [];
  private flushScheduled = false;
  /** Refusals, closes and publishes for the metrics (runtime/ops), when attached. */
  observer: GateObserver | undefined;

  constructor(app: GateApp, options: ResolvedGateOptions, nodeId: string, log: GateLog = silentLog) {
    this.app = app;
    this.options = options;
    this.nodeId = nodeId;
    this.log = log;
    this.tokens = options.connectionsPerSecond;
    // Each HD_ call gets the gate's span around the RPC client's; while tracing is off the call goes straight
    // through, with no closure made for a span that will not exist.
    const backend: GateBackend = {
      callArgs: (target, fn, argsType, args, opts) =>
        tracingActive() ? tracedGateCall(target, fn, () => app.callArgs(target, fn, argsType, args, opts)) : app.callArgs(target, fn, argsType, args, opts),
      callArgsNR: (target, fn, argsType, args, opts) =>
        tracingActive() ? tracedGateCall(target, fn, () => app.callArgsNR(target, fn, argsType, args, opts)) : app.callArgsNR(target, fn, argsType, args, opts),
    };
    this.router = new Router(backend, { log, rpcTimeoutMs: options.rpcTimeoutMs, concurrentTasks: options.concurrentTasks });
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
    this.rooms.leaveAll(connection);
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
    this.observer?.publish("in");
    const session = connection.session;
    if (session !== undefined && tracingActive()) {
      // The gate's span of the call, and through it the backend call's, join the connection's trace.
      const attributes = { "messaging.destination.name": topic, "mqgen.gate.session": session.sessionId, "mqgen.node": this.nodeId };
      otelContext.with(publishContext(session.traceId, session.spanId, attributes), () => this.router.route(connection, topic, payload));
      return;
    }
    this.router.route(connection, topic, payload);
  }

  scheduleFlush(connection: Connection): void {
    this.dirty.push(connection);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: every push that arrives in this I/O phase (a NATS read may carry many)
    // joins the same flush, so a socket gets one write for all of them.
    setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const connection of dirty) connection.flush();
  };

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
    return this.pushToMany([connection], topic, body) === 1;
  }

  /**
   * One message to many connections: the PUBLISH is encoded once and the same bytes queued on every
   * connection (a send hook that rewrites the body for a session gets that session its own encoding). Each
   * socket then gets one write per tick, whatever number of pushes reached it.
   */
  private pushToMany(connections: Iterable<Connection>, topic: string, body: Uint8Array): number {
    const hook = this.options.sendMessageHook;
    let shared: Buffer | undefined;
    let count = 0;
    for (const connection of connections) {
      const session = connection.session;
      if (session === undefined || connection.closed) continue;
      let payload: Uint8Array | null = body;
      if (hook !== undefined) payload = hook(copyOf(session), topic, body);
      if (payload === null) continue;
      // Metrics and traces see every recipient, as for a single Send (a span only while tracing is on).
      this.observer?.publish("out");
      if (tracingActive()) instantSpan(`Gate push ${topic}`, SpanKind.PRODUCER, { "messaging.destination.name": topic, "mqgen.gate.session": session.sessionId }, otelContext.active());
      if (payload === body) connection.enqueue((shared ??= publishQos0(topic, body)));
      else connection.enqueue(publishQos0(topic, payload));
      // Not counted when this push took it over the unsent-bytes cap and it was dropped.
      if (!connection.closed) count++;
    }
    return count;
  }

  /** Pushes to one session of this gate; false when it is not connected here. */
  send(sessionId: string, topic: string, body: Uint8Array | string): boolean {
    const connection = this.bySessionId.get(sessionId);
    if (connection === undefined) return false;
    return this.sendTo(connection, topic, typeof body === "string" ? Buffer.from(body) : body);
  }

  /** Pushes to the listed sessions of this gate (mqant SendBatch); unknown ids are skipped. */
  sendBatch(sessionIds: readonly string[], topic: string, body: Uint8Array | string): number {
    const connections: Connection[] = [];
    for (const id of sessionIds) {
      const connection = this.bySessionId.get(id);
      if (connection !== undefined) connections.push(connection);
    }
    return this.pushToMany(connections, topic, typeof body === "string" ? Buffer.from(body) : body);
  }

  broadcast(topic: string, body: Uint8Array | string): number {
    return this.pushToMany(this.bySessionId.values(), topic, typeof body === "string" ? Buffer.from(body) : body);
  }

  /** Pushes to every session of this gate bound to one of the user ids (a user may be connected twice). */
  sendToUsers(userIds: readonly string[], topic: string, body: Uint8Array | string): number {
    const wanted = new Set(userIds.filter((id) => id !== ""));
    if (wanted.size === 0) return 0;
    const connections: Connection[] = [];
    // A scan, as IsConnect does: no user index is kept, so Bind and UnBind stay plain field writes.
    for (const connection of this.bySessionId.values()) {
      const userId = connection.session?.userId;
      if (userId !== undefined && wanted.has(userId)) connections.push(connection);
    }
    return this.pushToMany(connections, topic, typeof body === "string" ? Buffer.from(body) : body);
  }

  // Rooms (the index is room-index.ts) ------------------------------------------------------------------
  /** Adds a connected session to a room; false when the session is not connected here. Joining twice is a no-op. */
  joinRoom(sessionId: string, room: string): boolean {
    // Checked first, so a bad name fails the same way whoever it names.
    checkRoomName(room);
    const connection = this.bySessionId.get(sessionId);
    if (connection === undefined || connection.closed) return false;
    this.rooms.join(connection, room);
    return true;
  }

  /** Removes a session from a room; false when it was not in it. */
  leaveRoom(sessionId: string, room: string): boolean {
    const connection = this.bySessionId.get(sessionId);
    return connection !== undefined && this.rooms.leave(connection, room);
  }

  /** Pushes to every member of a room; resolves how many got it (0 for an unknown room). */
  pushToRoom(room: string, topic: string, body: Uint8Array | string): number {
    const members = this.rooms.members(room);
    if (members === undefined) return 0;
    return this.pushToMany(members, topic, typeof body === "string" ? Buffer.from(body) : body);
  }

  roomSize(room: string): number {
    return this.rooms.size(room);
  }

  /** Session ids in a room, in join order. */
  roomMembers(room: string): string[] {
    const members = this.rooms.members(room);
    if (members === undefined) return [];
    return [...members].flatMap((connection) => (connection.session === undefined ? [] : [connection.session.sessionId]));
  }

  /** Rooms a session is in. */
  roomsOf(sessionId: string): string[] {
    return [...(this.bySessionId.get(sessionId)?.rooms ?? [])];
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
