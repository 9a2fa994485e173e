/**
 * The MQTT servers of bench:gate, each started inside a server child process: Aedes (the peer, alone and
 * with a responder client in another process), and the mqgen gate with its backend in process or over NATS.
 */
import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";
import { startGateInProcess, startGateOverNats } from "./mqgen.js";
import { Worker } from "../support/worker.js";
import type { PushEngine } from "./push-engine.js";
import { startFloorBroker } from "./floor-broker.js";
import { startFloorGate } from "./floor-gate.js";

export interface RunningServer {
  readonly port: number;
  /** Fan-out pushes from a backend in this process (the gate with its backend in process). */
  readonly pushEngine?: PushEngine;
  /** Fan-out pushes from a backend process: push messages are forwarded to it (the gate over NATS). */
  readonly pushForward?: Worker;
  stop(): Promise<void>;
}

export interface ServerKind {
  readonly name: string;
  readonly label: string;
  /** How a client asks for one round trip on this server. */
  readonly roundTrip: "echo-subscription" | "gate-request" | "broker-request";
  readonly needsNats: boolean;
  /** Whether idle memory per connection is measured (not for a peer that only differs in its round trip). */
  readonly idle: boolean;
  start(natsUrl: string): Promise<RunningServer>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no port"));
      else resolve(address.port);
    });
  });
}

async function startAedesWithResponder(): Promise<RunningServer> {
  const broker = await startAedes();
  const responder = Worker.start({ script: "bench/gate/responder.ts", args: [String(broker.port)] });
  await responder.next("ready", 30_000);
  return {
    port: broker.port,
    stop: async () => {
      await responder.stop();
      await broker.stop();
    },
  };
}

async function startAedes(): Promise<RunningServer> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    broker.handle(socket);
  });
  const port = await listen(server);
  return {
    port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

export const serverKinds: readonly ServerKind[] = [
  { name: "aedes", label: "Aedes 1.2 (QoS 1 echo)", roundTrip: "echo-subscription", needsNats: false, idle: true, start: () => startAedes() },
  {
    name: "aedes-responder",
    label: "Aedes 1.2, request to a responder client",
    roundTrip: "broker-request",
    needsNats: false,
    idle: false,
    start: () => startAedesWithResponder(),
  },
  {
    name: "gate-inproc",
    label: "mqgen gate, backend in process",
    roundTrip: "gate-request",
    needsNats: false,
    idle: true,
    start: () => startGateInProcess(),
  },
  {
    name: "gate-nats",
    label: "mqgen gate, backend over NATS",
    roundTrip: "gate-request",
    needsNats: true,
    idle: true,
    start: (natsUrl) => startGateOverNats(natsUrl),
  },
  {
    name: "gate-floor-nats",
    label: "bare Node.js gate over NATS (raw MQTT, nats.js to a nats.js backend; the floor)",
    roundTrip: "gate-request",
    needsNats: true,
    idle: false,
    start: (natsUrl) => startFloorGate(natsUrl),
  },
];

/** Servers measured only by the many-connection sections (fan-out), not by round trip or idle memory. */
export const scaleOnlyKinds: readonly ServerKind[] = [
  {
    name: "node-floor",
    label: "bare Node.js fan-out (one socket.write per subscriber; the floor)",
    roundTrip: "echo-subscription",
    needsNats: false,
    idle: false,
    start: () => startFloorBroker(),
  },
];

export function serverKindNamed(name: string): ServerKind {
  const kind = [...serverKinds, ...scaleOnlyKinds].find((k) => k.name === name);
  if (kind === undefined) throw new Error(`unknown gate server ${name}`);
  return kind;
}
