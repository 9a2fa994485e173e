/**
 * The mqant introduction's web module: an HTTP server (Settings `Port`, default 8080) whose handlers call
 * other modules through the typed stubs, wherever those modules run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AppHandle, Module, ModuleContext } from "mqgen/runtime";
import { HelloworldClient } from "../../generated/helloworld.js";
import { ResultInfo, Req, RpctestClient } from "../../generated/rpctest.js";

export class WebModule implements Module {
  readonly type = "web";
  readonly version = "1.0.0";
  private server: Server | undefined;
  private port = 8080;
  private host = "127.0.0.1";

  onInit(ctx: ModuleContext): void {
    const port = ctx.settings.settings.Port;
    if (typeof port === "number") this.port = port;
    const host = ctx.settings.settings.Host;
    if (typeof host === "string") this.host = host;
    const helloworld = new HelloworldClient(ctx.app);
    const rpctest = new RpctestClient(ctx.app);
    this.server = createServer((req, res) => {
      void this.route(ctx.app, helloworld, rpctest, req, res);
    });
    this.server.on("connection", (socket) => socket.setNoDelay(true));
  }

  private async route(
    app: AppHandle,
    helloworld: HelloworldClient,
    rpctest: RpctestClient,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      let body: string;
      if (url.pathname === "/say") {
        body = await helloworld.sayHi(url.searchParams.get("name") ?? "");
      } else if (url.pathname === "/test/proto") {
        const reply = await rpctest.testProto(ResultInfo.create({ Error: url.searchParams.get("message") ?? "" }));
        body = reply.Error;
      } else if (url.pathname === "/test/marshal") {
        const reply = await rpctest.testMarshal(Req.create({ Id: url.searchParams.get("mid") ?? "" }));
        body = reply.Msg;
      } else {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
        return;
      }
      app.log.debug(`web ${url.pathname} -> ${body}`);
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(body);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end(`${message}\n`);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => resolve());
    });
    if (signal.aborted) return;
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  }

  async onDestroy(): Promise<void> {
    const server = this.server;
    if (server === undefined || !server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Where it listens, for the startup banner. */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }
}
