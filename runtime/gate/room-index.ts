/**
 * The gate's rooms: room → member connections (in join order) and, on each connection, the rooms it is in,
 * so a push to a room visits its members only and a closing connection leaves its rooms without a search.
 */
import { BadArgumentError } from "../errors.js";
import type { Connection } from "./connection.js";

/**
 * Rooms one connection may be in. Room names come from backends, which may take them from clients: without a
 * cap one connection could pin unbounded index entries.
 */
const MAX_ROOMS_PER_CONNECTION = 1024;
/** Longest room name in UTF-8 bytes. */
const MAX_ROOM_NAME_BYTES = 256;

/** Throws BadArgumentError unless the room name is 1 to 256 UTF-8 bytes. */
export function checkRoomName(room: string): void {
  if (room.length === 0 || Buffer.byteLength(room) > MAX_ROOM_NAME_BYTES) {
    throw new BadArgumentError(`a room name must be 1 to ${MAX_ROOM_NAME_BYTES} bytes`);
  }
}

export class RoomIndex {
  private readonly rooms = new Map<string, Set<Connection>>();

  /** Joining twice is a no-op. Throws BadArgumentError for a bad name or a connection in too many rooms. */
  join(connection: Connection, room: string): void {
    checkRoomName(room);
    const joined = (connection.rooms ??= new Set());
    if (joined.has(room)) return;
    if (joined.size >= MAX_ROOMS_PER_CONNECTION) {
      throw new BadArgumentError(`a connection may be in at most ${MAX_ROOMS_PER_CONNECTION} rooms`);
    }
    joined.add(room);
    let members = this.rooms.get(room);
    if (members === undefined) this.rooms.set(room, (members = new Set()));
    members.add(connection);
  }

  /** False when the connection was not in the room. */
  leave(connection: Connection, room: string): boolean {
    if (connection.rooms?.delete(room) !== true) return false;
    this.drop(connection, room);
    return true;
  }

  /** A closed connection leaves every room it was in. */
  leaveAll(connection: Connection): void {
    if (connection.rooms === undefined) return;
    for (const room of connection.rooms) this.drop(connection, room);
    connection.rooms = undefined;
  }

  /** The live member set (iterating it while members close is safe: Set iteration skips deleted entries). */
  members(room: string): ReadonlySet<Connection> | undefined {
    return this.rooms.get(room);
  }

  size(room: string): number {
    return this.rooms.get(room)?.size ?? 0;
  }

  private drop(connection: Connection, room: string): void {
    const members = this.rooms.get(room);
    if (members === undefined) return;
    members.delete(connection);
    // An empty room leaves the index, so room names that come and go do not accumulate.
    if (members.size === 0) this.rooms.delete(room);
  }
}
