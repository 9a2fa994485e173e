/**
 * The gate on NATS with the backend in another process: a client publish becomes an RPC over NATS, the
 * backend's session.Bind and session.Send come back over NATS to the owning gate, and the push and the
 * reply reach the client over WebSocket and TCP.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "nats";
import type { MqttClient } from "mqtt";
import { createApp, type App } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";
import { NatsKvRegistry } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { connectMqtt, nextMessage } from "./support.js";

const BUCKET = "gate-nats-test";
let nats: NatsServer;
let backend: ChildProcess;
let backendExited: Promise<number | null>;
let registryConnection: NatsConnection;
let registry: NatsKvRegistry;
let app: App;
let gate: Gate;

before(async () => {
  nats = await NatsServer.start({ jetstream: true });
  backend = spawn(process.execPath, ["--import", "tsx", new URL("./backend-node.ts", import.meta.url).pathname, nats.url, BUCKET], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  backendExited = new Promise((resolve) => backend.once("exit", (code) => resolve(code)));
  let stderr = "";
  backend.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${stderr}`)), 20_000);
    backend.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    backend.once("exit", (code) => reject(new Error(`backend exited with ${code}: ${stderr}`)));
  });
  registryConnection = await connect({ servers: nats.url });
  registry = new NatsKvRegistry({ connection: registryConnection, bucket: BUCKET });
  gate = new Gate({ tcpAddr: "127.0.0.1:0", wsAddr: "127.0.0.1:0" });
  app = createApp({
    parseFlags: false,
    debug: false,
    processId: "gate",
    nats: { servers: nats.url },
    registry,
    config: { Module: { Gate: [{ Id: "Gate001", ProcessID: "gate", Settings: {} }] } },
  });
  await app.start([gate]);
});

after(async () => {
  await app?.stop();
  backend?.kill("SIGTERM");
  await backendExited;
  await registry?.close();
  await registryConnection?.close();
  await nats?.dispose();
});

for (const transport of ["tcp", "websocket"] as const) {
  test(`over ${transport}: request, session.Bind and session.Send all cross NATS`, async () => {
    const url = transport === "tcp" ? `mqtt://127.0.0.1:${gate.server.tcpPort}` : `ws://127.0.0.1:${gate.server.wsPort}/mqtt`;
    const client: MqttClient = await connectMqtt(url, { clientId: `nats-${transport}` });
    try {
      const pushed = nextMessage(client, "/push/x", 10_000);
      const reply = nextMessage(client, "helloworld/HD_say/1", 10_000);
      await client.publishAsync("helloworld/HD_say/1", JSON.stringify({ name: "nats" }));
      assert.equal(await pushed, "pushed");
      const body = JSON.parse(await reply) as { Error: string; Result: unknown };
      assert.deepEqual(body.Error, "");
      assert.equal(body.Result, `hi nats, you are u1 via ${transport}`);
      assert.equal(gate.server.isUserConnected("u1"), true);
      const missing = nextMessage(client, "helloworld/HD_nope/2", 10_000);
      await client.publishAsync("helloworld/HD_nope/2", "{}");
      assert.equal((JSON.parse(await missing) as { Error: string }).Error, "Remote function(HD_nope) not found");
    } finally {
      await client.endAsync();
    }
  });
}
