/**
 * The fan-out floor of bench:gate: the least a Node.js server can do to push one message to N MQTT clients.
 * It answers CONNECT with CONNACK and SUBSCRIBE with SUBACK, keeps the subscribers in an array, and writes a
 * publisher's QoS 0 PUBLISH frame, as received, to every subscriber with one `socket.write` each: no topic
 * matching, no session, no encoding. A gate's push to a room can only approach this.
 */
import { createServer, type Socket } from "node:net";
import { FrameReader } from "./raw-mqtt.js";
import type { RunningServer } from "./servers.js";

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

export async function startFloorBroker(): Promise<RunningServer> {
  const subscribers: Socket[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => {
      sockets.delete(socket);
      const index = subscribers.indexOf(socket);
      if (index >= 0) subscribers.splice(index, 1);
    });
    const reader = new FrameReader((type, frame, bodyOffset) => {
      if (type === 1) socket.write(CONNACK_OK);
      else if (type === 8) {
        // SUBACK for the one entry: message id from the SUBSCRIBE, granted QoS 0.
        socket.write(Buffer.from([0x90, 0x03, frame[bodyOffset]!, frame[bodyOffset + 1]!, 0x00]));
        subscribers.push(socket);
      } else if (type === 3) {
        // The frame may share its chunk with the next one: copied once, then shared by every write.
        const copy = Buffer.from(frame);
        for (const subscriber of subscribers) subscriber.write(copy);
      }
    });
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
