/**
 * A backend process that adds the gate's SESSION serializer by hand (as mqant backends do with
 * AddRPCSerialize) must answer the very first gate call: the Session's own "register the serializer on first
 * use" must not collide with it, and a failure while preparing a call's arguments must still be answered.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "nats";
import { createApp, type App } from "../../runtime/internal.js";
import type { ArgSerializer } from "../../runtime/internal.js";
import { ConfigError } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";
import { gateSerializer, type Session } from "../../runtime/internal.js";
import { MemoryRegistry } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { connectMqtt, nextMessage } from "./support.js";

let nats: NatsServer;
let connections: NatsConnection[] = [];
let gateApp: App;
let backendApp: App;
let gate: Gate;

before(async () => {
  nats = await NatsServer.start();
  const registry = new MemoryRegistry();
  const [gateNc, backendNc] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
  connections = [gateNc, backendNc];
  backendApp = createApp({ nats: backendNc, registry, parseFlags: false, debug: false });
  backendApp.addSerializer(gateSerializer);
  await backendApp.start([
    {
      type: "helloworld",
      version: "1.0.0",
      onInit(ctx) {
        ctx.server.registerGo("HD_say", (args) => {
          const session = args[0] as Session;
          const request = args[1] as { name: string };
          return `hi ${request.name} on ${session.network}`;
        });
      },
    },
  ]);
  gate = new Gate({ tcpAddr: "127.0.0.1:0" });
  gateApp = createApp({ nats: gateNc, registry, parseFlags: false, debug: false });
  await gateApp.start([gate]);
});

after(async () => {
  await gateApp.stop();
  await backendApp.stop();
  for (const nc of connections) await nc.close();
  await nats.dispose();
});

test("the first gate call to a backend that added the gate serializer by hand is answered", async () => {
  const client = await connectMqtt(`mqtt://127.0.0.1:${gate.server.tcpPort}`, { clientId: "serializer-first-call" });
  try {
    const reply = nextMessage(client, "helloworld/HD_say/1", 3_000);
    await client.publishAsync("helloworld/HD_say/1", JSON.stringify({ name: "first" }));
    const body = JSON.parse(await reply) as { Error: string; Result: unknown };
    assert.equal(body.Error, "");
    assert.equal(body.Result, "hi first on tcp");
  } finally {
    await client.endAsync();
  }
});

test("adding the same serializer twice is a no-op; another one under a taken name is a ConfigError", () => {
  backendApp.addSerializer(gateSerializer);
  const impostor: ArgSerializer = { ...gateSerializer };
  assert.throws(() => backendApp.addSerializer(impostor), (err: unknown) => err instanceof ConfigError && err.message === "The name(gate) has been occupied");
});
