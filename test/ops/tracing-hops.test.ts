/**
 * Spans for every kind of call in one process with the OpenTelemetry SDK registered: typed and untyped,
 * in process and over a real nats-server, nested calls made by a handler without passing anything, the
 * gate (CONNECT, HD_ call → backend, push), and `tracing: false` turning it off.
 */
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { SpanKind, trace } from "@opentelemetry/api";
import { Gate, MemoryRegistry, createApp, stringCodec, traceSpanOf, type App, type HandlerDescriptor, type ModuleDescriptor, type Session } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { testModule } from "../support/apps.js";
import { connectMqtt, nextMessage } from "../gate/support.js";

const exporter = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
const tracer = trace.getTracer("test");

const h = (method: string): HandlerDescriptor => ({ method, wireName: `/${method}`, mode: "concurrent", gate: false, params: [{ name: "name", codec: stringCodec }], result: stringCodec, retrySafe: false, hash: "0123456789abcdef" });
const outer = h("outer");
const inner = h("inner");
const front: ModuleDescriptor = { type: "front", version: "1.0.0", schemaHash: "1111111111111111", handlers: { outer }, pushes: {} };
const back: ModuleDescriptor = { type: "back", version: "1.0.0", schemaHash: "2222222222222222", handlers: { inner }, pushes: {} };

let nats: NatsServer;
let server: App;
let caller: App;
let sessionTrace = "";

function modules(app: () => App) {
  return [
    testModule("front", (ctx) =>
      ctx.server.registerHandler(front, outer, async (args) => {
        await new Promise((r) => setTimeout(r, 1));
        // After an await: the context manager keeps the server span active.
        return `${(await app().callHandler(back, inner, [args[0]])) as string}!`;
      }),
    ),
    testModule("back", (ctx) => {
      ctx.server.registerHandler(back, inner, (args) => `in ${String(args[0])}`);
      ctx.server.registerGo("/plain", (args) => `plain ${String(args[0])}`);
    }),
    testModule("chatty", (ctx) =>
      ctx.server.registerGo("HD_hello", async (args) => {
        const session = args[0] as Session;
        sessionTrace = session.traceId;
        await session.send("chatty/pushed", Buffer.from("p"));
        return "hello";
      }),
    ),
    // Runs in the other app: the gate reaches it over NATS.
    testModule("far", (ctx) =>
      ctx.server.registerGo("HD_far", (args) => {
        sessionTrace = (args[0] as Session).traceId;
        return "far";
      }),
    ),
  ];
}

const config = {
  Module: {
    front: [{ Id: "front", ProcessID: "development" }],
    back: [{ Id: "back", ProcessID: "development" }],
    chatty: [{ Id: "chatty", ProcessID: "development" }],
    far: [{ Id: "far", ProcessID: "caller" }],
    Gate: [{ Id: "Gate", ProcessID: "development", Settings: { TCPAddr: "127.0.0.1:0" } }],
  },
};

before(async () => {
  nats = await NatsServer.start();
  const registry = new MemoryRegistry();
  const gate = new Gate();
  server = createApp({ parseFlags: false, debug: false, registry, nats: { servers: nats.url }, config });
  await server.start([...modules(() => server), gate]);
  caller = createApp({ parseFlags: false, debug: false, registry, processId: "caller", nats: { servers: nats.url }, config });
  // The Gate module (run by `server` only) gives this app the SESSION serializer its HD_ handler needs.
  await caller.start([...modules(() => caller), new Gate()]);
  (globalThis as { gatePort?: number }).gatePort = gate.server.tcpPort;
});

after(async () => {
  await caller?.stop();
  await server?.stop();
  await nats?.dispose();
});

beforeEach(() => exporter.reset());

function byName(name: string, kind: SpanKind): ReadableSpan {
  const span = exporter.getFinishedSpans().find((s) => s.name === name && s.kind === kind);
  assert.ok(span !== undefined, `${name} (${SpanKind[kind]}) in ${exporter.getFinishedSpans().map((s) => s.name).join(", ")}`);
  return span;
}

function assertChain(root: string, traceId: string): void {
  const spans = [
    byName("front//outer", SpanKind.CLIENT),
    byName("front//outer", SpanKind.SERVER),
    byName("back//inner", SpanKind.CLIENT),
    byName("back//inner", SpanKind.SERVER),
  ];
  let parent = root;
  for (const span of spans) {
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(span.parentSpanContext?.spanId, parent, span.name);
    parent = span.spanContext().spanId;
  }
}

