/**
 * mqgen side of bench:gate: the runtime's Gate module on a TCP listener, with a `helloworld` backend whose
 * `HD_say` answers the gate client — in the gate's own app, or in another process reached over NATS
 * (discovered through the NATS KV registry).
 */
import { connect, type NatsConnection } from "nats";
import { createApp, Gate, GateRooms, NatsKvRegistry, type App, type GateOptions, type Module, type Session } from "../../runtime/internal.js";
import { PushEngine } from "./push-engine.js";
import { FANOUT_TOPIC } from "./raw-mqtt.js";
import { sleep } from "../support/measure.js";
import { Worker } from "../support/worker.js";
import type { RunningServer } from "./servers.js";
import { profileFlags } from "./start.js";

const REGISTRY_BUCKET = "bench_gate";
const REGISTRY_TTL_MS = 60_000;

/**
 * Limits raised for the benchmark: 64 requests in flight on one connection (mqant's default allows 20) and
 * 10k connections opened in a burst (the default admits 10k per second).
 */
const gateOptions: GateOptions = {
  tcpAddr: "127.0.0.1:0",
  concurrentTasks: 256,
  maxConnections: 200_000,
  connectionsPerSecond: 1_000_000,
};

export const helloworldBackend: Module = {
  type: "helloworld",
  version: "1.0.0",
  onInit(ctx) {
    ctx.server.registerGo("HD_say", (args) => {
      const message = args[1] as Record<string, unknown>;
      return `hi ${String(message["name"])}`;
    });
  },
};

/** The room every fan-out client joins. */
export const BENCH_ROOM = "bench";

/**
 * The `room` backend: `HD_join` puts the calling client in the bench room (Session.joinRoom → the gate's
 * JoinRoom RPC), and a PushEngine pushes to the room with GateRooms, one RoomPush RPC per push whatever the
 * room's size. `gate()` names the gate node to push to (the one the joins came from).
 */
export function roomBackend(app: App, gate: () => string | undefined): { module: Module; engine: PushEngine } {
  let joinedVia: string | undefined;
  const rooms = new GateRooms(app);
  const module: Module = {
    type: "room",
    version: "1.0.0",
    onInit(ctx) {
      ctx.server.registerGo("HD_join", async (args) => {
        const session = args[0] as Session;
        await session.joinRoom(BENCH_ROOM);
        joinedVia = session.serverId;
        return "joined";
      });
    },
  };
  const engine = new PushEngine({
    push: async (payload) => {
      const target = gate() ?? joinedVia;
      if (target === undefined) throw new Error("no client joined the room yet");
      return rooms.push(BENCH_ROOM, FANOUT_TOPIC, payload, { gate: target });
    },
  });
  return { module, engine };
}

function running(app: App, gate: Gate, cleanup: () => Promise<void> = async () => {}, extra: Partial<RunningServer> = {}): RunningServer {
  const port = gate.server.tcpPort;
  if (port === undefined) throw new Error("the gate has no TCP listener");
  return {
    ...extra,
    port,
    stop: async () => {
      await app.stop();
      await cleanup();
    },
  };
}

export async function startGateInProcess(): Promise<RunningServer> {
  const gate = new Gate(gateOptions);
  const app = createApp({ parseFlags: false, debug: false });
  const room = roomBackend(app, () => gate.server.nodeId);
  await app.start([gate, helloworldBackend, room.module]);
  return running(app, gate, async () => {}, { pushEngine: room.engine });
}

export async function natsApp(natsUrl: string): Promise<{ app: App; close(): Promise<void> }> {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const registry = new NatsKvRegistry({ connection: nc, bucket: REGISTRY_BUCKET, ttlMs: REGISTRY_TTL_MS });
  const app = createApp({ nats: nc, registry, registerTtlMs: REGISTRY_TTL_MS, parseFlags: false, debug: false });
  return {
    app,
    close: async () => {
      await registry.close();
      await nc.close();
    },
  };
}

export async function startGateOverNats(natsUrl: string): Promise<RunningServer> {
  const backend = Worker.start({ script: "bench/gate/backend.ts", args: [natsUrl], nodeFlags: profileFlags });
  await backend.next("ready", 30_000);
  const gate = new Gate(gateOptions);
  const { app, close } = await natsApp(natsUrl);
  await app.start([gate]);
  // Wait until the gate's registry view has the backend, so the first client request does not race it.
  const deadline = Date.now() + 20_000;
  while ((await app.getServersByType("helloworld")).length === 0 || (await app.getServersByType("room")).length === 0) {
    if (Date.now() > deadline) throw new Error("the gate never saw the helloworld backend");
    await sleep(50);
  }
  return running(
    app,
    gate,
    async () => {
      await close();
      await backend.stop();
    },
    { pushForward: backend },
  );
}
