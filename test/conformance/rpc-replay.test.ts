/**
 * RPC behaviour conformance: every exchange captured from a real Go mqant v1.5.3 (`rpc-calls.jsonl` of the
 * captured vectors) is replayed, as raw bytes on a real nats-server, to an mqgen node whose `helloworld`
 * handlers do what the captured app's did (and, for the session calls, to mqgen's own gate). The reply is
 * compared with the captured one: Cid, Error, ResultType and Result bytes. One test per exchange id; the
 * title of every exchange where mqgen deliberately differs names the difference, which
 * docs/mqant-compatibility.md lists with its reason.
 *
 * Per replay only what differs per run is rewritten: ReplyTo (our own inbox), Expired (now + the time the
 * captured request had left) and, in a gate session argument, the ids of the session and of its gate
 * (they must name a live connection of the gate in this run). Everything else is sent byte for byte.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readFileSync } from "node:fs";
import { connect, createInbox, type Msg, type NatsConnection, type Subscription } from "nats";
import mqtt, { type MqttClient } from "mqtt";
import {
  Gate,
  MemoryRegistry,
  DeadlineExceededError,
  NoneAvailableError,
  TraceSpan,
  createApp,
  decodeRPCInfo,
  decodeResultInfo,
  decodeSessionData,
  encodeRPCInfo,
  encodeSessionData,
  type App,
  type RPCInfo,
  type ResultInfo,
  type SessionData,
} from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { helloworldFixture, ResultInfoMessage, type HandledCall, type HelloworldFixture } from "./fixtures/helloworld.js";

// ---------------------------------------------------------------------------------------------------
// The captured exchanges

interface CapturedRequest {
  captured_at: string;
  bytes_hex: string;
  fields: { Cid: string; Fn: string; ReplyTo: string; Expired: string; Reply: boolean; ArgsType: string[]; Args_hex: string[] };
}

interface CapturedResponse {
  bytes_hex: string;
  fields: { Cid: string; Error: string; ResultType: string; Result_hex: string };
}

interface Exchange {
  id: string;
  description: string;
  handler: { module: string; name: string } | null;
  go_caller_saw: { result: unknown; error: string; elapsed_ms: number } | null;
  request: CapturedRequest | null;
  response: CapturedResponse | null;
}

const exchanges: Exchange[] = readFileSync(new URL("../fixtures/mqant-vectors/rpc-calls.jsonl", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Exchange);

const byId = new Map(exchanges.map((exchange) => [exchange.id, exchange]));
/** Exchange ids that have a test below, filled as the tests are declared. */
const declared = new Set<string>();

/** Declares the test of one captured exchange; its title starts with the exchange id. */
function exchangeTest(id: string, title: string, body: (ex: Exchange) => Promise<void>): void {
  declared.add(id);
  test(`${id}: ${title}`, () => body(exchange(id)));
}

function exchange(id: string): Exchange {
  const found = byId.get(id);
  assert.ok(found !== undefined, `no captured exchange ${id}`);
  return found;
}

function capturedRequest(ex: Exchange): CapturedRequest {
  assert.ok(ex.request !== null, `${ex.id} has no captured request`);
  return ex.request;
}

function capturedResponse(ex: Exchange): CapturedResponse {
  assert.ok(ex.response !== null, `${ex.id} has no captured response`);
  return ex.response;
}

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "hex"));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// The mqgen side: helloworld and a gate in one app on NATS, a separate caller app, MQTT clients whose
// sessions the gate calls refer to, and a raw NATS connection that plays the Go caller.

let nats: NatsServer;
let raw: NatsConnection;
let wiretap: Subscription;
const tapped: Msg[] = [];
const receivedAt = new WeakMap<Msg, number>();
let fixture: HelloworldFixture;
let gate: Gate;
let app: App;
let gateApp: App;
let caller: App;
let registry: MemoryRegistry;
let tcpClient: MqttClient;
let wsClient: MqttClient;
const pushes: { client: "tcp" | "websocket"; topic: string; payload: string }[] = [];

