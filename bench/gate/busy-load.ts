/**
 * Busy-connections load process of bench:gate: `busy-load.ts <port> <count> <gate|broker> <prefix>`. Opens
 * `count` raw MQTT connections, each keeping exactly one request in flight when told to `run {ms}`:
 *  - gate: QoS 0 PUBLISH `helloworld/HD_say/<n>` `{"name":"x"}`, done when the reply comes back on that topic;
 *  - broker: subscribed QoS 0 to `reply/<clientId>/+`, QoS 0 PUBLISH `req/<clientId>/<n>`, done when the
 *    responder client's answer arrives on `reply/<clientId>/<n>`.
 * Replies `busy {completed, errors, seconds, histogram}`; a reply carrying an error counts as an error.
 */
import type { Socket } from "node:net";
import { emit, parentMessages, reportFailures } from "../support/worker.js";
import { CONNACK, FrameReader, Histogram, PUBLISH, SUBACK, connectPacket, openSocket, publishPacket, publishParts, subscribePacket } from "./raw-mqtt.js";

reportFailures();
const [portText = "", countText = "", mode = "gate", prefix = "busy"] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const body = Buffer.from('{"name":"x"}');
/** A reply without an error (the gate's envelope; responder.ts answers in the same shape). */
const NO_ERROR = Buffer.from('"Error":""');

interface Client {
  readonly socket: Socket;
  readonly id: string;
  n: number;
  sentAt: number;
  waiting: string;
  closed: boolean;
}

const clients: Client[] = [];
const histogram = new Histogram();
let completed = 0;
let errors = 0;
let running = false;
let deadline = 0;
let idle: (() => void) | undefined;
let inFlight = 0;

function send(client: Client): void {
  client.n++;
  const topic = mode === "gate" ? `helloworld/HD_say/${client.n}` : `req/${client.id}/${client.n}`;
  client.waiting = mode === "gate" ? topic : `reply/${client.id}/${client.n}`;
  client.sentAt = performance.now();
  inFlight++;
  client.socket.write(publishPacket(topic, body));
}

function answered(client: Client, ok: boolean): void {
  histogram.add(performance.now() - client.sentAt);
  inFlight--;
  if (ok) completed++;
  else errors++;
  client.waiting = "";
  if (running && performance.now() < deadline) send(client);
  else if (inFlight === 0) idle?.();
}

function openClient(index: number): Promise<void> {
  return openSocket(port).then(
    (socket) =>
      new Promise<void>((resolve, reject) => {
        const client: Client = { socket, id: `${prefix}-${process.pid}-${index}`, n: 0, sentAt: 0, waiting: "", closed: false };
        const timer = setTimeout(() => reject(new Error(`client ${index}: not ready in 60 s`)), 60_000);
        const ready = (): void => {
          clearTimeout(timer);
          clients.push(client);
          resolve();
        };
        const reader = new FrameReader((type, frame, bodyOffset) => {
          if (type === PUBLISH) {
            const { topic, payloadOffset } = publishParts(frame, bodyOffset);
            if (topic !== client.waiting) return;
            answered(client, frame.indexOf(NO_ERROR, payloadOffset) >= 0);
          } else if (type === CONNACK) {
            if (frame[3] !== 0) reject(new Error(`client ${index}: CONNACK ${frame[3]}`));
            else if (mode === "gate") ready();
            else socket.write(subscribePacket(`reply/${client.id}/+`));
          } else if (type === SUBACK) {
            ready();
          }
        });
        socket.on("data", (chunk: Buffer) => reader.push(chunk));
        socket.on("error", () => {});
        socket.once("close", () => {
          client.closed = true;
        });
        socket.write(connectPacket(client.id));
      }),
  );
}

{
  let next = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < count) await openClient(next++);
    }),
  );
}
emit({ type: "opened", count: clients.length });

for await (const message of parentMessages()) {
  if (message.type !== "run") continue;
  histogram.reset();
  completed = 0;
  errors = 0;
  const ms = Number(message["ms"]);
  const started = performance.now();
  deadline = started + ms;
  running = true;
  const finished = new Promise<void>((resolve) => {
    idle = resolve;
  });
  for (const client of clients) send(client);
  // Requests still unanswered well after the deadline are reported as lost instead of hanging the bench.
  const lost = setTimeout(() => idle?.(), ms + 30_000);
  await finished;
  clearTimeout(lost);
  running = false;
  const seconds = (performance.now() - started) / 1000;
  emit({
    type: "busy",
    completed,
    errors,
    lost: inFlight,
    closed: clients.filter((c) => c.closed).length,
    seconds,
    histogram: histogram.sparse(),
  });
  inFlight = 0;
}
for (const client of clients) client.socket.destroy();
process.exit(0);
