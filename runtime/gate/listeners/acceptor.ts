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
  socket.on("error", ignoreError);
  if (!acceptor.admit(socket)) {
    socket.destroy();
    return false;
  }
  // `close` is emitted once; `on` spares the wrapper `once` makes for every socket.
  socket.on("close", releaserOf(acceptor));
  return true;
}

/** Socket errors end in `close`, handled there; the listener only keeps them from being thrown. */
export function ignoreError(): void {}

const releasers = new WeakMap<ConnectionAcceptor, (this: Socket) => void>();

/** One `close` listener per acceptor, shared by all its sockets (`this` is the socket). */
function releaserOf(acceptor: ConnectionAcceptor): (this: Socket) => void {
  let release = releasers.get(acceptor);
  if (release === undefined) {
    release = function (this: Socket) {
      acceptor.release(this);
    };
    releasers.set(acceptor, release);
  }
  return release;
}