/** helloworld and the gate run in two apps, so the session calls between them cross NATS as in Go. */
const moduleConfig = {
  Module: {
    helloworld: [{ Id: "helloworld001", ProcessID: "development" }],
    Gate: [{ Id: "Gate001", ProcessID: "gate", Settings: {} }],
  },
};

function startApp(processId: string): Promise<App> {
  const started = createApp({ parseFlags: false, debug: false, processId, registry, nats: { servers: nats.url }, config: moduleConfig });
  return started.start([gate, fixture.module]).then(() => started);
}

async function connectMqtt(url: string, clientId: string, network: "tcp" | "websocket"): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, connectTimeout: 5_000 });
  client.on("message", (topic, payload) => pushes.push({ client: network, topic, payload: payload.toString("utf8") }));
  return client;
}

before(async () => {
  nats = await NatsServer.start();
  raw = await connect({ servers: nats.url });
  wiretap = raw.subscribe(">", {
    callback: (err, msg) => {
      if (err !== null) return;
      tapped.push(msg);
      receivedAt.set(msg, Date.now());
    },
  });
  registry = new MemoryRegistry();
  fixture = helloworldFixture();
  gate = new Gate({ tcpAddr: "127.0.0.1:0", wsAddr: "127.0.0.1:0" });
  app = await startApp("development");
  gateApp = await startApp("gate");
  // The caller runs no module: its calls cross NATS, as the Go caller's did.
  caller = await startApp("caller");
  tcpClient = await connectMqtt(`mqtt://127.0.0.1:${gate.server.tcpPort ?? 0}`, "replay-tcp", "tcp");
  wsClient = await connectMqtt(`ws://127.0.0.1:${gate.server.wsPort ?? 0}/mqtt`, "replay-ws", "websocket");
});

after(async () => {
  await tcpClient?.endAsync();
  await wsClient?.endAsync();
  await caller?.stop();
  await app?.stop();
  await gateApp?.stop();
  wiretap?.unsubscribe();
  await raw?.close();
  await nats?.dispose();
});

async function addressOf(type: string): Promise<string> {
  const [node] = await app.getServersByType(type);
  assert.ok(node !== undefined, `no ${type} node registered`);
  return node.address;
}

function gateNodeId(): string {
  const id = gateApp.nodeIds["Gate"];
  assert.ok(id !== undefined);
  return id;
}

/** The live session of one of our MQTT clients, as the gate holds it. */
function liveSession(network: "tcp" | "websocket"): SessionData {
  const session = gate.server.sessions().find((s) => s.network === network);
  assert.ok(session !== undefined, `no ${network} session on the gate`);
  return session;
}

// ---------------------------------------------------------------------------------------------------
// Replay

interface Replayed {
  /** What was published (after the per-run rewrites). */
  readonly request: RPCInfo;
  readonly replyTo: string;
  /** Raw reply bytes, undefined when none arrived in time. */
  readonly reply: Uint8Array | undefined;
  readonly decoded: ResultInfo | undefined;
  /** Wiretap index when the request was published. */
  readonly tapFrom: number;
}

interface ReplayOptions {
  /** Node type to send to (default helloworld). */
  readonly to?: string;
  /** Rewrites of per-run argument values (session ids). */
  readonly rewriteArgs?: (request: RPCInfo) => void;
  /** How long to wait for a reply. */
  readonly waitMs?: number;
}

