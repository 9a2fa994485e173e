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
  ];
}

const config = {
  Module: {
    front: [{ Id: "front", ProcessID: "development" }],
    back: [{ Id: "back", ProcessID: "development" }],
    chatty: [{ Id: "chatty", ProcessID: "development" }],
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
  await caller.start(modules(() => caller));
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

test("the gate: CONNECT, the HD_ call to the backend and its push, all in the connection's trace", async () => {
  const client = await connectMqtt(`mqtt://127.0.0.1:${(globalThis as { gatePort?: number }).gatePort ?? 0}`);
  try {
    const pushed = nextMessage(client, "chatty/pushed");
    const reply = nextMessage(client, "chatty/HD_hello/1");
    await client.subscribeAsync("chatty/pushed");
    await client.publishAsync("chatty/HD_hello/1", JSON.stringify({}));
    await pushed;
    await reply;
    await new Promise((r) => setTimeout(r, 50));
    const connect = byName("Gate CONNECT", SpanKind.SERVER);
    const call = byName("chatty/HD_hello", SpanKind.CLIENT);
    const handled = byName("chatty/HD_hello", SpanKind.SERVER);
    const push = byName("Gate push chatty/pushed", SpanKind.PRODUCER);
    const traceId = `0000000000000000${sessionTrace}`;
    for (const span of [connect, call, handled, push]) assert.equal(span.spanContext().traceId, traceId, span.name);
    assert.equal(handled.parentSpanContext?.spanId, call.spanContext().spanId);
  } finally {
    await client.endAsync();
  }
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
