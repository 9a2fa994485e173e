/** What a listener needs from the gate: admission (limits) and a Connection per accepted transport. */
import type { Socket } from "node:net";
import type { Connection, ConnectionTransport } from "../connection.js";

export interface ConnectionAcceptor {
  /** Counts the socket against max connections and the connection rate; false = close it at once. */
  admit(socket: Socket): boolean;
  /** Called once for every admitted socket when it closes. */
  release(socket: Socket): void;
  open(transport: ConnectionTransport): Connection;
  /** TLS / WebSocket handshakes must finish within this. */
  readonly handshakeTimeoutMs: number;
  /** Largest WebSocket message accepted (a frame may carry a whole MQTT packet plus its header). */
  readonly maxFrameBytes: number;
}

/**
 * Counts a freshly accepted socket against the limits before any TLS or WebSocket handshake, so sockets that
 * never finish one still count; the slot is released when the socket closes. False: the socket was closed.
 */
export function admitSocket(acceptor: ConnectionAcceptor, socket: Socket): boolean {
  socket.setNoDelay(true);
  socket.on("error", () => {});
  if (!acceptor.admit(socket)) {
    socket.destroy();
    return false;
  }
  socket.once("close", () => acceptor.release(socket));
  return true;
}