async function replay(ex: Exchange, options: ReplayOptions = {}): Promise<Replayed> {
  const captured = capturedRequest(ex);
  const original = fromHex(captured.bytes_hex);
  const request = decodeRPCInfo(original);
  // The replay starts from the captured bytes, nothing else: re-encoding them unchanged gives them back.
  assert.equal(toHex(encodeRPCInfo(request)), captured.bytes_hex, "captured request re-encodes byte for byte");
  assert.equal(request.cid, captured.fields.Cid);
  const remaining = Number(captured.fields.Expired) - Date.parse(captured.captured_at);
  assert.ok(remaining > 0 && remaining <= 10_000, `captured time left ${remaining} ms`);
  request.expired = Date.now() + remaining;
  const replyTo = request.reply ? createInbox() : "";
  if (request.reply) request.replyTo = replyTo;
  else assert.equal(request.replyTo, "", "a no-reply request carries no ReplyTo");
  options.rewriteArgs?.(request);

  const waitMs = options.waitMs ?? 3_000;
  let reply: Uint8Array | undefined;
  let sub: Subscription | undefined;
  let received: Promise<void> = Promise.resolve();
  if (request.reply) {
    const subscription = raw.subscribe(replyTo, { max: 1 });
    sub = subscription;
    received = (async () => {
      for await (const msg of subscription) reply = msg.data;
    })();
    await raw.flush();
  }
  const tapFrom = tapped.length;
  raw.publish(await addressOf(options.to ?? "helloworld"), encodeRPCInfo(request));
  if (sub !== undefined) {
    const timer = setTimeout(() => sub.unsubscribe(), waitMs);
    await received;
    clearTimeout(timer);
  }
  return { request, replyTo, reply, decoded: reply === undefined ? undefined : decodeResultInfo(reply), tapFrom };
}

function replied(replayed: Replayed, ex: Exchange): ResultInfo {
  assert.ok(replayed.reply !== undefined && replayed.decoded !== undefined, `${ex.id}: no reply`);
  assert.equal(replayed.decoded.cid, ex.request?.fields.Cid, "the reply carries the request's Cid");
  return replayed.decoded;
}

/** The reply is the captured reply, byte for byte (the Cid is kept, so nothing differs per run). */
function assertIdentical(replayed: Replayed, ex: Exchange): void {
  const reply = replied(replayed, ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.error, expected.Error, "Error");
  assert.equal(reply.resultType, expected.ResultType, "ResultType");
  assert.equal(toHex(reply.result), expected.Result_hex, "Result");
  assert.equal(toHex(replayed.reply as Uint8Array), capturedResponse(ex).bytes_hex, "ResultInfo bytes");
}

/** Nothing carrying the request's Cid was published back, anywhere, after the handler ran. */
async function assertNoReply(replayed: Replayed, ex: Exchange): Promise<void> {
  await raw.flush();
  const helloworld = await addressOf("helloworld");
  const nodeSubjects = new Set([helloworld, await addressOf("Gate")]);
  const cid = ex.request?.fields.Cid;
  const after = tapped.slice(replayed.tapFrom);
  assert.ok(
    after.some((msg) => msg.subject === helloworld && decodeRPCInfo(msg.data).cid === cid),
    "the request itself went out",
  );
  // Requests to the nodes (the handler's own session calls) are not replies; anything else that decodes as
  // a ResultInfo must belong to another call.
  for (const msg of after) {
    if (nodeSubjects.has(msg.subject)) continue;
    let result: ResultInfo;
    try {
      result = decodeResultInfo(msg.data);
    } catch {
      continue;
    }
    assert.notEqual(result.cid, cid, `a reply to ${ex.id} was published on ${msg.subject}`);
  }
}

/** Rewrites the SESSION argument to name a live connection of this run's gate; everything else stays. */
function liveSessionArg(network: "tcp" | "websocket"): (request: RPCInfo) => void {
  return (request) => {
    const index = request.argsType.indexOf("SESSION");
    assert.ok(index >= 0, "the request carries a SESSION argument");
    const live = liveSession(network);
    const session = decodeSessionData(request.args[index] as Uint8Array);
    assert.equal(toHex(encodeSessionData(session)), toHex(request.args[index] as Uint8Array), "captured session re-encodes byte for byte");
    request.args[index] = encodeSessionData({ ...session, sessionId: live.sessionId, serverId: gateNodeId() });
  };
}

