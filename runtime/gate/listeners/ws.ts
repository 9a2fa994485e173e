/**
 * MQTT over WebSocket, as mqant serves it: any URL path, the first offered subprotocol echoed (`mqtt`,
 * `mqttv3.1`), binary frames, and the frames treated as one byte stream (a packet may span frames or share
 * one). Each packet the gate writes goes out in its own frame.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { ConnectionTransport } from "../connection.js";
import { admitSocket, type ConnectionAcceptor } from "./acceptor.js";
import { listenOn } from "../../listen.js";

const PRIVATE_OR_LOOPBACK = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd]|fe80:)/i;

/** mqant's session IP for WebSocket: the peer address, or the first X-Forwarded-For hop behind a private proxy. */
export function clientAddress(request: IncomingMessage): string {
  let peer = request.socket.remoteAddress ?? "";
  if (peer.startsWith("::ffff:") && peer.includes(".")) peer = peer.slice(7);
  const forwarded = request.headers["x-forwarded-for"];
  if (typeof forwarded === "string" && PRIVATE_OR_LOOPBACK.test(peer)) {
    const first = forwarded.split(",")[0]?.trim();
    if (first) return first;
  }
  return peer;
}

function webSocketTransport(ws: WebSocket, request: IncomingMessage): ConnectionTransport {
  const userAgent = request.headers["user-agent"];
  return {
    network: "websocket",
    ip: clientAddress(request),
    userAgent: typeof userAgent === "string" ? userAgent : undefined,
    write: (bytes) => {
      ws.send(bytes, { binary: true });
    },
    writeMany: (packets) => {
      for (const packet of packets) ws.send(packet, { binary: true });
    },
    get unsentBytes() {
      return ws.bufferedAmount;
    },
    end: () => {
      ws.close(1000);
      setTimeout(() => ws.terminate(), 5_000).unref();
    },
    destroy: () => {
      ws.terminate();
    },
  };
}

export async function listenWebSocket(
  acceptor: ConnectionAcceptor,
  address: { host: string | undefined; port: number },
  tls: { cert: string | Uint8Array; key: string | Uint8Array } | undefined,
): Promise<{ server: Server; wss: WebSocketServer }> {
  const httpOptions = {
    headersTimeout: acceptor.handshakeTimeoutMs,
    requestTimeout: acceptor.handshakeTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, acceptor.handshakeTimeoutMs),
    maxHeaderSize: 8_192,
  };
  const upgradeOnly = (_request: IncomingMessage, response: ServerResponse): void => {
    response.writeHead(426, { "content-type": "text/plain" }).end("MQTT over WebSocket only\n");
  };
  // https.Server destroys a socket whose handshake failed or timed out; without handshakeTimeout (default
  // 120 s) a silent socket would hold its slot that long.
  const server: Server =
    tls === undefined
      ? createHttpServer(httpOptions, upgradeOnly)
      : createHttpsServer(
          { ...httpOptions, handshakeTimeout: acceptor.handshakeTimeoutMs, cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) },
          upgradeOnly,
        );
  // Admission happens on the raw socket, so sockets still in the HTTP upgrade (or TLS handshake) count too.
  server.on("connection", (socket: Socket) => void admitSocket(acceptor, socket));
  const wss = new WebSocketServer({
    server,
    maxPayload: acceptor.maxFrameBytes,
    perMessageDeflate: false,
    // The first offered subprotocol, whatever it is, as mqant's x/net/websocket handshake does.
    handleProtocols: (protocols) => {
      const first = protocols.values().next();
      return first.done === true ? false : first.value;
    },
  });
  wss.on("connection", (ws, request) => {
    ws.on("error", () => {});
    const connection = acceptor.open(webSocketTransport(ws, request));
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      connection.onData(chunk);
    });
    ws.once("close", () => connection.transportClosed());
  });
  await listenOn(server, address.port, address.host);
  return { server, wss };
}
