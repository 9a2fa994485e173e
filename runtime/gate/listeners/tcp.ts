/** MQTT over TCP (or TLS): one Connection per socket, bytes handed over as they arrive. */
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { ConnectionTransport } from "../connection.js";
import { admitSocket, type ConnectionAcceptor } from "./acceptor.js";
import { listenOn } from "../../listen.js";

const LISTEN_BACKLOG = 4096;

/** Go's `host:port` text for a peer, which mqant stores as the session IP. */
export function peerAddress(address: string | undefined, port: number | undefined): string {
  let host = address ?? "";
  if (host.startsWith("::ffff:") && host.includes(".")) host = host.slice(7);
  if (host.includes(":")) host = `[${host}]`;
  return `${host}:${port ?? 0}`;
}

function socketTransport(socket: Socket): ConnectionTransport {
  return {
    network: "tcp",
    ip: peerAddress(socket.remoteAddress, socket.remotePort),
    userAgent: undefined,
    write: (bytes) => {
      socket.write(bytes);
    },
    writeMany: (packets) => {
      // Corked writes leave as one writev when uncorked: one syscall, the shared buffers not copied.
      socket.cork();
      for (const packet of packets) socket.write(packet);
      socket.uncork();
    },
    get unsentBytes() {
      return socket.writableLength;
    },
    end: () => {
      // Fully closed once flushed: clients (MQTT.js among them) may not close their side on a FIN.
      socket.once("finish", () => socket.destroy());
      socket.end();
      // A peer that never reads never lets the flush finish.
      setTimeout(() => socket.destroy(), 5_000).unref();
    },
    destroy: () => {
      socket.destroy();
    },
  };
}

/** An admitted socket (plain TCP, or TLS once its handshake is done) becomes a Connection. */
function openConnection(acceptor: ConnectionAcceptor, socket: Socket): void {
  const connection = acceptor.open(socketTransport(socket));
  socket.on("data", (chunk: Buffer) => connection.onData(chunk));
  socket.once("close", () => connection.transportClosed());
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
        socket.on("error", () => {});
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
