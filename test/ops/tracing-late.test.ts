/**
 * An OpenTelemetry SDK registered while apps already run: calls before it start no spans, calls after it
 * get their client and server spans at once (in process and over a real nats-server), parented as with an
 * SDK registered first, and the handler sees the span's ids. Its own file: registering is process-wide.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { SpanKind, trace } from "@opentelemetry/api";
import { MemoryRegistry, createApp, stringCodec, tracingActive, type App, type HandlerDescriptor, type ModuleDescriptor } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { testModule } from "../support/apps.js";

const echo: HandlerDescriptor = { method: "echo", wireName: "/echo", mode: "concurrent", gate: false, params: [{ name: "text", codec: stringCodec }], result: stringCodec, retrySafe: false, hash: "0123456789abcdef" };
const late: ModuleDescriptor = { type: "late", version: "1.0.0", schemaHash: "3333333333333333", handlers: { echo }, pushes: {} };

let nats: NatsServer;
let server: App;
let caller: App;
/** The trace id each handler call saw in its context, in order. */
const seen: string[] = [];

const config = { Module: { late: [{ Id: "late", ProcessID: "development" }] } };
const modules = [
  testModule("late", (ctx) =>
    ctx.server.registerHandler(late, echo, (args, call) => {
      seen.push(call.traceId);
      return args[0];
    }),
  ),
];

before(async () => {
  nats = await NatsServer.start();
  const registry = new MemoryRegistry();
  server = createApp({ parseFlags: false, debug: false, registry, nats: { servers: nats.url }, config });
  await server.start(modules);
  caller = createApp({ parseFlags: false, debug: false, registry, processId: "caller", nats: { servers: nats.url }, config });
  await caller.start([]);
});

after(async () => {
  await caller?.stop();
  await server?.stop();
  await nats?.dispose();
});

test("an SDK registered after the apps started traces the very next call, in process and over NATS", async () => {
  // Warm the call paths with no SDK, so what is decided per call has been decided many times over.
  for (let i = 0; i < 5000; i++) assert.equal(await server.callHandler(late, echo, [`a${i}`]), `a${i}`);
  for (let i = 0; i < 200; i++) assert.equal(await caller.callHandler(late, echo, [`b${i}`]), `b${i}`);
  assert.equal(tracingActive(), false);

  const exporter = new InMemorySpanExporter();
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register();
  assert.equal(tracingActive(), true);
  const spans = (kind: SpanKind): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === "late//echo" && s.kind === kind);

  for (const [app, where] of [[server, "in process"], [caller, "over NATS"]] as const) {
    exporter.reset();
    seen.length = 0;
    await trace.getTracer("test").startActiveSpan("root", async (active) => {
      assert.equal(await app.callHandler(late, echo, ["c"]), "c");
      active.end();
    });
    await new Promise((r) => setTimeout(r, 50));
    const [client] = spans(SpanKind.CLIENT);
    const [handled] = spans(SpanKind.SERVER);
    assert.ok(client !== undefined && handled !== undefined, `${where}: ${exporter.getFinishedSpans().map((s) => `${s.name}/${SpanKind[s.kind]}`).join(", ")}`);
    const rootSpan = exporter.getFinishedSpans().find((s) => s.name === "root");
    assert.equal(client.parentSpanContext?.spanId, rootSpan?.spanContext().spanId, where);
    assert.equal(handled.parentSpanContext?.spanId, client.spanContext().spanId, where);
    assert.equal(handled.spanContext().traceId, client.spanContext().traceId, where);
    assert.deepEqual(seen, [handled.spanContext().traceId], where);
  }
});
