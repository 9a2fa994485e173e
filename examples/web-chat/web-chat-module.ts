/**
 * The chat demo's web module: serves the page, the browser build of MQTT.js and the page's ES modules
 * (the generated typed gate client and the runtime files it imports), so the browser talks to the gate
 * over WebSocket with no bundler. TypeScript sources are transpiled per file on request (cached) and wired
 * together by the page's import map.
 */
import { readFile, stat } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync, readFileSync } from "node:fs";
import { closeHttp, listenAddressFromSettings, listenHttp, type Module, type ModuleContext } from "mqgen/runtime";

export interface WebChatModuleOptions {
  readonly type?: string;
  /**
   * Where the browser reaches the gate's WebSocket listener. A port number means "same host as the page"
   * (`ws://<page host>:<port>/mqtt`). A function is asked on every page load (a gate on port 0 learns its
   * port at start). Default: Settings `GateWSPort`, else 3653 (the examples' WSAddr).
   */
  readonly gateWs?: string | number | (() => string | number);
}

/** Folders whose TypeScript the page may load as modules; nothing else of the project is served. */
const MODULE_ROOTS = ["runtime", "generated", "examples/web-chat/browser"];

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      const name = (JSON.parse(readFileSync(candidate, "utf8")) as { name?: string }).name;
      if (name === "mqgen") return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("web-chat: cannot find the mqgen project root");
    dir = parent;
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".css": "text/css; charset=utf-8",
};

export class WebChatModule implements Module {
  readonly type: string;
  readonly version = "1.0.0";
  private readonly options: WebChatModuleOptions;
  private readonly root = findProjectRoot();
  private readonly transpiled = new Map<string, { mtimeMs: number; code: string }>();
  private server: Server | undefined;
  private gateWs: string | number | (() => string | number) = 3653;

  constructor(options: WebChatModuleOptions = {}) {
    this.type = options.type ?? "WebChat";
    this.options = options;
  }

  async onInit(ctx: ModuleContext): Promise<void> {
    const settings = ctx.settings.settings;
    const { host, port } = listenAddressFromSettings(settings);
    const fromSettings = settings["GateWSPort"] ?? settings["GateWS"];
    this.gateWs = this.options.gateWs ?? (typeof fromSettings === "string" || typeof fromSettings === "number" ? fromSettings : 3653);
    const server = await listenHttp((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        ctx.log.error({ err, url: req.url }, "web-chat request failed");
        if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
        res.end("internal error");
      });
    }, { host, port });
    this.server = server;
    ctx.log.info({ address: server.address() }, "web chat page listening");
  }

  address(): AddressInfo | undefined {
    const address = this.server?.address();
    return address === null || typeof address === "string" ? undefined : address;
  }

  async onDestroy(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await closeHttp(server);
  }

  private gateUrlFor(req: IncomingMessage): string {
    const gateWs = typeof this.gateWs === "function" ? this.gateWs() : this.gateWs;
    if (typeof gateWs === "string") return gateWs;
    const hostHeader = req.headers.host ?? "127.0.0.1";
    const hostname = hostHeader.startsWith("[") ? hostHeader.slice(0, hostHeader.indexOf("]") + 1) : hostHeader.split(":")[0];
    return `ws://${hostname}:${gateWs}/mqtt`;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://page.invalid").pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain", "GET only");
      return;
    }
    if (path === "/" || path === "/index.html") {
      await this.sendFile(res, join(this.root, "examples/web-chat/public/index.html"));
      return;
    }
    if (path === "/config.json") {
      send(res, 200, CONTENT_TYPES[".json"], JSON.stringify({ gateUrl: this.gateUrlFor(req) }));
      return;
    }
    if (path === "/vendor/mqtt.esm.js") {
      await this.sendFile(res, join(packageDir("mqtt"), "dist/mqtt.esm.js"));
      return;
    }
    if (path === "/vendor/protobuf.min.js") {
      await this.sendFile(res, join(packageDir("protobufjs"), "dist/minimal/protobuf.min.js"));
      return;
    }
    if (path === "/vendor/protobufjs-minimal.js") {
      // protobufjs is CommonJS; its browser build sets `globalThis.protobuf`, which this shim re-exports.
      send(res, 200, CONTENT_TYPES[".js"], "export default globalThis.protobuf;\n");
      return;
    }
    if (path.startsWith("/modules/") && path.endsWith(".js")) {
      const code = await this.moduleSource(path.slice("/modules/".length, -".js".length));
      if (code === undefined) send(res, 404, "text/plain", "not found");
      else send(res, 200, CONTENT_TYPES[".js"], code);
      return;
    }
    send(res, 404, "text/plain", "not found");
  }

  private async sendFile(res: ServerResponse, file: string): Promise<void> {
    const body = await readFile(file);
    const ext = file.slice(file.lastIndexOf("."));
    send(res, 200, CONTENT_TYPES[ext] ?? "application/octet-stream", body);
  }

  /** `runtime/gate/client/index` → its transpiled TypeScript (or the compiled file under dist/). */
  private async moduleSource(modulePath: string): Promise<string | undefined> {
    const clean = normalize(modulePath);
    if (clean.startsWith("..") || clean.includes(`${sep}..`) || !MODULE_ROOTS.some((root) => clean.startsWith(`${root}/`))) {
      return undefined;
    }
    const tsFile = join(this.root, `${clean}.ts`);
    const tsStat = await stat(tsFile).catch(() => undefined);
    if (tsStat === undefined) {
      const compiled = join(this.root, "dist", `${clean}.js`);
      return readFile(compiled, "utf8").catch(() => undefined);
    }
    const cached = this.transpiled.get(tsFile);
    if (cached !== undefined && cached.mtimeMs === tsStat.mtimeMs) return cached.code;
    // ts-morph carries its own TypeScript compiler API (the `typescript` package's native compiler has none).
    const { ts } = await import("ts-morph");
    const output = ts.transpileModule(await readFile(tsFile, "utf8"), {
      fileName: tsFile,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    this.transpiled.set(tsFile, { mtimeMs: tsStat.mtimeMs, code: output.outputText });
    return output.outputText;
  }
}

function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve(`${name}/package.json`));
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(body);
}
