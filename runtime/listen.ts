/** Starting a listener the way every server in the runtime does (HTTP, the gate's TCP and WebSocket ports). */
import type { Server } from "node:net";

/**
 * Resolves once `server` listens on `host:port`; rejects with the listen error (port in use, no permission)
 * instead of leaving it to an `error` event nobody handles. The one-shot error listener is removed on
 * success, so later socket errors reach the server's own handlers.
 */
export function listenOn(server: Server, port: number, host: string | undefined, backlog?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, ...(backlog === undefined ? {} : { backlog }) }, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
