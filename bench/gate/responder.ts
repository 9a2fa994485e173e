/**
 * The backend of the `aedes-responder` peer: `responder.ts <port>`, one MQTT.js connection subscribed (QoS 1)
 * to `req/+/+`, answering each `req/<clientId>/<n>` with a QoS 1 PUBLISH on `reply/<clientId>/<n>`. With it,
 * a round trip through Aedes crosses the broker to another process and back, as a gate request to a backend
 * over NATS does.
 */
import type { Socket } from "node:net";
import mqtt from "mqtt";
import { emit, reportFailures, untilParentCloses } from "../support/worker.js";
import { sleep } from "../support/measure.js";

reportFailures();
const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${process.argv[2] ?? ""}`, {
  clientId: `responder-${process.pid}`,
  protocolVersion: 4,
  clean: true,
  keepalive: 60,
  reconnectPeriod: 0,
});
(client.stream as Socket).setNoDelay(true);
client.on("message", (topic, payload) => {
  const name = (JSON.parse(payload.toString()) as { name?: unknown }).name;
  client.publish(`reply/${topic.slice("req/".length)}`, JSON.stringify({ Trace: "", Error: "", Result: `hi ${String(name)}` }), { qos: 1 });
});
await client.subscribeAsync("req/+/+", { qos: 1 });
emit({ type: "ready" });
await untilParentCloses();
await Promise.race([client.endAsync(), sleep(5000)]);
process.exit(0);
