/**
 * mqgen's one reach into nats.js internals, kept in this file alone. nats is pinned in package.json to the
 * version test/runtime/nats-internals.test.ts covers: that test fails the day an upgrade changes these
 * internals, instead of the transport silently falling back to nc.publish() (correct, but slower).
 */
import type { NatsConnection } from "nats";

/**
 * The parts of nats.js's protocol handler that publish() itself uses. publish() builds its `PUB` line as a
 * string, TextEncodes it and queues three buffers; an RPC call publishes twice, so mqgen writes the same
 * bytes (`PUB <subject> [<reply>] <size>\r\n<payload>\r\n`) into one buffer, the envelope encoded straight
 * into it, and queues that. Anything unusual (no such internals in this nats.js, closed or draining
 * connection, non-ASCII subjects, payloads over the server's limit) takes nc.publish(), so its checks and
 * errors still apply.
 */
export interface ProtocolInternals {
  sendCommand(command: Uint8Array): void;
  outBytes: number;
  outMsgs: number;
  noMorePublishing?: boolean;
  info?: { max_payload?: number };
}

export function protocolOf(nc: NatsConnection): ProtocolInternals | undefined {
  const protocol = (nc as unknown as { protocol?: Partial<ProtocolInternals> }).protocol;
  if (protocol === undefined || typeof protocol.sendCommand !== "function") return undefined;
  if (typeof protocol.outBytes !== "number" || typeof protocol.outMsgs !== "number") return undefined;
  return protocol as ProtocolInternals;
}

/** What WriteCoalescer needs of the socket under a connection (a net.Socket or tls.TLSSocket). */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}

/**
 * The socket nats.js currently writes to, or undefined (not connected, or other internals). Read anew each
 * time: a reconnect gives the connection a new transport and socket.
 */
export function socketOf(nc: NatsConnection): CorkableSocket | undefined {
  const transport = (nc as unknown as { protocol?: { transport?: { socket?: Partial<CorkableSocket> } } }).protocol?.transport;
  const socket = transport?.socket;
  if (socket === undefined || typeof socket.cork !== "function" || typeof socket.uncork !== "function") return undefined;
  return socket as CorkableSocket;
}
