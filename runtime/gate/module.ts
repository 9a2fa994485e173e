/**
 * The Gate module: reads its settings, starts a GateServer in onInit and stops it in onDestroy.
 */
import { readFileSync } from "node:fs";
import type { AppHandle, Module, ModuleContext } from "../app/types.js";
import { ClosedError, ConfigError } from "../errors.js";
import type { RpcCaller } from "../descriptor.js";
import type { GateLog } from "./connection.js";
import { GateServer } from "./gate.js";
import { resolveGateOptions, type GateOptions } from "./options.js";
import { registerSessionHandlers } from "./session-handlers.js";
import { ensureGateSerializer } from "./session.js";
import { GateRooms, type GateDirectory, type GateRoomsOptions } from "./rooms.js";
import type { OpsHub } from "../observe/hooks.js";

/**
 * The gate module. Settings (server.json `Module.Gate[].Settings`, mqant's keys): `TCPAddr`, `WSAddr`
 * (`":3563"`, `":3653"` in the examples), `TLS`, `CertFile`, `KeyFile`, `MaxPackSize`, `ConcurrentTasks`,
 * `OverTime` (s), `MaxKeepalive` (s), `MaxConnections`, `ConnectionsPerSecond`, `MaxUnsentBytes`,
 * `RPCExpired` (ms); from server.json's `Mqtt` section, `ReadTimeout`, `WriteTimeout` and `WirteLoopChanNum`
 * (options.ts). Listeners start in onInit, so the ports are open once the app has started.
 */
export class Gate implements Module {
  readonly type: string;
  readonly version: string;
  private readonly gateOptions: GateOptions;
  private gateServer: GateServer | undefined;
  private ops: OpsHub | undefined;

  constructor(options: GateOptions = {}) {
    this.gateOptions = options;
    this.type = options.type ?? "Gate";
    this.version = options.version ?? "1.0.0";
  }

  /** Rooms of the gates for a backend in any process, by RPC to the gate nodes (`caller`: the app). */
  static rooms(caller: RpcCaller & Partial<GateDirectory>, options: GateRoomsOptions = {}): GateRooms {
    return new GateRooms(caller, options);
  }

  /** The running server (after onInit). */
  get server(): GateServer {
    if (this.gateServer === undefined) throw new ClosedError("the gate is not running (before onInit or after onDestroy)");
    return this.gateServer;
  }

  onAppConfigurationLoaded(app: AppHandle): void {
    // Every process needs the SESSION serializer, to decode what the gate sends and to return sessions.
    ensureGateSerializer(app);
  }

  async onInit(ctx: ModuleContext): Promise<void> {
    const options = resolveGateOptions(this.gateOptions, ctx.settings.settings, (path) => readFileSync(path), ctx.app.config?.mqtt);
    // A gate with no listener would log "listening" and never take a client.
    if (options.tcpAddr === undefined && options.wsAddr === undefined) throw new ConfigError("Settings: TCPAddr or WSAddr is required");
    const log: GateLog = {
      debug: (details, message) => ctx.log.debug(details, message),
      warn: (details, message) => ctx.log.warn(details, message),
    };
    const server = new GateServer(ctx.app, options, ctx.nodeId, log);
    registerSessionHandlers(ctx.server, server);
    server.observer = ctx.app.ops?.gate;
    await server.listen();
    this.gateServer = server;
    this.ops = ctx.app.ops;
    this.ops?.addGate(server);
    ctx.log.info({ tcp: server.tcpPort, ws: server.wsPort }, `gate ${ctx.nodeId} listening`);
  }

  async onDestroy(): Promise<void> {
    if (this.gateServer !== undefined) this.ops?.removeGate(this.gateServer);
    await this.gateServer?.close();
    this.gateServer = undefined;
  }
}

