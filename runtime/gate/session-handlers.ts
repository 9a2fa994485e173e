/**
 * The gate node's RPC handlers that backends' Session methods call (mqant `gate/base/gate_handler.go`,
 * registered with RegisterGO): `Update, Bind, UnBind, Push, Set, Remove, Send, SendBatch, BroadCast,
 * IsConnect, Close`, each taking mqant's `(trace, sessionId, …)` (BroadCast: `(trace, topic, body)`).
 * Results that are sessions travel as `SESSION` through the gate serializer. mqgen adds the room RPCs
 * (`JoinRoom`, `LeaveRoom`, `RoomPush`, `RoomSize`) and `SendToUsers`, in the same style; a Go mqant gate
 * does not have them.
 */
import { BadArgumentError, NotFoundError } from "../errors.js";
import type { ModuleServer } from "../descriptor.js";
import type { Connection } from "./connection.js";
import { Session } from "./session.js";
import type { GateSessionData } from "./session-state.js";
import type { StorageHandler } from "./options.js";

/** mqant's text, typo included: Go callers match on it. */
export const NO_SESSION_FOUND = "No Sesssion found";

/** What the handlers need from the gate. */
export interface SessionHost {
  readonly storage: StorageHandler | undefined;
  findConnection(sessionId: string): Connection | undefined;
  /** Applies the send hook, then publishes; false when the hook blocked it. */
  sendTo(connection: Connection, topic: string, body: Uint8Array): boolean;
  sendBatch(sessionIds: readonly string[], topic: string, body: Uint8Array): number;
  broadcast(topic: string, body: Uint8Array): number;
  sendToUsers(userIds: readonly string[], topic: string, body: Uint8Array): number;
  isUserConnected(userId: string): boolean;
  joinRoom(sessionId: string, room: string): boolean;
  leaveRoom(sessionId: string, room: string): boolean;
  pushToRoom(room: string, topic: string, body: Uint8Array): number;
  roomSize(room: string): number;
}

function stringArg(args: readonly unknown[], index: number, name: string): string {
  const value = args[index];
  if (typeof value !== "string") throw new BadArgumentError(`${name} must be a string`);
  return value;
}

function bytesArg(args: readonly unknown[], index: number, name: string): Uint8Array {
  const value = args[index];
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return new TextEncoder().encode(value);
  throw new BadArgumentError(`${name} must be bytes`);
}

function stringMapArg(args: readonly unknown[], index: number): Record<string, string> {
  const value = args[index];
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new BadArgumentError("settings must be a map");
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = String(item);
  return out;
}

export function registerSessionHandlers(server: ModuleServer, host: SessionHost): void {
  const sessionOf = (args: readonly unknown[]): GateSessionData => {
    const connection = host.findConnection(stringArg(args, 1, "sessionId"));
    if (connection === undefined || connection.session === undefined || connection.closed) {
      throw new NotFoundError(NO_SESSION_FOUND);
    }
    return connection.session;
  };
  const reply = (session: GateSessionData): Session => new Session(session);
  const persist = async (session: GateSessionData): Promise<void> => {
    if (host.storage !== undefined && session.userId !== "") await host.storage.storage(session);
  };

  server.registerGo("Update", (args) => reply(sessionOf(args)));

  server.registerGo("Bind", async (args) => {
    const session = sessionOf(args);
    const userId = stringArg(args, 2, "userId");
    session.userId = userId;
    if (host.storage !== undefined) {
      const saved = await host.storage.query(userId);
      // mqant merges stored settings under the live ones: keys already on the session win.
      if (saved !== undefined) for (const [key, value] of Object.entries(saved)) if (!Object.hasOwn(session.settings, key)) session.settings[key] = value;
      await host.storage.storage(session);
    }
    return reply(session);
  });

  server.registerGo("UnBind", async (args) => {
    const session = sessionOf(args);
    if (host.storage !== undefined && session.userId !== "") await host.storage.delete(session);
    session.userId = "";
    return reply(session);
  });

  server.registerGo("Push", async (args) => {
    const session = sessionOf(args);
    Object.assign(session.settings, stringMapArg(args, 2));
    await persist(session);
    return reply(session);
  });

  server.registerGo("Set", async (args) => {
    const session = sessionOf(args);
    session.settings[stringArg(args, 2, "key")] = stringArg(args, 3, "value");
    await persist(session);
    return reply(session);
  });

  server.registerGo("Remove", async (args) => {
    const session = sessionOf(args);
    delete session.settings[stringArg(args, 2, "key")];
    await persist(session);
    return reply(session);
  });

  server.registerGo("Send", (args) => {
    const connection = host.findConnection(stringArg(args, 1, "sessionId"));
    if (connection === undefined || connection.closed) throw new NotFoundError(NO_SESSION_FOUND);
    host.sendTo(connection, stringArg(args, 2, "topic"), bytesArg(args, 3, "body"));
    return "success";
  });

  // One RPC carries one message for many sessions; the gate encodes the PUBLISH once for all of them.
  server.registerGo("SendBatch", (args) => {
    const ids = stringArg(args, 1, "sessionIds").split(",");
    return BigInt(host.sendBatch(ids, stringArg(args, 2, "topic"), bytesArg(args, 3, "body")));
  });

  server.registerGo("BroadCast", (args) => BigInt(host.broadcast(stringArg(args, 1, "topic"), bytesArg(args, 2, "body"))));

  // (trace, userIds, topic, body), ids comma-separated as in SendBatch → how many sessions got it.
  server.registerGo("SendToUsers", (args) =>
    BigInt(host.sendToUsers(stringArg(args, 1, "userIds").split(","), stringArg(args, 2, "topic"), bytesArg(args, 3, "body"))),
  );

  // Rooms: (trace, sessionIds, room) with ids comma-separated as in SendBatch → how many joined or left.
  server.registerGo("JoinRoom", (args) => {
    const room = stringArg(args, 2, "room");
    let count = 0n;
    for (const id of stringArg(args, 1, "sessionIds").split(",")) if (host.joinRoom(id, room)) count++;
    return count;
  });

  server.registerGo("LeaveRoom", (args) => {
    const room = stringArg(args, 2, "room");
    let count = 0n;
    for (const id of stringArg(args, 1, "sessionIds").split(",")) if (host.leaveRoom(id, room)) count++;
    return count;
  });

  // (trace, room, topic, body) → how many members got it.
  server.registerGo("RoomPush", (args) =>
    BigInt(host.pushToRoom(stringArg(args, 1, "room"), stringArg(args, 2, "topic"), bytesArg(args, 3, "body"))),
  );

  server.registerGo("RoomSize", (args) => BigInt(host.roomSize(stringArg(args, 1, "room"))));

  server.registerGo("IsConnect", (args) => host.isUserConnected(stringArg(args, 2, "userId")));

  server.registerGo("Close", (args) => {
    const connection = host.findConnection(stringArg(args, 1, "sessionId"));
    if (connection === undefined) throw new NotFoundError(NO_SESSION_FOUND);
    connection.end("closed by a backend (Session.close)");
    return undefined;
  });
}
