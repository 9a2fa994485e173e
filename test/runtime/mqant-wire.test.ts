/**
 * Wire compatibility with Go mqant, from the captured vectors: requests a Go caller sent are replayed to an
 * mqgen node and must produce the very reply bytes the Go node sent; and an mqgen caller talking to a
 * stand-in Go node sends the captured argument tags/bytes and decodes the captured replies. Plus the
 * wire-level guarantees that are not visible through the client: no reply for Reply=false, no reply after
 * the deadline, garbage on a node subject is survived, no-responders fails calls to a vanished node.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect, createInbox, type NatsConnection } from "nats";
import {
  MemoryRegistry,
  NodeGoneError,
  boolCodec,
  bytesCodec,
  createApp,
  decodeRPCInfo,
  decodeResultInfo,
  doubleCodec,
  encodeRPCInfo,
  encodeResultInfo,
  floatCodec,
  int32Codec,
  int64Codec,
  isCid,
  mapCodec,
  mapstrCodec,
  stringCodec,
  type HandlerDescriptor,
  type ModuleDescriptor,
  type ValueCodec,
  type App,
} from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { configFor, sleep, testModule } from "../support/apps.js";

interface Vector {
  id: string;
  handler: { name: string };
  request: { bytes_hex: string; fields: { ArgsType: string[]; Args_hex: string[]; Fn: string } } | null;
  response: { bytes_hex: string; fields: { ResultType: string; Result_hex: string; Error: string } } | null;
}

const vectors = new Map<string, Vector>(
  readFileSync(new URL("../fixtures/mqant-vectors/rpc-calls.jsonl", import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Vector)
    .map((v) => [v.id, v]),
);

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function handler(wireName: string, params: ValueCodec<unknown>[], result: ValueCodec<unknown>, mode: "serial" | "concurrent" = "concurrent"): HandlerDescriptor {
  return {
    method: wireName,
    wireName,
    mode,
    gate: false,
    params: params.map((codec, i) => ({ name: `p${i}`, codec })),
    result,
    retrySafe: true,
    hash: wireName,
  };
}

const c = <T>(codec: ValueCodec<T>): ValueCodec<unknown> => codec as ValueCodec<unknown>;
const hw: ModuleDescriptor = {
  type: "helloworld",
  version: "1.0.0",
  schemaHash: "vectors",
  handlers: {
    sayHi: handler("/say/hi", [c(stringCodec)], c(stringCodec)),
    bool: handler("/test/bool", [c(boolCodec)], c(boolCodec)),
    int32: handler("/test/int32", [c(int32Codec)], c(int32Codec)),
    int64: handler("/test/int64", [c(int64Codec)], c(int64Codec)),
    float32: handler("/test/float32", [c(floatCodec)], c(floatCodec)),
    float64: handler("/test/float64", [c(doubleCodec)], c(doubleCodec)),
    bytes: handler("/test/bytes", [c(bytesCodec)], c(bytesCodec)),
    map: handler("/test/map", [c(mapCodec)], c(mapCodec)),
    mapstr: handler("/test/mapstr", [c(mapstrCodec)], c(mapstrCodec)),
    multi: handler("/test/multi", [c(stringCodec), c(int32Codec), c(boolCodec), c(bytesCodec), c(doubleCodec)], c(stringCodec)),
    serial: handler("/serial/echo", [c(stringCodec)], c(stringCodec), "serial"),
  },
  pushes: {},
};

const implementations: Record<string, (args: unknown[]) => unknown> = {
  sayHi: (a) => `hi ${a[0] as string}`,
  bool: (a) => !(a[0] as boolean),
  int32: (a) => (a[0] as number) + 1,
  int64: (a) => (a[0] as bigint) + 1n,
  float32: (a) => (a[0] as number) * 2,
  float64: (a) => (a[0] as number) * 2,
  bytes: (a) => new Uint8Array([...(a[0] as Uint8Array)].reverse().concat([0x7f])),
  map: (a) => ({ echo: a[0], ok: true, n: 7 }),
  mapstr: (a) => ({ got: (a[0] as Record<string, string>).k as string, x: "y" }),
  multi: (a) => `a=${a[0] as string} b=${a[1] as number} c=${String(a[2])} d=${toHex(a[3] as Uint8Array)} e=${a[4] as number}`,
  serial: (a) => `serial:${a[0] as string}`,
};

let nats: NatsServer;
let raw: NatsConnection;
let app: App;
const registry = new MemoryRegistry();

before(async () => {
  nats = await NatsServer.start();
  raw = await connect({ servers: nats.url });
  const helloworld = testModule("helloworld", (ctx) => {
    for (const [key, descriptor] of Object.entries(hw.handlers)) {
      ctx.server.registerHandler(hw, descriptor, (args) => (implementations[key] as (a: unknown[]) => unknown)(args));
    }
    ctx.server.registerGo("/test/nil", () => undefined);
    ctx.server.registerGo("/test/slow", async (args) => {
      await sleep(Number(args[0]));
      return `slept ${String(args[0])}ms`;
    });
  });
  app = createApp({ parseFlags: false, debug: false, registry, nats: { servers: nats.url }, config: configFor([helloworld]) });
  await app.start([helloworld]);
});

after(async () => {
  await app.stop();
  await raw.close();
  await nats.dispose();
});

async function nodeAddress(): Promise<string> {
  const [node] = await app.getServersByType("helloworld");
  assert.ok(node !== undefined);
  return node.address;
}

/** Sends Go's captured request bytes (fresh ReplyTo/Expired) and returns the raw reply bytes. */
async function replay(vector: Vector, reply = true): Promise<Uint8Array | undefined> {
  assert.ok(vector.request !== null);
  const request = decodeRPCInfo(hex(vector.request.bytes_hex));
  const inbox = createInbox();
  const sub = raw.subscribe(inbox, { max: 1 });
  await raw.flush();
  request.replyTo = reply ? inbox : "";
  request.reply = reply;
  request.expired = Date.now() + 5000;
  raw.publish(await nodeAddress(), encodeRPCInfo(request));
  const timer = setTimeout(() => sub.unsubscribe(), reply ? 3000 : 300);
  for await (const msg of sub) {
    clearTimeout(timer);
    return msg.data;
  }
  clearTimeout(timer);
  return undefined;
}

