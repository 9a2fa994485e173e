/**
 * The public types name a small structural NatsConnection and span instead of nats.js' and OpenTelemetry's
 * own: what an app passes through them is still the real object, used as such inside (a call over NATS, the
 * NATS KV registry on the same connection, a span's ids); an object that only looks like a connection is
 * refused where it was given, by name. A real nats-server with JetStream.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { trace } from "@opentelemetry/api";
import { ConfigError, NatsKvRegistry, connectNats, createApp, traceSpanOf, type Module, type NatsConnection, type NatsMessage } from "../../runtime/index.js";
import { NatsServer } from "../support/nats-server.js";

let nats: NatsServer;

before(async () => {
  nats = await NatsServer.start({ jetstream: true });
});

after(async () => {
  await nats.dispose();
});

const greeter: Module = {
  type: "greeter",
  version: "1.0.0",
  onInit(ctx) {
    ctx.server.register("/hi", (args) => `hi ${String(args[0])}`);
  },
};

const config = { Module: { greeter: [{ Id: "greeter-1", ProcessID: "development" }] } };

/** Publishes, subscribes and answers as the structural type describes, but is not a nats.js connection. */
function lookalike(): NatsConnection {
  const never = new Promise<never>(() => undefined);
  return {
    publish() {},
    subscribe: () => ({
      closed: Promise.resolve(),
      unsubscribe() {},
      drain: async () => {},
      isClosed: () => true,
      getSubject: () => "x",
      async *[Symbol.asyncIterator]() {},
    }),
    request: () => never as Promise<NatsMessage>,
    flush: async () => {},
    drain: async () => {},
    close: async () => {},
    closed: () => never,
    isClosed: () => false,
    isDraining: () => false,
    getServer: () => "127.0.0.1:4222",
    status: () => ({ async *[Symbol.asyncIterator]() {} }),
  };
}

test("a connection from connectNats serves the app, its NATS KV registry and the user's own subjects, and stays open after stop", async () => {
  const nc = await connectNats({ servers: nats.url });
  try {
    const registry = new NatsKvRegistry({ connection: nc, bucket: "public-types" });
    const app = createApp({ debug: false, parseFlags: false, env: {}, config, nats: nc, registry });
    await app.start([greeter]);
    try {
      assert.equal(app.nats, nc);
      assert.equal(await app.call("greeter", "/hi", ["nats"]), "hi nats");
      // The structural type's own members work on the object: a request/reply on the app's connection.
      const subscription = nc.subscribe("public-types.echo", { max: 1 });
      void (async () => {
        for await (const msg of subscription) msg.respond(`echo ${msg.string()}`);
      })();
      const reply = await (app.nats as NatsConnection).request("public-types.echo", "x", { timeout: 2_000 });
      assert.equal(reply.string(), "echo x");
    } finally {
      await app.stop();
      await registry.close();
    }
    assert.equal(nc.isClosed(), false, "a connection the app was given stays open");
  } finally {
    await nc.close();
  }
});

test("an object that only looks like a NATS connection is a ConfigError where it was given, naming what it lacks", async () => {
  const app = createApp({ debug: false, parseFlags: false, env: {}, config: {}, nats: lookalike() });
  await assert.rejects(app.start([]), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, "AppOptions.nats: not a nats.js connection (no jetstream(), jetstreamManager()); pass the result of nats' connect() or mqgen's connectNats()");
    return true;
  });
  assert.throws(
    () => new NatsKvRegistry({ connection: lookalike() }),
    (error: unknown) => error instanceof ConfigError && /^NatsKvRegistry connection: not a nats.js connection \(no jetstream\(\), jetstreamManager\(\)\)/.test(error.message),
  );
});

test("traceSpanOf takes an OpenTelemetry span of the SDK or the API and carries its ids", () => {
  const sdkSpan = new BasicTracerProvider().getTracer("user").startSpan("work");
  const fromSdk = traceSpanOf(sdkSpan);
  assert.equal(fromSdk.Trace, sdkSpan.spanContext().traceId);
  assert.equal(fromSdk.Span, sdkSpan.spanContext().spanId);
  sdkSpan.end();
  // A 64-bit Go mqant trace id, left-padded to W3C's 128 bits, goes back to its 16 hex.
  const fromApi = traceSpanOf(trace.wrapSpanContext({ traceId: "00000000000000004bf92f3577b34da6", spanId: "00f067aa0ba902b7", traceFlags: 1 }));
  assert.deepEqual([fromApi.Trace, fromApi.Span], ["4bf92f3577b34da6", "00f067aa0ba902b7"]);
});
