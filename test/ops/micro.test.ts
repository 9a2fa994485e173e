/**
 * NATS service discovery: nats.js' own service client (`nc.services.client()`, what `nats micro ls` uses)
 * finds the modules of a running app over a real nats-server and reads their ping, info and stats, with
 * names mapped to micro's rules and per-endpoint counters that match the calls made.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RequestStrategy, connect, type NatsConnection, type ServiceClient, type ServiceIdentity, type ServiceInfo, type ServiceStats } from "nats";
import { MemoryRegistry, createApp, type App } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { testModule } from "../support/apps.js";
import { helloworld, registerHelloworld, HelloworldClient } from "../../generated/helloworld.js";

let nats: NatsServer;
let app: App;
let caller: App;
let nc: NatsConnection;
let services: ServiceClient;

async function collect<T>(iter: Promise<AsyncIterable<T>>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of await iter) out.push(item);
  return out;
}

before(async () => {
  nats = await NatsServer.start();
  const registry = new MemoryRegistry();
  const modules = [
    testModule("helloworld", (ctx) => registerHelloworld(ctx.server, { sayHi: (name) => `hi ${name}` })),
    testModule("my.legacy module", (ctx) => {
      ctx.server.register("HD_echo", (args) => args[0]);
      ctx.server.registerGo("/fail/now", () => {
        throw new Error("always fails");
      });
    }, { version: "v2" }),
  ];
  app = createApp({
    parseFlags: false,
    debug: false,
    registry,
    nats: { servers: nats.url },
    config: { Module: { helloworld: [{ Id: "hw", ProcessID: "development" }], "my.legacy module": [{ Id: "lm", ProcessID: "development" }] } },
    nodeIds: { helloworld: "0123456789abcdef" },
  });
  await app.start(modules);
  caller = createApp({ parseFlags: false, debug: false, registry, processId: "caller", nats: { servers: nats.url }, config: { Module: {} } });
  await caller.start([]);
  nc = await connect({ servers: nats.url });
  services = nc.services.client({ strategy: RequestStrategy.Timer, maxWait: 1000 });
});

after(async () => {
  await nc?.close();
  await caller?.stop();
  await app?.stop();
  await nats?.dispose();
});

test("ping: every module answers $SRV.PING as a micro service", async () => {
  const pings = await collect<ServiceIdentity>(services.ping());
  const byName = new Map(pings.map((p) => [p.name, p]));
  assert.deepEqual([...byName.keys()].sort(), ["helloworld", "my_legacy_module"]);
  const hw = byName.get("helloworld");
  assert.equal(hw?.type, "io.nats.micro.v1.ping_response");
  assert.equal(hw?.id, "0123456789abcdef");
  assert.equal(hw?.version, "1.0.0");
  assert.equal(hw?.metadata?.["schema"], helloworld.schemaHash);
  // A version that is not semver is reported as 0.0.0, the original kept in metadata.
  const legacy = byName.get("my_legacy_module");
  assert.equal(legacy?.version, "0.0.0");
  assert.equal(legacy?.metadata?.["mqgen.version"], "v2");
  assert.equal(legacy?.metadata?.["mqgen.module"], "my.legacy module");
  // By name and by name + id.
  assert.equal((await collect(services.ping("helloworld"))).length, 1);
  assert.equal((await collect(services.ping("helloworld", "0123456789abcdef"))).length, 1);
  assert.equal((await collect(services.ping("helloworld", "ffffffffffffffff"))).length, 0);
});

test("info: handlers are endpoints on the node's subject, with the wire name and contract hash", async () => {
  const [info] = await collect<ServiceInfo>(services.info("helloworld"));
  assert.ok(info !== undefined);
  assert.equal(info.type, "io.nats.micro.v1.info_response");
  assert.equal(info.name, "helloworld");
  assert.equal(info.endpoints.length, 1);
  const endpoint = info.endpoints[0];
  assert.equal(endpoint?.name, "say_hi");
  assert.equal(endpoint?.metadata?.["mqant.handler"], "/say/hi");
  assert.equal(endpoint?.metadata?.["schema"], helloworld.handlers.sayHi?.hash);
  const node = await caller.getServerById(app.nodeIds.helloworld as string);
  assert.equal(endpoint?.subject, node.address);
  const [legacy] = await collect<ServiceInfo>(services.info("my_legacy_module"));
  assert.deepEqual(legacy?.endpoints.map((e) => e.name).sort(), ["HD_echo", "fail_now"]);
});

test("stats: per-endpoint requests, errors and processing time match the calls made", async () => {
  const hello = new HelloworldClient(caller);
  for (let i = 0; i < 7; i++) assert.equal(await hello.sayHi(`n${i}`), `hi n${i}`);
  for (let i = 0; i < 3; i++) await assert.rejects(caller.call("my.legacy module", "/fail/now", []), /always fails/);
  await caller.call("my.legacy module", "HD_echo", ["x"]);

  const [hw] = await collect<ServiceStats>(services.stats("helloworld", "0123456789abcdef"));
  assert.equal(hw?.type, "io.nats.micro.v1.stats_response");
  const sayHi = hw?.endpoints?.find((e) => e.name === "say_hi");
  assert.equal(sayHi?.num_requests, 7);
  assert.equal(sayHi?.num_errors, 0);
  assert.ok((sayHi?.processing_time ?? 0) > 0);
  assert.ok(!Number.isNaN(Date.parse(hw?.started ?? "")));

  const [legacy] = await collect<ServiceStats>(services.stats("my_legacy_module"));
  const fail = legacy?.endpoints?.find((e) => e.name === "fail_now");
  assert.equal(fail?.num_requests, 3);
  assert.equal(fail?.num_errors, 3);
  assert.equal(fail?.last_error, "always fails");
  assert.equal(legacy?.endpoints?.find((e) => e.name === "HD_echo")?.num_requests, 1);
});