const replayed = [
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
  "serial",
  "nil-result",
  "not-found",
  "invoke",
];

test("Go mqant's captured requests get byte-identical replies from an mqgen node", async () => {
  for (const id of replayed) {
    const vector = vectors.get(id);
    assert.ok(vector?.response, `vector ${id}`);
    const reply = await replay(vector);
    assert.ok(reply !== undefined, `${id}: no reply`);
    assert.equal(toHex(reply), vector.response.bytes_hex, `${id}: reply bytes differ`);
  }
});

test("wrong argument count is answered in mqant's words", async () => {
  const vector = vectors.get("wrong-arg-count");
  assert.ok(vector?.response);
  const reply = decodeResultInfo((await replay(vector)) as Uint8Array);
  assert.equal(reply.resultType, "null");
  assert.match(reply.error, /^The number of params \[\[97\] \[98\]\] is not adapted\.</);
});

test("Reply=false (InvokeNR): the handler runs and nothing is published back", async () => {
  const vector = vectors.get("invokenr");
  assert.ok(vector?.request);
  assert.equal(await replay(vector, false), undefined);
});

test("an mqgen caller sends Go's tags and bytes and decodes Go's replies", async () => {
  // A stand-in Go node: registered like mqant registers, answering with the captured reply bytes.
  const subject = createInbox();
  const fake = { name: "gonode", version: "1.0.0", metadata: null, nodes: [{ id: "gonode@00000000000000aa", address: subject, port: 0, metadata: {} }] };
  await registry.register(fake, { ttlMs: 60_000 });
  const cases: [string, unknown[], unknown][] = [
    ["string", ["mqant"], "hi mqant"],
    ["int64-neg", [-2n], -1n],
    ["int32-neg", [-2], -1],
    ["bytes-empty", [new Uint8Array(0)], new Uint8Array([0x7f])],
    ["multi", ["s", 7, false, new Uint8Array([0xab]), -0.5], "a=s b=7 c=false d=ab e=-0.5"],
    ["map", [{ a: 1, b: "two", c: [1, 2], d: { e: true } }], { echo: { a: 1, b: "two", c: [1, 2], d: { e: true } }, n: 7, ok: true }],
    ["nil-result", [], null],
  ];
  const sub = raw.subscribe(subject, {
    callback: (_err, msg) => {
      const request = decodeRPCInfo(msg.data);
      const match = cases.find(([id]) => vectors.get(id)?.request?.fields.Fn === request.fn && vectors.get(id)?.request?.fields.ArgsType.join() === request.argsType.join());
      assert.ok(match, `unexpected request ${request.fn} ${request.argsType.join()}`);
      const vector = vectors.get(match[0]) as Vector;
      assert.deepEqual(request.args.map(toHex), vector.request?.fields.Args_hex, `${match[0]}: argument bytes`);
      assert.match(msg.reply ?? "", /^_INBOX\.[0-9A-Za-z]{12}\.[0-9a-z]+$/, "NATS reply field is <status inbox>.<call number> for no-responders");
      assert.ok(isCid(request.cid), `mqgen's short Cid format: ${request.cid}`);
      // A Go node copies the Cid into its reply unread; the caller matches the reply by it.
      const reply = decodeResultInfo(hex(vector.response?.bytes_hex as string));
      reply.cid = request.cid;
      raw.publish(request.replyTo, encodeResultInfo(reply));
    },
  });
  await raw.flush();
  try {
    for (const [id, args, expected] of cases) {
      const fn = vectors.get(id)?.request?.fields.Fn as string;
      assert.deepEqual(await app.call("gonode", fn, args), expected, id);
    }
  } finally {
    sub.unsubscribe();
    await registry.deregister(fake);
  }
});