/** Rewrites the session id argument (index 1) of a gate session call to a live session. */
function liveSessionIdArg(network: "tcp" | "websocket"): (request: RPCInfo) => void {
  return (request) => {
    assert.deepEqual(request.argsType.slice(0, 2), ["trace", "string"], "gate session calls start with (trace, sessionId)");
    request.args[1] = new TextEncoder().encode(liveSession(network).sessionId);
  };
}

async function nextPush(network: "tcp" | "websocket", from: number, topic: string): Promise<string> {
  for (let waited = 0; waited < 3_000; waited += 10) {
    const push = pushes.slice(from).find((p) => p.client === network && p.topic === topic);
    if (push !== undefined) return push.payload;
    await sleep(10);
  }
  throw new Error(`no ${topic} push to the ${network} client`);
}

// ---------------------------------------------------------------------------------------------------
// Exchanges whose reply is the captured reply, byte for byte

const identical: readonly string[] = [
  "string",
  "string-empty",
  "string-utf8",
  "null-arg",
  "bool",
  "int32",
  "int32-neg",
  "int64",
  "int64-neg",
  "float32",
  "float64",
  "bytes",
  "bytes-empty",
  "map",
  "mapstr",
  "multi",
  "nil-result",
  "error-string",
  "not-found",
  "serial",
  "invoke",
];

for (const id of identical) {
  exchangeTest(id, `the reply is the captured reply, byte for byte`, async (ex) => {
    const before = fixture.calls.length;
    assertIdentical(await replay(ex), ex);
    const ran = fixture.calls.slice(before).some((call) => call.handler === ex.handler?.name);
    assert.equal(ran, ex.id !== "not-found", ex.id === "not-found" ? "nothing ran" : "the handler ran");
  });
}

test("serial (three at once): a Register (serial) handler runs them one at a time and answers each as captured", async () => {
  const ex = exchange("serial");
  const replays = await Promise.all([replay(ex), replay(ex), replay(ex)]);
  for (const replayed of replays) assertIdentical(replayed, ex);
});

exchangeTest("trace", "same Trace, a new Span for the handler (per-run value), otherwise as captured", async (ex) => {
  const reply = replied(await replay(ex), ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.error, expected.Error);
  assert.equal(reply.resultType, expected.ResultType);
  const capturedText = utf8(fromHex(expected.Result_hex));
  const pattern = /^trace=([0-9a-f]{16}) span=([0-9a-f]{16})$/;
  const [, capturedTrace, capturedSpan] = pattern.exec(capturedText) ?? [];
  const [, trace, span] = pattern.exec(utf8(reply.result)) ?? [];
  assert.equal(trace, capturedTrace, "the trace id travels unchanged");
  assert.ok(span !== undefined && capturedSpan !== undefined);
  assert.notEqual(span, "fedcba9876543210", "the handler sees a new span, not the caller's (mqant ExtractSpan)");
});

// ---------------------------------------------------------------------------------------------------
// Deliberate differences in the reply

for (const id of ["proto", "proto-typed"]) {
  exchangeTest(id, `Result bytes as captured; difference: ResultType is proto@rpcpb.ResultInfo (schema name), not Go's proto@*rpcpb.ResultInfo`, async (ex) => {
    const reply = replied(await replay(ex), ex);
    const expected = capturedResponse(ex).fields;
    assert.equal(reply.error, expected.Error);
    assert.equal(toHex(reply.result), expected.Result_hex, "the message bytes are identical");
    assert.equal(expected.ResultType, "proto@*rpcpb.ResultInfo");
    assert.equal(reply.resultType, "proto@rpcpb.ResultInfo");
    // Go decodes a proto result by its own parameter type; the suffix is information only.
    const echoed = ResultInfoMessage.decode(reply.result);
    assert.equal(echoed.ResultType, "string");
    assert.match(echoed.Cid, /^resp-c\d$/);
  });
}

