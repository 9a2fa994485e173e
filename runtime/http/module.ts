/**
 * A module that serves the HTTP gateway on its own port. mqant leaves mounting `httpgateway.NewHandler` to
 * the user's module; this is that module, configured from server.json Settings `Addr` (`":8090"`,
 * `"127.0.0.1:8090"`) and/or `Port`.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Module, ModuleContext } from "../app/types.js";
import { ConfigError } from "../errors.js";
import { createHttpGateway, type HttpGatewayOptions } from "./gateway.js";
import { closeHttp, listenHttp } from "./listen.js";

export interface HttpGatewayModuleOptions extends HttpGatewayOptions {
  /** Module type in server.json; default `HttpGateway`. */
  readonly type?: string;
  readonly version?: string;
  /** Idle keep-alive sockets are closed after this long; default 65 s (longer than common proxies' 60 s). */
  readonly keepAliveTimeoutMs?: number;
}

export interface ListenAddress {
  readonly host: string | undefined;
  readonly port: number;
}

/** Reads `Addr` (Go `host:port`, host optional) and `Port` (wins over Addr's port). */
export function listenAddressFromSettings(settings: Readonly<Record<string, unknown>>): ListenAddress {
  let host: string | undefined;
  let port: number | undefined;
  const addr = settings["Addr"];
  if (addr !== undefined) {
    if (typeof addr !== "string") throw new ConfigError(`Settings.Addr must be a "host:port" string`);
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
    if (match === null) throw new ConfigError(`Settings.Addr ${JSON.stringify(addr)} is not "host:port"`);
    const parsedHost = match[1] ?? match[2];
    host = parsedHost === "" ? undefined : parsedHost;
    port = Number(match[3]);
  }
  const portSetting = settings["Port"];
  if (portSetting !== undefined) {
    const value = typeof portSetting === "string" ? Number(portSetting) : portSetting;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
      throw new ConfigError(`Settings.Port must be a port number, got ${JSON.stringify(portSetting)}`);
    }
    port = value;
  }
  if (port === undefined || port > 65535) throw new ConfigError("Settings.Addr or Settings.Port is required");
  return { host, port };
}

export class HttpGatewayModule implements Module {
  readonly type: string;
  readonly version: string;
  private readonly options: HttpGatewayModuleOptions;
  private server: Server | undefined;

  constructor(options: HttpGatewayModuleOptions = {}) {
    this.type = options.type ?? "HttpGateway";
    this.version = options.version ?? "1.0.0";
    this.options = options;
  }

  async onInit(ctx: ModuleContext): Promise<void> {
    const server = await listenHttp(createHttpGateway(ctx.app, this.options), listenAddressFromSettings(ctx.settings.settings), {
      keepAliveTimeoutMs: this.options.keepAliveTimeoutMs ?? 65_000,
    });
    this.server = server;
    ctx.log.info({ address: server.address() }, "http gateway listening");
  }

  /** Where it listens (useful with `Port: 0`); undefined before init or after destroy. */
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
}
