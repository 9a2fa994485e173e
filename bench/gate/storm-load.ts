/**
 * Connection-storm load process of bench:gate: `storm-load.ts <port> <count> <prefix>`. On `go`, opens all
 * `count` TCP connections at once (no batching: the server's accept path and backlog are what is measured),
 * sends CONNECT on each as soon as it is connected and records when its CONNACK arrives. Replies `stormed`
 * with the first and last CONNACK times (ms since the epoch), how many were accepted, refused (a CONNACK
 * other than 0, or closed / reset before one) or timed out. Holds the connections until stdin closes.
 */
import { connect, type Socket } from "node:net";
import { emit, parentMessages, reportFailures, type WorkerMessage } from "../support/worker.js";
import { CONNACK, FrameReader, connectPacket, nowMs } from "./raw-mqtt.js";

reportFailures();
const [portText = "", countText = "", prefix = "storm"] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const sockets: Socket[] = [];

function storm(timeoutMs: number): Promise<WorkerMessage> {
  return new Promise((resolve) => {
    const startedAt = nowMs();
    let accepted = 0;
    let refused = 0;
    let timedOut = 0;
    let lastAt = 0;
    let pending = count;
    const reasons = new Map<string, number>();
    const settle = (): void => {
      if (--pending > 0) return;
      clearTimeout(timer);
      resolve({ type: "stormed", startedAt, lastAt, accepted, refused, timedOut, reasons: Object.fromEntries(reasons) });
    };
    const done = new Set<number>();
    const finish = (index: number, outcome: "accepted" | "refused", reason = ""): void => {
      if (done.has(index)) return;
      done.add(index);
      if (outcome === "accepted") {
        accepted++;
        lastAt = Math.max(lastAt, nowMs());
      } else {
        refused++;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      settle();
    };
    const timer = setTimeout(() => {
      timedOut = pending;
      pending = 0;
      resolve({ type: "stormed", startedAt, lastAt, accepted, refused, timedOut, reasons: Object.fromEntries(reasons) });
    }, timeoutMs);
    for (let i = 0; i < count; i++) {
      const socket = connect({ port, host: "127.0.0.1", noDelay: true });
      sockets.push(socket);
      const reader = new FrameReader((type, frame) => {
        if (type === CONNACK) finish(i, frame[3] === 0 ? "accepted" : "refused", `CONNACK ${frame[3]}`);
      });
      socket.on("data", (chunk: Buffer) => reader.push(chunk));
      socket.once("connect", () => socket.write(connectPacket(`${prefix}-${process.pid}-${i}`)));
      socket.on("error", (error: NodeJS.ErrnoException) => finish(i, "refused", error.code ?? error.message));
      socket.once("close", () => finish(i, "refused", "closed before CONNACK"));
    }
  });
}

for await (const message of parentMessages()) {
  if (message.type === "go") emit(await storm(Number(message["timeoutMs"] ?? 60_000)));
}
for (const socket of sockets) socket.destroy();
process.exit(0);