exchangeTest("error", "Error as captured; difference: ResultType null (no zero result travels with a thrown error), Go sent string", async (ex) => {
  const reply = replied(await replay(ex), ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.error, expected.Error);
  assert.equal(reply.error, "handler error: boom");
  assert.equal(expected.ResultType, "string");
  assert.equal(expected.Result_hex, "");
  assert.equal(reply.resultType, "null");
  assert.equal(reply.result.length, 0);
});

exchangeTest("result-and-error", "Error as captured; difference: a JS handler returns or throws, so the partial result is not sent", async (ex) => {
  const reply = replied(await replay(ex), ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.error, expected.Error);
  assert.equal(utf8(fromHex(expected.Result_hex)), "partial");
  assert.equal(expected.ResultType, "string");
  assert.equal(reply.resultType, "null");
  assert.equal(reply.result.length, 0);
});

exchangeTest("panic", "ResultType null as captured; difference: a thrown error travels as its message, without Go's 'rpc func() error' prefix and stack", async (ex) => {
  const reply = replied(await replay(ex), ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.resultType, expected.ResultType);
  assert.equal(reply.result.length, 0);
  assert.ok(expected.Error.startsWith("helloworld rpc func(/test/panic) error boom panic\n ----Stack----\ngoroutine "));
  assert.equal(reply.error, "boom panic");
  assert.ok(!reply.error.includes("----Stack----"), "no stack trace leaks to the caller");
});

exchangeTest("wrong-arg-count", "same ResultType and message up to '.<'; difference: the handler is named '/say/hi(string)', not Go's func value", async (ex) => {
  const reply = replied(await replay(ex), ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.resultType, expected.ResultType);
  assert.equal(reply.result.length, 0);
  const prefix = "The number of params [[97] [98]] is not adapted.<";
  assert.ok(expected.Error.startsWith(prefix));
  assert.equal(expected.Error.slice(prefix.length), "func(string) (string, error) Value>");
  assert.equal(reply.error, `${prefix}/say/hi(string)>`);
});

exchangeTest("wrong-arg-type", "same ResultType and 'helloworld rpc func(/test/int32) error ' prefix; difference: mqgen's decode error instead of Go's reflect panic and stack", async (ex) => {
  const reply = replied(await replay(ex), ex);
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.resultType, expected.ResultType);
  assert.equal(reply.result.length, 0);
  const prefix = "helloworld rpc func(/test/int32) error ";
  assert.ok(expected.Error.startsWith(`${prefix}reflect: Call using string as type int32\n ----Stack----\n`));
  assert.equal(reply.error, `${prefix}int: cannot decode tag "string" (expected "int" or "null")`);
  assert.ok(!fixture.calls.some((call) => call.handler === "/test/int32" && typeof call.args[0] !== "number"), "the handler never ran with a string");
});

exchangeTest(
  "timeout",
  "the reply is the captured late reply, byte for byte; difference: an mqgen caller's 1 s timeout is its request's deadline, so the handler is aborted then and no late reply is published",
  async (ex) => {
    assert.equal(ex.go_caller_saw?.error, "deadline exceeded");
    assert.equal(ex.go_caller_saw?.elapsed_ms, 1000);
    // mqant wrote Expired = send time + RPCExpired (10 s) although the Go caller's context had 1 s left, so
    // the Go handler ran its 2.5 s and replied after the caller gave up. Replayed with that Expired, an
    // mqgen node does the same; meanwhile an mqgen caller makes the same call with a 1 s timeout.
    const [replayed, mqgenCaller] = await Promise.all([replay(ex, { waitMs: 5_000 }), callSlowWithTimeout(1_000)]);
    assertIdentical(replayed, ex);
    const error = mqgenCaller.error;
    assert.ok(error instanceof DeadlineExceededError, `the mqgen caller fails with its own deadline (${String(error)})`);
    assert.equal(error.message, ex.go_caller_saw?.error);
    const left = mqgenCaller.sentTimeLeftMs;
    assert.ok(left >= 1_000 && left < 1_500, `its request carries the 1 s deadline, not 10 s (${left} ms left when sent)`);
    assert.ok(mqgenCaller.call.abortedAfterMs !== undefined && mqgenCaller.call.abortedAfterMs < 2_500, "the 2.5 s sleep was cut short at the deadline");
    assert.deepEqual(mqgenCaller.replies, [], "the node publishes nothing for a call whose deadline passed");
  },
);

