/** MQTT over TCP (or TLS): one Connection per socket, bytes handed over as they arrive. */
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { Connection, ConnectionTransport } from "../connection.js";
import { admitSocket, ignoreError, type ConnectionAcceptor } from "./acceptor.js";
import { listenOn } from "../../listen.js";

const LISTEN_BACKLOG = 4096;

/** Go's `host:port` text for a peer, which mqant stores as the session IP. */
export function peerAddress(address: string | undefined, port: number | undefined): string {
  let host = address ?? "";
  if (host.startsWith("::ffff:") && host.includes(".")) host = host.slice(7);
  if (host.includes(":")) host = `[${host}]`;
  return `${host}:${port ?? 0}`;
}

/**
 * A socket as a Connection's transport. A class with shared methods and module-level listeners that find
 * their Connection on the socket, rather than closures per socket: at 10,000 connections each closure and
 * `once` wrapper saved is memory the gate does not hold.
 */
class SocketTransport implements ConnectionTransport {
  readonly network = "tcp";
  readonly userAgent = undefined;
  readonly ip: string;
  private readonly socket: Socket;

  constructor(socket: Socket) {
    this.socket = socket;
    this.ip = peerAddress(socket.remoteAddress, socket.remotePort);
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  writeMany(packets: readonly Buffer[]): void {
    // Corked writes leave as one writev when uncorked: one syscall, the shared buffers not copied.
    const socket = this.socket;
    socket.cork();
    for (const packet of packets) socket.write(packet);
    socket.uncork();
  }

  get unsentBytes(): number {
    return this.socket.writableLength;
  }

  end(): void {
    const socket = this.socket;
    // Fully closed once flushed: clients (MQTT.js among them) may not close their side on a FIN.
    socket.once("finish", () => socket.destroy());
    socket.end();
    // A peer that never reads never lets the flush finish.
    setTimeout(() => socket.destroy(), 5_000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const kConnection = Symbol("mqgen.gate.connection");
type GateSocket = Socket & { [kConnection]?: Connection };

function onSocketData(this: GateSocket, chunk: Buffer): void {
  this[kConnection]?.onData(chunk);
}

function onSocketClose(this: GateSocket): void {
  this[kConnection]?.transportClosed();
}

/** An admitted socket (plain TCP, or TLS once its handshake is done) becomes a Connection. */
function openConnection(acceptor: ConnectionAcceptor, socket: GateSocket): void {
  socket[kConnection] = acceptor.open(new SocketTransport(socket));
  socket.on("data", onSocketData);
  socket.on("close", onSocketClose);
}

export async function listenTcp(
  acceptor: ConnectionAcceptor,
  address: { host: string | undefined; port: number },
  tls: { cert: string | Uint8Array; key: string | Uint8Array } | undefined,
): Promise<Server> {
  let server: Server;
  if (tls === undefined) {
    server = createNetServer({ noDelay: true }, (socket) => {
      if (admitSocket(acceptor, socket)) openConnection(acceptor, socket);
    });
  } else {
    const tlsServer = createTlsServer(
      { cert: Buffer.from(tls.cert), key: Buffer.from(tls.key), handshakeTimeout: acceptor.handshakeTimeoutMs },
      (socket) => {
        // The TLS socket is a second object over the admitted raw one, with its own error events.
        socket.on("error", ignoreError);
        openConnection(acceptor, socket);
      },
    );
    // Admission happens on the raw socket, before the handshake (a socket refused here never gets one).
    tlsServer.on("connection", (socket: Socket) => void admitSocket(acceptor, socket));
    // A handshake timeout is only reported here: Node leaves that socket open, so a client that connects and
    // says nothing would keep its slot forever.
    tlsServer.on("tlsClientError", (_error, socket) => socket.destroy());
    server = tlsServer;
  }
  // Node's default backlog (511) overflows when thousands of clients reconnect at once (a gate restart):
  // the excess SYNs are dropped and retried a second or more later. The kernel caps it at somaxconn.
  await listenOn(server, address.port, address.host, LISTEN_BACKLOG);
  return server;
}
