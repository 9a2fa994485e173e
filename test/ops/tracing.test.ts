/**
 * Traces across three processes with the OpenTelemetry SDK (in-memory exporter in each): an HTTP request
 * with a `traceparent` → the HTTP gateway (process 1) → module ta (process 2) → module tb (process 3)
 * over a real nats-server yields one trace whose spans are correctly parented, and the handlers' log lines
 * carry its id. A Go-mqant-shaped `trace` argument (the captured vector's bytes) continues that trace.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { NatsKvRegistry, connectNats, createApp, type App } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";

interface SpanDump {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  attributes: Record<string, unknown>;
  status: number;
}
interface Dump {
  spans: SpanDump[];
  logs: string[];
}
interface Child {
  proc: ChildProcess;
  lines: Interface;
  info: { nodeIds: Record<string, string>; httpPort?: number };
}

const fixture = fileURLToPath(new URL("./fixtures/trace-node.ts", import.meta.url));
const vectors = fileURLToPath(new URL("../fixtures/mqant-vectors/rpc-calls.jsonl", import.meta.url));
let nats: NatsServer;
const children = new Map<string, Child>();

function nextLine(child: Child, prefix: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${prefix} line`)), timeoutMs);
    const onLine = (line: string): void => {
      if (!line.startsWith(prefix)) return;
      clearTimeout(timer);
      child.lines.off("line", onLine);
      resolve(line.slice(prefix.length));
    };
    child.lines.on("line", onLine);
  });
}

async function start(role: string): Promise<void> {
  const proc = spawn(process.execPath, ["--import", "tsx", fixture, role], { env: { ...process.env, NATS_URL: nats.url }, stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const child: Child = { proc, lines, info: { nodeIds: {} } };
  const ready = nextLine(child, "READY ");
  child.info = JSON.parse(await ready) as Child["info"];
  children.set(role, child);
}

async function dump(role: string): Promise<Dump> {
  const child = children.get(role) as Child;
  const line = nextLine(child, "DUMP ");
  child.proc.stdin?.write("dump\n");
  return JSON.parse(await line) as Dump;
}

/** Spans arrive when each process ends them; wait until every process reported what the test expects. */
async function dumps(ready: (all: Record<string, Dump>) => boolean): Promise<Record<string, Dump>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const all: Record<string, Dump> = {};
    for (const role of children.keys()) all[role] = await dump(role);
    if (ready(all) || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  nats = await NatsServer.start({ jetstream: true });
  await Promise.all([start("b"), start("a"), start("http")]);
});

after(async () => {
  for (const child of children.values()) {
    const exited = new Promise((resolve) => child.proc.once("exit", resolve));
    child.proc.stdin?.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.proc.exitCode === null) child.proc.kill("SIGKILL");
  }
  await nats?.dispose();
});

const INCOMING_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INCOMING_SPAN = "00f067aa0ba902b7";

test("HTTP → ta → tb over NATS across three processes: one trace, correctly parented", async () => {
  const port = children.get("http")?.info.httpPort;
  // The gateway may answer before ta is routable from it: retry until the registry has it.
  let body = "";
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await fetch(`http://127.0.0.1:${port}/ta/relay`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01` },
      body: JSON.stringify({ name: "otel" }),
    });
    body = await res.text();
    if (res.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(JSON.parse(body), "hi otel via ta");

  const ok = (s: SpanDump): boolean => s.traceId === INCOMING_TRACE && s.status !== 2;
  const all = await dumps((d) => (d["http"]?.spans.filter(ok).length ?? 0) >= 2 && (d["a"]?.spans.filter(ok).length ?? 0) >= 2 && (d["b"]?.spans.filter(ok).length ?? 0) >= 1);
  const inTrace = (role: string): SpanDump[] => (all[role]?.spans ?? []).filter(ok);
  const httpServer = inTrace("http").find((s) => s.kind === 1);
  const httpClient = inTrace("http").find((s) => s.kind === 2 && s.name === "ta//ta/relay");
  const aServer = inTrace("a").find((s) => s.kind === 1 && s.name === "ta//ta/relay");
  const aClient = inTrace("a").find((s) => s.kind === 2 && s.name === "tb//tb/greet");
  const bServer = inTrace("b").find((s) => s.kind === 1 && s.name === "tb//tb/greet");
  assert.ok(httpServer && httpClient && aServer && aClient && bServer, JSON.stringify(all, null, 1));
  // The chain: incoming traceparent → gateway server span → its client span → ta's server span → ta's
  // client span (the nested call) → tb's server span.
  assert.equal(httpServer.parentSpanId, INCOMING_SPAN);
  assert.equal(httpClient.parentSpanId, httpServer.spanId);
  assert.equal(aServer.parentSpanId, httpClient.spanId);
  assert.equal(aClient.parentSpanId, aServer.spanId);
  assert.equal(bServer.parentSpanId, aClient.spanId);
  assert.equal(bServer.attributes["rpc.system"], "mqant");
  assert.equal(bServer.attributes["mqgen.node"], children.get("b")?.info.nodeIds["tb"]);
  // Log lines of both handlers carry the trace id (and their own span id).
  assert.ok(all["a"]?.logs.some((l) => l.includes("relaying to tb") && l.includes(INCOMING_TRACE) && l.includes(aServer.spanId)), all["a"]?.logs.join(""));
  assert.ok(all["b"]?.logs.some((l) => l.includes("greeting") && l.includes(INCOMING_TRACE) && l.includes(bServer.spanId)), all["b"]?.logs.join(""));
});

test("a Go-mqant-shaped trace argument (captured vector) continues the trace in mqgen", async () => {
  const vector = readFileSync(vectors, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { id: string; request?: { fields?: { ArgsType?: string[]; Args_hex?: string[] } } })
    .find((v) => v.id === "trace");
  assert.ok(vector !== undefined, "the captured trace vector");
  const argsType = vector.request?.fields?.ArgsType ?? [];
  const args = (vector.request?.fields?.Args_hex ?? []).map((hex) => Buffer.from(hex, "hex"));
  assert.equal(argsType[0], "trace");
  const sent = JSON.parse(args[0]?.toString("utf8") ?? "{}") as { Trace: string; Span: string };

  // A caller with no tracing of its own, as a Go node: only the trace argument carries the context.
  const nc = await connectNats({ servers: nats.url });
  const registry = new NatsKvRegistry({ connection: nc, ttlMs: 20_000 });
  const caller: App = createApp({ parseFlags: false, debug: false, processId: "go-like", nats: nc, registry, config: { Module: {} } });
  await caller.start([]);
  try {
    const raw = await caller.callArgs("tb", "/tb/traced", ["trace"], [args[0] as Uint8Array], { timeout: 5000 });
    assert.equal(raw.error, "");
    // The handler's context shows the Go trace id as mqant would log it.
    const reply = Buffer.from(raw.result).toString("utf8");
    assert.equal(reply, `${sent.Trace} ${sent.Trace}`);
    const all = await dumps((d) => (d["b"]?.spans ?? []).some((s) => s.name === "tb//tb/traced"));
    const span = all["b"]?.spans.find((s) => s.name === "tb//tb/traced");
    assert.ok(span !== undefined);
    assert.equal(span.traceId, `0000000000000000${sent.Trace}`);
    assert.equal(span.parentSpanId, sent.Span);
    assert.ok(all["b"]?.logs.some((l) => l.includes("traced call") && l.includes(sent.Trace)));
  } finally {
    await caller.stop();
    await registry.close();
    await nc.close();
  }
});