/** An mqgen caller's `/test/slow(2500)` with a timeout: what it sent, what it got, what the handler did. */
async function callSlowWithTimeout(timeoutMs: number): Promise<{ error: unknown; sentTimeLeftMs: number; call: HandledCall; replies: (ResultInfo & { lateByMs: number })[] }> {
  const address = await addressOf("helloworld");
  await raw.flush();
  const from = tapped.length;
  const sentAt = Date.now();
  let error: unknown;
  try {
    await caller.call("helloworld", "/test/slow", [2500n], { timeout: timeoutMs });
  } catch (failure) {
    error = failure;
  }
  const requests = tapped.slice(from).filter((msg) => msg.subject === address).map((msg) => decodeRPCInfo(msg.data));
  const request = requests.find((r) => r.fn === "/test/slow" && r.cid !== exchange("timeout").request?.fields.Cid);
  assert.ok(request !== undefined, "the mqgen caller's request went out");
  // The captured request runs /test/slow at the same time: this call is the one with this request's deadline.
  const call = fixture.calls.find((c) => c.handler === "/test/slow" && c.deadline === request.expired);
  assert.ok(call !== undefined, "the handler ran the mqgen caller's request");
  // Past the deadline the server has settled the call; give a stray reply time to arrive.
  for (let waited = 0; call.abortedAfterMs === undefined && waited < 2_000; waited += 20) await sleep(20);
  await sleep(100);
  await raw.flush();
  const replies = tapped
    .slice(from)
    .filter((msg) => msg.subject === request.replyTo)
    .map((msg) => ({ ...decodeResultInfo(msg.data), lateByMs: (receivedAt.get(msg) ?? Date.now()) - request.expired }))
    .filter((reply) => reply.cid === request.cid);
  return { error, sentTimeLeftMs: request.expired - sentAt, call, replies };
}

// ---------------------------------------------------------------------------------------------------
// Fire-and-forget (Reply=false): the handler runs, nothing is published back, as in mqant

for (const [id, handler] of [
  ["invokenr", "/say/hi"],
  ["invokenr-error", "/test/error"],
] as const) {
  exchangeTest(id, `the handler runs and no reply is published, as captured`, async (ex) => {
    assert.equal(ex.response, null);
    assert.equal(capturedRequest(ex).fields.Reply, false);
    const ran = fixture.nextCall(handler);
    const replayed = await replay(ex);
    await ran;
    await sleep(50);
    await assertNoReply(replayed, ex);
  });
}

// ---------------------------------------------------------------------------------------------------
// Gate → backend calls (SESSION + map/bytes) and the session's calls back to the gate

