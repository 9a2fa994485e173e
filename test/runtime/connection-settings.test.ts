/**
 * createApp reads its connection settings itself: --nats / NATS_URL and --registry / MQGEN_REGISTRY, with
 * the NATS KV registry as the default whenever the app has NATS. Real nats-server and etcd processes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ConfigError, EtcdRegistry, MemoryRegistry, NatsKvRegistry, createApp, type Module, type ModuleContext } from "../../runtime/index.js";
import { EtcdServer } from "../support/etcd-server.js";
import { NatsServer } from "../support/nats-server.js";

let js: NatsServer;
let plain: NatsServer;

before(async () => {
  [js, plain] = await Promise.all([NatsServer.start({ jetstream: true }), NatsServer.start()]);
});

after(async () => {
  await Promise.all([js.dispose(), plain.dispose()]);
});

function greeter(): Module {
  return {
    type: "greeter",
    version: "1.0.0",
    onInit(ctx: ModuleContext) {
      ctx.server.register("/hi", (args) => `hi ${String(args[0])} from ${process.pid}`);
    },
  };
}

const config = { Module: { greeter: [{ Id: "greeter-backend", ProcessID: "backend" }] } };

function configError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected a ConfigError");
}

test("--nats with no registry: two apps find each other through the NATS KV registry", async () => {
  const backend = createApp({ debug: false, config, env: {}, argv: ["--nats", js.url, "-pid", "backend"] });
  await backend.start([greeter()]);
  // The caller gets NATS from the environment instead of the command line.
  const caller = createApp({ debug: false, config, argv: [], env: { NATS_URL: js.url } });
  try {
    await caller.start([]);
    assert.ok(backend.registry instanceof NatsKvRegistry);
    assert.ok(caller.registry instanceof NatsKvRegistry);
    assert.ok(caller.nats !== undefined && backend.nats !== undefined);
    assert.equal(await caller.call("greeter", "/hi", ["nats"]), `hi nats from ${process.pid}`);
  } finally {
    await caller.stop();
    await backend.stop();
  }
  // The app created the registry and the connection, so it closed both.
  assert.ok(backend.nats?.isClosed());
});

test("code wins over the command line, the command line over the environment", async () => {
  const registry = new MemoryRegistry();
  const app = createApp({ debug: false, config: {}, registry, argv: ["--registry", "etcd"], env: { NATS_URL: "nats://127.0.0.1:1", MQGEN_REGISTRY: "consul" }, nats: { servers: plain.url } });
  await app.start([]);
  try {
    assert.equal(app.registry, registry);
    assert.match(app.nats?.getServer() ?? "", new RegExp(`:${plain.port}$`));
  } finally {
    await app.stop();
  }
  const memory = createApp({ debug: false, config: {}, argv: [`--nats=${plain.url}`, "--registry=memory"], env: { MQGEN_REGISTRY: "nats-kv" } });
  await memory.start([]);
  try {
    assert.ok(memory.registry instanceof MemoryRegistry);
  } finally {
    await memory.stop();
  }
});

test("no NATS anywhere: in process with a private memory registry", async () => {
  const app = createApp({ debug: false, config: {}, argv: [], env: {} });
  await app.start([]);
  try {
    assert.equal(app.nats, undefined);
    assert.ok(app.registry instanceof MemoryRegistry);
  } finally {
    await app.stop();
  }
});

test("settings that cannot work are ConfigErrors naming the flag or variable", async () => {
  assert.equal(
    configError(() => createApp({ argv: ["--registry", "nats-kv"], env: {} })),
    "--registry: the nats-kv registry needs NATS; pass --nats nats://host:port or set NATS_URL",
  );
  assert.match(configError(() => createApp({ argv: [], env: { MQGEN_REGISTRY: "zookeeper" } })), /^MQGEN_REGISTRY: unknown registry "zookeeper"; expected memory, nats-kv, etcd/);
  assert.match(configError(() => createApp({ argv: ["--nats", "http://x y"], env: {} })), /^--nats: "http:\/\/x y" is not a NATS URL/);
  assert.match(configError(() => createApp({ argv: ["--nats"], env: {} })), /^flag -nats: missing value$/);
  // The default NATS KV registry on a nats-server without JetStream refuses to start and says how to fix it.
  const app = createApp({ debug: false, config: {}, argv: [], env: { NATS_URL: plain.url } });
  await assert.rejects(app.start([]), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /^registry nats-kv \(default with NATS\): JetStream is not available on .*start nats-server with -js, or choose another registry/);
    return true;
  });
});

test("--registry etcd://host:port registers the app's nodes in that etcd", async () => {
  const etcd = await EtcdServer.start();
  const argv = ["--registry", `etcd://${etcd.endpoint}`, "-pid", "backend"];
  const backend = createApp({ debug: false, config, env: {}, argv });
  const lookup = new EtcdRegistry({ hosts: etcd.endpoint });
  try {
    await backend.start([greeter()]);
    assert.ok(backend.registry instanceof EtcdRegistry);
    const [service] = await lookup.getService("greeter");
    assert.equal(service?.nodes[0]?.id, backend.nodeIds["greeter"]);
  } finally {
    await backend.stop();
    await lookup.close();
    await etcd.dispose();
  }
});