test("a result after the caller's deadline is not published", async () => {
  const address = await nodeAddress();
  const inbox = createInbox();
  const received: string[] = [];
  const sub = raw.subscribe(inbox, { callback: (_e, msg) => received.push(decodeResultInfo(msg.data).cid) });
  await raw.flush();
  const send = (cid: string, ms: number, expiresIn: number): void =>
    raw.publish(
      address,
      encodeRPCInfo({ cid, fn: "/test/slow", replyTo: inbox, track: "", expired: Date.now() + expiresIn, reply: true, argsType: ["long"], args: [int64Codec.encode(BigInt(ms))], caller: "t", hostname: "t" }),
    );
  send("late", 200, 80);
  send("in-time", 10, 5000);
  for (let i = 0; i < 150 && !received.includes("in-time"); i++) await sleep(20);
  await sleep(300);
  sub.unsubscribe();
  assert.deepEqual(received, ["in-time"]);
});

test("garbage on a node's subject is logged and dropped; the node keeps serving", async () => {
  const address = await nodeAddress();
  for (const junk of [new Uint8Array([0xff, 0xff, 0xff]), new TextEncoder().encode("hello"), new Uint8Array([0x0a, 0x50]), new Uint8Array(0)]) {
    raw.publish(address, junk);
  }
  await raw.flush();
  assert.equal(await app.call("helloworld", "/say/hi", ["still here"]), "hi still here");
});

test("a vanished node fails the call at once (no-responders) and leaves the selector; retry-safe calls move on", async () => {
  const goneSubject = createInbox();
  const gone = { name: "helloworld", version: "1.0.0", metadata: null, nodes: [{ id: "helloworld@00000000000000dd", address: goneSubject, port: 0, metadata: { version: "1.0.0" } }] };
  await registry.register(gone, { ttlMs: 60_000 });
  try {
    const started = Date.now();
    await assert.rejects(app.call("helloworld@00000000000000dd", "/say/hi", ["x"], { timeout: 10_000 }), (err: unknown) => err instanceof NodeGoneError && err.code === "NONE_AVAILABLE");
    assert.ok(Date.now() - started < 3000, "failed fast, not at the deadline");
    // The dead node is out of the cache: every typed call lands on the live node.
    for (let i = 0; i < 10; i++) {
      assert.equal(await app.callHandler(hw, hw.handlers.sayHi as HandlerDescriptor, ["y"]), "hi y");
    }
    // Re-announced (e.g. after restart) → it is selectable again, and retry-safe calls skip it when gone.
    await registry.register({ ...gone, nodes: [{ ...gone.nodes[0]!, metadata: { version: "1.0.0", restarted: "1" } }] }, { ttlMs: 60_000 });
    await sleep(20);
    assert.equal((await app.getServersByType("helloworld")).length, 2);
    for (let i = 0; i < 10; i++) {
      assert.equal(await app.callHandler(hw, hw.handlers.sayHi as HandlerDescriptor, ["z"]), "hi z");
    }
  } finally {
    await registry.deregister(gone);
  }
});
