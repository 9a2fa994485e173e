/**
 * Round-trip client of bench:gate: `roundtrip.ts <echo-subscription|gate-request> <port>`, one MQTT.js
 * connection. Runs one measurement round per `{"type":"run"}` line from the parent.
 *
 * - gate-request: PUBLISH QoS 1 `helloworld/HD_say/<n>` with `{"name":"x"}`; done when the gate publishes
 *   the reply on the same topic (mqant's request/response convention).
 * - echo-subscription: the client is subscribed (QoS 1) to `bench/<clientId>/+`; PUBLISH QoS 1
 *   `bench/<clientId>/<n>`; done when the broker delivers that message back to the same client — the
 *   request/response equivalent through a plain broker.
 * - broker-request: the client is subscribed (QoS 1) to `reply/<clientId>/+`; PUBLISH QoS 1
 *   `req/<clientId>/<n>` with `{"name":"x"}`; a responder client in another process (responder.ts) answers
 *   on `reply/<clientId>/<n>` — a request to a backend process through a plain broker.
 */
import type { Socket } from "node:net";
import mqtt from "mqtt";
import { runLoad, sleep, type LoadOptions } from "../support/measure.js";
import { emit, parentMessages, reportFailures } from "../support/worker.js";

reportFailures();
const [mode = "", portText = ""] = process.argv.slice(2);
const clientId = `bench-${process.pid}`;
const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${portText}`, {
  clientId,
  protocolVersion: 4,
  clean: true,
  keepalive: 60,
  reconnectPeriod: 0,
});
// MQTT.js leaves Nagle on; with a PUBACK and the next PUBLISH as separate small writes, Nagle plus the peer's
// delayed ACK would add ~40 ms per round trip and measure TCP timers instead of the servers.
(client.stream as Socket).setNoDelay(true);
const pending = new Map<string, (payload: Buffer) => void>();
client.on("message", (topic, payload) => {
  const resolve = pending.get(topic);
  if (resolve !== undefined) {
    pending.delete(topic);
    resolve(payload);
  }
});
const prefixes: Record<string, { request: string; reply: string }> = {
  "gate-request": { request: "helloworld/HD_say/", reply: "helloworld/HD_say/" },
  "echo-subscription": { request: `bench/${clientId}/`, reply: `bench/${clientId}/` },
  "broker-request": { request: `req/${clientId}/`, reply: `reply/${clientId}/` },
};
const prefix = prefixes[mode];
if (prefix === undefined) throw new Error(`unknown round-trip mode ${mode}`);
if (mode !== "gate-request") await client.subscribeAsync(`${prefix.reply}+`, { qos: 1 });

const body = Buffer.from(JSON.stringify({ name: "x" }));
let next = 0;
const call = (): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const n = ++next;
    pending.set(`${prefix.reply}${n}`, (payload) => {
      if (mode !== "echo-subscription") {
        // A gate reply is mqant's {"Trace","Error","Result"} envelope; an error reply is not a round trip.
        const reply = JSON.parse(payload.toString()) as { Error?: string };
        if (reply.Error !== undefined && reply.Error !== "") {
          reject(new Error(`gate replied with error: ${reply.Error}`));
          return;
        }
      }
      resolve();
    });
    client.publish(`${prefix.request}${n}`, body, { qos: 1 });
  });

// The first request after start is retried (up to 3 tries, 15 s each) and its failures reported, so a
// server that loses its first request is measured on the rest and the loss still shows in the results.
const firstCallFailures: string[] = [];
for (;;) {
  try {
    await Promise.race([
      call(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("no answer in 15 s")), 15_000)),
    ]);
    break;
  } catch (error) {
    firstCallFailures.push(error instanceof Error ? error.message : String(error));
    if (firstCallFailures.length >= 3) throw new Error(`first round trip failed 3 times: ${firstCallFailures.join("; ")}`);
  }
}
emit({ type: "ready", firstCallFailures });
for await (const message of parentMessages()) {
  if (message.type !== "run") continue;
  const result = await runLoad(call, message["options"] as LoadOptions);
  emit({ type: "result", ...result });
}
await Promise.race([client.endAsync(), sleep(5000)]);
process.exit(0);
