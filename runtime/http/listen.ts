/**
 * The HTTP server every HTTP-serving module needs: keep-alive on, Nagle off on each accepted socket (small
 * replies would otherwise wait for the peer's delayed ACK), resolved once it listens.
 */
import { createServer, type RequestListener, type Server } from "node:http";
import type { Socket } from "node:net";
import type { ListenAddress } from "./module.js";
import { listenOn } from "../listen.js";

export async function listenHttp(
  handler: RequestListener,
  address: ListenAddress,
  options: { readonly keepAliveTimeoutMs?: number } = {},
): Promise<Server> {
  const server = createServer({ keepAlive: true, noDelay: true }, handler);
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  await listenOn(server, address.port, address.host);
  return server;
}

/** Stops listening and drops open keep-alive connections, so a module's destroy does not wait on idle clients. */
export async function closeHttp(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