for (const [id, network] of [
  ["gate-HD_say-msgid-tcp", "tcp"],
  ["gate-HD_say-msgid-ws", "websocket"],
] as const) {
  exchangeTest(id, `HD_say binds and pushes through this run's gate; the reply is the captured reply, byte for byte`, async (ex) => {
    const gateAddress = await addressOf("Gate");
    const pushFrom = pushes.length;
    const replayed = await replay(ex, { rewriteArgs: liveSessionArg(network) });
    assertIdentical(replayed, ex);
    assert.equal(await nextPush(network, pushFrom, "/push/x"), "pushed");
    // The handler's session calls carry mqant's arguments: Bind(trace, sessionId, "u1") and
    // Send(trace, sessionId, "/push/x", bytes "pushed"), with the session's trace id and a new span.
    const live = liveSession(network);
    const calls = tapped.slice(replayed.tapFrom).filter((msg) => msg.subject === gateAddress).map((msg) => decodeRPCInfo(msg.data));
    const bind = calls.find((call) => call.fn === "Bind");
    const send = calls.find((call) => call.fn === "Send");
    assert.ok(bind !== undefined && send !== undefined, "Bind and Send went to the gate over NATS");
    const capturedBind = capturedRequest(exchange("session-Bind")).fields;
    const capturedSend = capturedRequest(exchange("session-Send")).fields;
    assert.deepEqual(bind.argsType, capturedBind.ArgsType);
    assert.deepEqual(send.argsType, capturedSend.ArgsType);
    const sentSession = decodeSessionData(replayed.request.args[0] as Uint8Array);
    for (const call of [bind, send]) {
      const span = JSON.parse(utf8(call.args[0] as Uint8Array)) as { Trace: string; Span: string };
      assert.equal(span.Trace, sentSession.traceId, "the session's trace id");
      assert.match(span.Span, /^[0-9a-f]{16}$/);
      assert.notEqual(span.Span, sentSession.spanId, "a new span");
      assert.equal(utf8(call.args[1] as Uint8Array), live.sessionId);
      assert.equal(call.reply, true);
    }
    assert.deepEqual(bind.args.slice(2).map(toHex), capturedBind.Args_hex.slice(2), "Bind's user id bytes");
    assert.deepEqual(send.args.slice(2).map(toHex), capturedSend.Args_hex.slice(2), "Send's topic and body bytes");
    assert.equal(live.userId, "u1", "the live session is bound");
  });
}

for (const [id, name] of [
  ["gate-HD_say-no-msgid-tcp", "nomsgid"],
  ["gate-HD_say-4-part-topic-tcp", "four"],
] as const) {
  exchangeTest(id, `Reply=false; the handler binds and pushes, and no reply is published, as captured`, async (ex) => {
    assert.equal(ex.response, null);
    const pushFrom = pushes.length;
    const ran = fixture.nextCall("HD_say");
    const replayed = await replay(ex, { rewriteArgs: liveSessionArg("tcp") });
    const call = await ran;
    assert.deepEqual(call.args[1], { name });
    assert.equal(await nextPush("tcp", pushFrom, "/push/x"), "pushed");
    assert.equal(call.sessionError, undefined);
    await sleep(50);
    await assertNoReply(replayed, ex);
  });
}

for (const id of ["gate-HD_raw-bytes-tcp", "gate-HD_raw-empty-payload-tcp", "gate-HD_nope-not-found-tcp"]) {
  exchangeTest(id, `the reply is the captured reply, byte for byte`, async (ex) => {
    assertIdentical(await replay(ex, { rewriteArgs: liveSessionArg("tcp") }), ex);
  });
}

/** A SESSION reply of the gate: captured fields, with this run's per-connection values. */
function assertBindReply(reply: ResultInfo, ex: Exchange, network: "tcp" | "websocket"): void {
  const expected = capturedResponse(ex).fields;
  assert.equal(reply.error, expected.Error);
  assert.equal(reply.resultType, expected.ResultType);
  assert.equal(reply.resultType, "SESSION");
  const capturedSession = decodeSessionData(fromHex(expected.Result_hex));
  const session = decodeSessionData(reply.result);
  const live = liveSession(network);
  // Same as captured: the network, the bound user, no topic, no settings.
  assert.equal(session.network, capturedSession.network);
  assert.equal(session.userId, capturedSession.userId);
  assert.equal(session.topic, capturedSession.topic);
  assert.deepEqual(session.settings, capturedSession.settings);
  // Per run: the connection's address, ids and trace.
  assert.match(capturedSession.ip, /^127\.0\.0\.1:\d+$/);
  assert.match(session.ip, /^127\.0\.0\.1:\d+$/);
  assert.equal(session.sessionId, live.sessionId);
  assert.equal(session.serverId, gateNodeId());
  assert.equal(session.traceId, live.traceId);
  assert.match(session.spanId, /^[0-9a-f]{16}$/);
}

