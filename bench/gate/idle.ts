/**
 * Idle-connection client of bench:gate: `idle.ts <port> <count>`. Opens `count` raw TCP connections, sends
 * an MQTT 3.1.1 CONNECT on each and waits for its CONNACK, then holds them open (no traffic) until stdin
 * closes. Connects in bounded parallel batches so the server's accept backlog never overflows.
 */
import { connect, type Socket } from "node:net";
import mqttPacket from "mqtt-packet";
import { emit, reportFailures, untilParentCloses } from "../support/worker.js";

reportFailures();
const [portText = "", countText = "10000"] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const parallel = 256;
const sockets: Socket[] = [];

function openOne(index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.setNoDelay(true);
    const timer = setTimeout(() => reject(new Error(`connection ${index}: no CONNACK in 20 s`)), 20_000);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("connect", () => {
      socket.write(
        mqttPacket.generate({
          cmd: "connect",
          protocolId: "MQTT",
          protocolVersion: 4,
          clean: true,
          clientId: `idle-${process.pid}-${index}`,
          keepalive: 60,
        }),
      );
    });
    socket.once("data", (data: Buffer) => {
      clearTimeout(timer);
      // CONNACK: type 0x20, remaining length 2, flags, return code 0.
      if (data[0] !== 0x20 || data[3] !== 0) {
        reject(new Error(`connection ${index}: expected CONNACK 0, got ${data.subarray(0, 4).toString("hex")}`));
        return;
      }
      socket.on("error", () => undefined);
      sockets.push(socket);
      resolve();
    });
  });
}

const started = performance.now();
let opened = 0;
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (opened < count) await openOne(opened++);
  }),
);
emit({ type: "connected", count: sockets.length, seconds: (performance.now() - started) / 1000 });
await untilParentCloses();
for (const socket of sockets) socket.destroy();
process.exit(0);
