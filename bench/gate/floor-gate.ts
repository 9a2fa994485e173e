/**
 * The round-trip floor of bench:gate's gate over NATS: the least a Node.js gate with its backend in another
 * process can do. Raw MQTT (CONNACK; a PUBLISH's PUBACK after its NATS request is out), each PUBLISH sent as
 * is (topic and payload) with nc.publish to a nats.js backend (floor-gate-backend.ts) that answers with a
 * fixed mqant envelope, the reply written back as a QoS 0 PUBLISH on the request's topic: no session, no
 * RPC envelope, no routing, no selector. A gate over NATS can only approach this; what it costs beyond
 * Aedes' echo plus a bare NATS round trip is what composing the two hops costs on this machine.
 */
import { createServer, type Socket } from "node:net";
import { connect } from "nats";
import { FrameReader } from "./raw-mqtt.js";
import { Worker } from "../support/worker.js";
import type { RunningServer } from "./servers.js";

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);
export const FLOOR_BACKEND_SUBJECT = "bench.floor.backend";

function remainingLengthBytes(length: number): number[] {
  const out: number[] = [];
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

export async function startFloorGate(natsUrl: string): Promise<RunningServer> {
  const backend = Worker.start({ script: "bench/gate/floor-gate-backend.ts", args: [natsUrl] });
  await backend.next("ready", 30_000);
  const nc = await connect({ servers: natsUrl });
  const inbox = `_INBOX.floor.${process.pid}`;
  const byId = new Map<number, Socket>();
  let nextId = 0;
  // The reply carries the request's topic (2-byte length + topic) and the envelope: a PUBLISH body as is.
  nc.subscribe(`${inbox}.*`, {
    callback: (_err, msg) => {
      const socket = byId.get(Number(msg.subject.slice(inbox.length + 1)));
      if (socket === undefined) return;
      socket.write(Buffer.concat([Buffer.from([0x30, ...remainingLengthBytes(msg.data.length)]), msg.data]));
    },
  });
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    const id = nextId++;
    sockets.add(socket);
    byId.set(id, socket);
    socket.on("error", () => {});
    socket.once("close", () => {
      sockets.delete(socket);
      byId.delete(id);
    });
    const reply = `${inbox}.${id}`;
    const reader = new FrameReader((type, frame, bodyOffset) => {
      if (type === 1) socket.write(CONNACK_OK);
      else if (type === 12) socket.write(PINGRESP);
      else if (type === 3) {
        const qos = (frame[0]! >> 1) & 3;
        const idAt = bodyOffset + 2 + frame.readUInt16BE(bodyOffset);
        const payloadAt = qos > 0 ? idAt + 2 : idAt;
        nc.publish(FLOOR_BACKEND_SUBJECT, Buffer.concat([frame.subarray(bodyOffset, idAt), frame.subarray(payloadAt)]), { reply });
        if (qos > 0) {
          const ack = Buffer.from([0x40, 0x02, frame[idAt]!, frame[idAt + 1]!]);
          setImmediate(() => socket.write(ack));
        }
      }
    });
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => resolve());
  });
  await nc.flush();
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await nc.close();
      await backend.stop();
    },
  };
}
