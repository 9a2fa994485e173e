/**
 * A real app running the gate and a backend module that behaves like the captured mqant app's
 * `helloworld` (HD_say binds "u1", pushes "/push/x" "pushed" and answers; HD_raw answers "raw:" + bytes).
 */
import assert from "node:assert/strict";
import { connect as connectTcp, type Socket } from "node:net";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { createApp, type App } from "../../runtime/internal.js";
import type { Module, ModuleContext } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";
import type { GateOptions } from "../../runtime/internal.js";
import { Session } from "../../runtime/internal.js";
import { EncodedArg } from "../../runtime/internal.js";

export interface HelloworldControl {
  /** Resolves parked HD_park calls. */
  releaseParked(): void;
  readonly calls: { handler: string; session: Session; payload: unknown }[];
}

export function helloworldModule(control: { parked: (() => void)[]; calls: HelloworldControl["calls"] }): Module {
  return {
    type: "helloworld",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      ctx.server.registerGo("HD_say", async (args) => {
        const [session, message] = args as [Session, Record<string, unknown>];
        control.calls.push({ handler: "HD_say", session, payload: message });
        await session.bind("u1");
        await session.send("/push/x", "pushed");
        return `hi ${String(message["name"])}, you are ${session.userId} via ${session.network}`;
      });
      ctx.server.registerGo("HD_raw", (args) => {
        const [session, bytes] = args as [Session, Uint8Array];
        control.calls.push({ handler: "HD_raw", session, payload: bytes });
        return Buffer.concat([Buffer.from("raw:"), bytes]);
      });
      ctx.server.registerGo("say", () => "not for gate clients");
      // mqant's module.ProtocolMarshal: the handler pre-encodes what the client receives.
      ctx.server.registerGo("HD_preencoded", () => new EncodedArg("ProtocolMarshal", Buffer.from("\u0000raw frame\u00ff")));
      ctx.server.registerGo("HD_park", async (args) => {
        control.calls.push({ handler: "HD_park", session: args[0] as Session, payload: args[1] });
        await new Promise<void>((resolve) => control.parked.push(resolve));
        return "released";
      });
      ctx.server.registerGo("HD_session", async (args) => {
        const [session, message] = args as [Session, Record<string, unknown>];
        const op = String(message["op"]);
        if (op === "set") await session.set(String(message["key"]), String(message["value"]));
        else if (op === "setPush") await session.setPush(String(message["key"]), String(message["value"]));
        else if (op === "remove") await session.remove(String(message["key"]));
        else if (op === "unbind") await session.unbind();
        else if (op === "bind") await session.bind(String(message["userId"]));
        else if (op === "update") await session.update();
        else if (op === "isConnect") return (await session.isConnect(String(message["userId"]))) ? "yes" : "no";
        else if (op === "broadcast") return String(await session.broadcast("/all", "to everyone"));
        else if (op === "sendBatch") return String(await session.sendBatch(message["ids"] as string[], "/batch", "batched"));
        else if (op === "close") await session.close();
        return { userId: session.userId, settings: { ...session.settings }, sessionId: session.sessionId };
      });
    },
  };
}

export interface GateHarness {
  readonly app: App;
  readonly gate: Gate;
  readonly tcpPort: number;
  readonly wsPort: number;
  readonly calls: HelloworldControl["calls"];
  releaseParked(): void;
  stop(): Promise<void>;
}

export async function startGateApp(
  options: GateOptions = {},
  extra: { nats?: string; modules?: readonly Module[]; config?: Readonly<Record<string, unknown>> } = {},
): Promise<GateHarness> {
  const control = { parked: [] as (() => void)[], calls: [] as HelloworldControl["calls"] };
  const gate = new Gate({ tcpAddr: "127.0.0.1:0", wsAddr: "127.0.0.1:0", ...options });
  const extraModules = extra.modules ?? [];
  const moduleConfig: Record<string, unknown[]> = {
    Gate: [{ Id: "Gate001", ProcessID: "development", Settings: {} }],
    helloworld: [{ Id: "helloworld001", ProcessID: "development", Settings: {} }],
  };
  for (const m of extraModules) moduleConfig[m.type] = [{ Id: `${m.type}001`, ProcessID: "development", Settings: {} }];
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: { ...extra.config, Module: moduleConfig },
    ...(extra.nats === undefined ? {} : { nats: { servers: extra.nats } }),
  });
  await app.start([gate, helloworldModule(control), ...extraModules]);
  return {
    app,
    gate,
    tcpPort: gate.server.tcpPort ?? 0,
    wsPort: gate.server.wsPort ?? 0,
    calls: control.calls,
    releaseParked: () => {
      for (const release of control.parked.splice(0)) release();
    },
    stop: async () => {
      for (const release of control.parked.splice(0)) release();
      await app.stop();
    },
  };
}

export async function connectMqtt(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
}

/** Resolves with the next message on `topic`. */
export function nextMessage(client: MqttClient, topic: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener("message", onMessage);
      reject(new Error(`no message on ${topic} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (received: string, payload: Buffer): void => {
      if (received !== topic) return;
      clearTimeout(timer);
      client.removeListener("message", onMessage);
      resolve(payload.toString());
    };
    client.on("message", onMessage);
  });
}

/** A raw TCP socket that records everything the gate sends and when it closes. */
export class RawClient {
  readonly socket: Socket;
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("error", () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        for (const wake of this.waiters.splice(0)) wake();
        resolve();
      }),
    );
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connectTcp(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new RawClient(socket);
  }

  write(hex: string | Buffer): void {
    this.socket.write(typeof hex === "string" ? Buffer.from(hex, "hex") : hex);
  }

  get bytes(): Buffer {
    return this.received;
  }

  /** Waits until at least `length` bytes arrived (or the socket closed). */
  async waitForBytes(length: number, timeoutMs = 3_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < length && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  /** Resolves true if the gate closed the socket within the time. */
  async waitForClose(timeoutMs = 3_000): Promise<boolean> {
    if (this.closed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.closedPromise.then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * With `maxConnections: 2` and a connect timeout of a few seconds: two silent sockets on `port` (no TLS or
 * WebSocket handshake, no CONNECT) hold both slots, a third is refused at accept while they are still open,
 * the timeout then closes them, and their slots are released. Returns the two silent clients.
 */
export async function expectSilentSocketsHoldSlots(harness: GateHarness, port: number): Promise<RawClient[]> {
  const silent = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
  const deadline = Date.now() + 2_000;
  while (harness.gate.server.socketCount < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(harness.gate.server.socketCount, 2, "both sockets hold a slot before any handshake");
  const refused = await RawClient.connect(port);
  assert.equal(await refused.waitForClose(1_000), true, "a third socket is refused at accept");
  assert.ok(silent.every((client) => !client.closed), "refused by the limit, not by the handshake timeout");
  assert.deepEqual(await Promise.all(silent.map((client) => client.waitForClose(10_000))), [true, true], "the timeout closes silent sockets");
  const released = Date.now() + 5_000;
  while (harness.gate.server.socketCount > 0 && Date.now() < released) await new Promise((r) => setTimeout(r, 10));
  assert.equal(harness.gate.server.socketCount, 0, "their slots are released when the sockets close");
  return silent;
}

export const CONNECT_HEX = "101000044d5154540402003c000472617731"; // level 4, keepalive 60, client id "raw1"
export const CONNACK_OK_HEX = "20020000";