exchangeTest("session-Bind", "replayed to mqgen's gate, the SESSION reply has the captured fields (ids, address and trace per run)", async (ex) => {
  const reply = replied(await replay(ex, { to: "Gate", rewriteArgs: liveSessionIdArg("tcp") }), ex);
  assertBindReply(reply, ex, "tcp");
});

exchangeTest("session-Send", "replayed to mqgen's gate, the client gets the push and the reply is the captured reply, byte for byte", async (ex) => {
  const pushFrom = pushes.length;
  assertIdentical(await replay(ex, { to: "Gate", rewriteArgs: liveSessionIdArg("tcp") }), ex);
  assert.equal(await nextPush("tcp", pushFrom, "/push/x"), "pushed");
});

exchangeTest("first-call-reply-lost", "the gate answers the replayed Bind; difference: a fresh mqgen client's very first call gets its reply (its inbox is subscribed before it publishes)", async (ex) => {
  assert.equal(ex.go_caller_saw?.error, "deadline exceeded");
  const reply = replied(await replay(ex, { to: "Gate", rewriteArgs: liveSessionIdArg("tcp") }), ex);
  assertBindReply(reply, ex, "tcp");
  // The race itself: a new client whose first ever request is this Bind.
  const fresh = await startApp("fresh");
  try {
    const session = await fresh.call(gateNodeId(), "Bind", [new TraceSpan(liveSession("tcp").traceId, "f4baf443dded0121"), liveSession("tcp").sessionId, "u1"], {
      timeout: 2_000,
    });
    assert.equal((session as { userId: string }).userId, "u1");
  } finally {
    await fresh.stop();
  }
});

// ---------------------------------------------------------------------------------------------------
// Client-side failures: no traffic in the capture; asserted against mqgen's client

async function assertNoTrafficDuring(call: () => Promise<unknown>): Promise<unknown> {
  const nodeSubjects = new Set([await addressOf("helloworld"), await addressOf("Gate")]);
  await raw.flush();
  const from = tapped.length;
  let failure: unknown;
  try {
    await call();
  } catch (error) {
    failure = error;
  }
  await caller.nats?.flush();
  await raw.flush();
  assert.deepEqual(
    tapped.slice(from).filter((msg) => nodeSubjects.has(msg.subject)).map((msg) => msg.subject),
    [],
    "nothing was published to a node",
  );
  return failure;
}

exchangeTest("go-int-arg", "an unencodable argument is refused before anything is published, in mqant's words; difference: a JS integer number travels as int", async (ex) => {
  assert.equal(ex.request, null);
  const goError = ex.go_caller_saw?.error ?? "";
  const failure = await assertNoTrafficDuring(() => caller.call("helloworld", "/test/int32", [Symbol("five")]));
  assert.ok(failure instanceof Error);
  assert.equal(failure.message, goError.replace("[int]", "[symbol]"));
  // Go has int next to int32/int64; JS has one number type, so 5 is sent as "int" (int32) and accepted.
  assert.equal(await caller.call("helloworld", "/test/int32", [5]), 6);
});

exchangeTest("unknown-module", "'none available' before anything is published, as captured with the Consul registry", async (ex) => {
  assert.equal(ex.request, null);
  const failure = await assertNoTrafficDuring(() => caller.call("nomodule", "/say/hi", ["x"]));
  assert.ok(failure instanceof NoneAvailableError);
  assert.equal(failure.message, ex.go_caller_saw?.error);
});

// Registered last: node's runner runs tests in order, so by now every exchange has been replayed.
test("every captured exchange has a test above", () => {
  const missing = exchanges.map((ex) => ex.id).filter((id) => !declared.has(id));
  assert.deepEqual(missing, []);
  assert.equal(exchanges.length, 44);
});