for (const mode of ["in process", "over NATS"] as const) {
  test(`typed calls ${mode}: client and server spans, the nested call parented through the handler`, async () => {
    const app = mode === "in process" ? server : caller;
    await tracer.startActiveSpan("root", async (root) => {
      assert.equal(await app.callHandler(front, outer, ["x"]), "in x!");
      root.end();
      await new Promise((r) => setTimeout(r, 50));
      assertChain(root.spanContext().spanId, root.spanContext().traceId);
    });
  });

  test(`untyped calls ${mode}`, async () => {
    const app = mode === "in process" ? server : caller;
    await tracer.startActiveSpan("root", async (root) => {
      assert.equal(await app.call("back", "/plain", ["y"]), "plain y");
      root.end();
      await new Promise((r) => setTimeout(r, 50));
      const client = byName("back//plain", SpanKind.CLIENT);
      const srv = byName("back//plain", SpanKind.SERVER);
      assert.equal(client.parentSpanContext?.spanId, root.spanContext().spanId);
      assert.equal(srv.parentSpanContext?.spanId, client.spanContext().spanId);
      assert.equal(srv.spanContext().traceId, root.spanContext().traceId);
    });
  });
}

test("a failed call marks its spans as errors", async () => {
  await assert.rejects(caller.call("back", "/missing", []));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(byName("back//missing", SpanKind.CLIENT).status.code, 2);
});

test("traceSpanOf: a trace argument for Go mqant nodes that continues the active span", async () => {
  await tracer.startActiveSpan("root", async (root) => {
    const arg = traceSpanOf();
    assert.equal(arg.Trace, root.spanContext().traceId);
    assert.equal(arg.Span, root.spanContext().spanId);
    root.end();
  });
});

/** Publishes `topic` with a msgId from a fresh MQTT client and waits for the reply (and `also`, if given). */
async function gateCall(topic: string, also?: string): Promise<void> {
  const client = await connectMqtt(`mqtt://127.0.0.1:${(globalThis as { gatePort?: number }).gatePort ?? 0}`);
  try {
    const pushed = also === undefined ? undefined : nextMessage(client, also);
    const reply = nextMessage(client, topic);
    if (also !== undefined) await client.subscribeAsync(also);
    await client.publishAsync(topic, JSON.stringify({}));
    await pushed;
    assert.doesNotMatch(await reply, /"Error":"[^"]/);
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await client.endAsync();
  }
}

/** The gate's span of an HD_ call, the RPC client span under it, the backend's server span under that. */
function assertGateCall(target: string, traceId: string): { gate: ReadableSpan; handled: ReadableSpan } {
  const connect = byName("Gate CONNECT", SpanKind.SERVER);
  const gate = byName(`Gate ${target}`, SpanKind.SERVER);
  const call = byName(target, SpanKind.CLIENT);
  const handled = byName(target, SpanKind.SERVER);
  for (const span of [connect, gate, call, handled]) assert.equal(span.spanContext().traceId, traceId, span.name);
  // The connection's session span is the parent of its CONNECT and of the gate's span of each call.
  assert.equal(gate.parentSpanContext?.spanId, connect.parentSpanContext?.spanId);
  assert.equal(call.parentSpanContext?.spanId, gate.spanContext().spanId, "the RPC client span is the gate span's child");
  assert.equal(handled.parentSpanContext?.spanId, call.spanContext().spanId, "the backend's span continues the gate's call");
  assert.equal(gate.attributes["messaging.destination.name"], `${target}/1`);
  // Durations, not end times: the SDK anchors each span's clock to Date.now() at its start, so end times of
  // two spans can disagree by up to a millisecond.
  const ns = (t: readonly [number, number]): number => t[0] * 1e9 + t[1];
  assert.ok(ns(gate.duration) >= ns(handled.duration), "the gate span lasts until the backend answered");
  return { gate, handled };
}

test("the gate: CONNECT, its span of the HD_ call, the backend's span and the push, all in the connection's trace", async () => {
  await gateCall("chatty/HD_hello/1", "chatty/pushed");
  const traceId = `0000000000000000${sessionTrace}`;
  const { gate } = assertGateCall("chatty/HD_hello", traceId);
  const push = byName("Gate push chatty/pushed", SpanKind.PRODUCER);
  assert.equal(push.spanContext().traceId, traceId);
  assert.equal(gate.attributes["mqgen.gate.session"], push.attributes["mqgen.gate.session"]);
});

test("the gate: an HD_ call to a backend in another app carries the trace over NATS", async () => {
  await gateCall("far/HD_far/1");
  const { handled } = assertGateCall("far/HD_far", `0000000000000000${sessionTrace}`);
  assert.ok(String(handled.attributes["mqgen.node"]).startsWith("far@"));
});

test("tracing: false starts no spans", async () => {
  const registry = new MemoryRegistry();
  const quiet = createApp({ parseFlags: false, debug: false, registry, tracing: false, config: { Module: { back: [{ Id: "b", ProcessID: "development" }] } } });
  await quiet.start(modules(() => quiet).slice(1, 2));
  try {
    assert.equal(await quiet.callHandler(back, inner, ["z"]), "in z");
    assert.equal(exporter.getFinishedSpans().length, 0);
  } finally {
    await quiet.stop();
  }
});
