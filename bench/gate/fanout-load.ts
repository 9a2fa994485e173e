/**
 * Fan-out load process of bench:gate: `fanout-load.ts <port> <count> <gate|broker> <topic> <clientPrefix>`.
 * Opens `count` raw MQTT connections; each joins the bench room through the gate (`room/HD_join/1`, answered
 * once the gate holds it in the room) or subscribes QoS 0 to `topic` on a plain broker. Every client then
 * reads everything and checks each push's sequence number (gaps and repeats are counted, never hidden).
 *
 * Parent commands, one JSON line each: `await-seq {seq, timeoutMs}` (→ `seq`: how many clients have it, first
 * and last arrival), `watch {on}` (→ `progress {minSeq}` every 20 ms while on), `reset`, `report` (→ counts and
 * the latency histogram since the last reset).
 */
import type { Socket } from "node:net";
import { emit, parentMessages, reportFailures } from "../support/worker.js";
import {
  CONNACK,
  FrameReader,
  Histogram,
  PUBLISH,
  SUBACK,
  connectPacket,
  nowMs,
  openSocket,
  publishPacket,
  publishParts,
  subscribePacket,
} from "./raw-mqtt.js";

reportFailures();
const [portText = "", countText = "", mode = "gate", topic = "", prefix = "fan"] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const JOIN_TOPIC = "room/HD_join/1";

interface Client {
  readonly socket: Socket;
  lastSeq: number;
  /** Arrival time of the latest push (ms). */
  lastAt: number;
  received: number;
  closed: boolean;
}

const clients: Client[] = [];
const histogram = new Histogram();
let gaps = 0;
let repeats = 0;
let deliveries = 0;

function openClient(index: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    openSocket(port).then((socket) => {
      const client: Client = { socket, lastSeq: 0, lastAt: 0, received: 0, closed: false };
      const timer = setTimeout(() => reject(new Error(`client ${index}: not joined in 60 s`)), 60_000);
      let joined = false;
      const done = (): void => {
        joined = true;
        clearTimeout(timer);
        resolve(client);
      };
      const reader = new FrameReader((type, frame, bodyOffset) => {
        if (type === PUBLISH) {
          const { topic: received, payloadOffset } = publishParts(frame, bodyOffset);
          if (!joined) {
            if (received === JOIN_TOPIC) {
              const reply = frame.toString("utf8", payloadOffset);
              if (!reply.includes('"Error":""')) reject(new Error(`client ${index}: join failed: ${reply}`));
              else done();
            }
            return;
          }
          if (received !== topic) return;
          const at = nowMs();
          const seq = frame.readUInt32BE(payloadOffset);
          histogram.add(at - frame.readDoubleBE(payloadOffset + 4));
          if (seq === client.lastSeq + 1 || client.lastSeq === 0) {
            // The first push a client sees after joining may be any sequence number.
          } else if (seq <= client.lastSeq) repeats++;
          else gaps += seq - client.lastSeq - 1;
          client.lastSeq = Math.max(client.lastSeq, seq);
          client.lastAt = at;
          client.received++;
          deliveries++;
        } else if (type === CONNACK) {
          if (frame[3] !== 0) {
            reject(new Error(`client ${index}: CONNACK ${frame[3]}`));
            return;
          }
          if (mode === "gate") socket.write(publishPacket(JOIN_TOPIC, Buffer.from('{"room":"bench"}')));
          else socket.write(subscribePacket(topic));
        } else if (type === SUBACK && !joined) {
          done();
        }
      });
      socket.on("data", (chunk: Buffer) => reader.push(chunk));
      socket.on("error", () => {});
      socket.once("close", () => {
        client.closed = true;
        if (!joined) reject(new Error(`client ${index}: closed before joining`));
      });
      socket.write(connectPacket(`${prefix}-${process.pid}-${index}`));
    }, reject);
  });
}

const started = performance.now();
{
  // Bounded parallel opening, so the server's accept backlog never overflows (the storm measures that).
  let next = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < count) clients.push(await openClient(next++));
    }),
  );
}
emit({ type: "opened", count: clients.length, seconds: (performance.now() - started) / 1000 });

let watchTimer: NodeJS.Timeout | undefined;
function minSeq(): number {
  let min = Number.POSITIVE_INFINITY;
  for (const client of clients) if (!client.closed && client.lastSeq < min) min = client.lastSeq;
  return min === Number.POSITIVE_INFINITY ? 0 : min;
}

async function awaitSeq(seq: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    let have = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (const client of clients) {
      if (client.lastSeq >= seq) {
        have++;
        // lastAt is the arrival of `seq` itself when it is the latest push the client has.
        if (client.lastSeq === seq) {
          first = Math.min(first, client.lastAt);
          last = Math.max(last, client.lastAt);
        }
      }
    }
    const open = clients.filter((c) => !c.closed).length;
    if (have === clients.length || performance.now() > deadline || have === open) {
      emit({ type: "seq", seq, received: have, open, firstAt: first, lastAt: last });
      return;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

for await (const message of parentMessages()) {
  if (message.type === "await-seq") {
    await awaitSeq(Number(message["seq"]), Number(message["timeoutMs"] ?? 30_000));
  } else if (message.type === "watch") {
    if (watchTimer !== undefined) clearInterval(watchTimer);
    watchTimer = undefined;
    if (message["on"] === true) watchTimer = setInterval(() => emit({ type: "progress", minSeq: minSeq() }), 20);
    // The last progress line says so: the parent's reader stops there and the next reply is a command's.
    else emit({ type: "progress", minSeq: minSeq(), final: true });
  } else if (message.type === "reset") {
    histogram.reset();
    gaps = 0;
    repeats = 0;
    deliveries = 0;
    for (const client of clients) client.received = 0;
    emit({ type: "reset" });
  } else if (message.type === "report") {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const client of clients) {
      min = Math.min(min, client.received);
      max = Math.max(max, client.received);
    }
    emit({
      type: "report",
      deliveries,
      gaps,
      repeats,
      closed: clients.filter((c) => c.closed).length,
      minPerClient: min,
      maxPerClient: max,
      histogram: histogram.sparse(),
    });
  }
}
if (watchTimer !== undefined) clearInterval(watchTimer);
for (const client of clients) client.socket.destroy();
process.exit(0);
