/**
 * The gate and the HTTP gateway feed the app's metrics: MQTT connections, publishes in and out, the MQTT
 * bytes on the wire (every packet, as the client's socket counts them), refusals at the connection limit, and HTTP requests by route template and status, read
 * from the app's /metrics endpoint in Prometheus' text format.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { MetricsModule, createHttpGateway } from "../../runtime/internal.js";
import { connectMqtt, nextMessage, startGateApp, type GateHarness } from "../gate/support.js";

let harness: GateHarness;
let metrics: MetricsModule;
let http: Server;
let httpUrl: string;

/** The value of one series in the exposition, 0 when absent. */
async function sample(series: string): Promise<number> {
  const text = await (await fetch(`${metrics.url}/metrics`)).text();
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

before(async () => {
  metrics = new MetricsModule({ processMetrics: false, address: "127.0.0.1:0" });
  harness = await startGateApp({ maxConnections: 2 }, { modules: [metrics] });
  http = createServer(createHttpGateway(harness.app, {}));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await harness?.stop();
});

test("gate: connections, publishes in and out, wire bytes, refusals at the connection limit", async () => {
  const client = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`);
  try {
    assert.equal(await sample('mqgen_gate_connections{node="' + harness.app.nodeIds.Gate + '"}'), 1);
    const payload = JSON.stringify({ name: "mqant" });
    const reply = nextMessage(client, "helloworld/HD_say/1");
    await client.publishAsync("helloworld/HD_say/1", payload);
    await reply;
    assert.equal(await sample('mqgen_gate_publishes_total{direction="in"}'), 1);
    // HD_say pushes once and then replies: two publishes out.
    assert.equal(await sample('mqgen_gate_publishes_total{direction="out"}'), 2);
    // Wire bytes are whole MQTT packets, CONNECT/CONNACK included: exactly what the client's socket wrote and read.
    const socket = client.stream as Socket;
    assert.equal(await sample('mqgen_gate_bytes_total{direction="in"}'), socket.bytesWritten);
    assert.equal(await sample('mqgen_gate_bytes_total{direction="out"}'), socket.bytesRead);
    assert.ok(socket.bytesWritten > Buffer.byteLength(payload) + "helloworld/HD_say/1".length, "more than the payload and topic");
    // maxConnections 2: a second client fits, a third socket is refused before MQTT.
    const second = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`);
    const extra = connect(harness.tcpPort, "127.0.0.1");
    extra.on("error", () => undefined);
    await new Promise((resolve) => extra.once("close", resolve));
    assert.equal(await sample('mqgen_gate_refused_total{reason="max_connections"}'), 1);
    await second.endAsync();
  } finally {
    await client.endAsync();
  }
});

test("http: requests by route template and status", async () => {
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${httpUrl}/nosuchmodule/anything-${i}`);
    await res.arrayBuffer();
    assert.equal(res.status, 404);
  }
  const res = await fetch(`${httpUrl}/`);
  await res.arrayBuffer();
  // Raw paths never become label values: the three requests share the mqant route template.
  assert.equal(await sample('mqgen_http_requests_total{route="/:module/*",method="GET",status="404"}'), 3);
  assert.equal(await sample(`mqgen_http_requests_total{route="other",method="GET",status="${res.status}"}`), 1);
});
