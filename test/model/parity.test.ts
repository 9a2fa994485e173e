/**
 * In-process calls behave exactly like calls over NATS: the same values are refused and the same
 * conversions happen, for arguments and results, each case run both ways.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { floatCodec, int32Codec, int64Codec, type ModuleDescriptor, type ValueCodec } from "../../runtime/index.js";
import { defineMessage, field, scalar } from "../../runtime/gate/client/index.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair, testModule, type Mode } from "../support/apps.js";

interface Inner { count: number }
interface Outer { inner?: Inner }
const Inner = defineMessage<Inner>("parity.Inner", () => [field(1, "count", scalar.uint32)]);
const Outer = defineMessage<Outer>("parity.Outer", () => [field(1, "inner", { kind: "message", message: () => Inner })]);

function handlerOf(name: string, codec: ValueCodec<unknown>, n: number) {
  return { method: name, wireName: `/${name}`, mode: "concurrent" as const, gate: false, params: [{ name: "v", codec }], result: codec, retrySafe: true, hash: `00000000000000${n}0` };
}
const parity: ModuleDescriptor = {
  type: "parity",
  version: "1.0.0",
  schemaHash: "00000000000000p1",
  handlers: {
    int64: handlerOf("int64", int64Codec as ValueCodec<unknown>, 1),
    int32: handlerOf("int32", int32Codec as ValueCodec<unknown>, 2),
    float: handlerOf("float", floatCodec as ValueCodec<unknown>, 3),
    outer: handlerOf("outer", Outer.codec as ValueCodec<unknown>, 4),
  },
  pushes: {},
};
const h = parity.handlers;

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

/** The outcome of a call as comparable data: the value, or the error's class and message. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message };
  }
}

const cases: ReadonlyArray<readonly [string, keyof typeof h, unknown]> = [
  ["int64 2^63", "int64", 2n ** 63n],
  ["int32 2^31", "int32", 2 ** 31],
  ["int32 1.5", "int32", 1.5],
  ["negative uint32 in a nested field", "outer", { inner: { count: -1 } }],
  ["float32 0.1", "float", 0.1],
  ["int64 in range", "int64", -(2n ** 63n)],
];

async function runAll(mode: Mode): Promise<Record<string, unknown>> {
  const pair = await startPair(mode, [testModule("parity", (ctx) => {
    for (const handler of Object.values(h)) ctx.server.registerHandler(parity, handler, (args) => args[0]);
  })], { natsUrl: nats.url });
  try {
    const out: Record<string, unknown> = {};
    for (const [label, name, value] of cases) out[label] = await outcome(pair.client.callHandler(parity, h[name]!, [value]));
    return out;
  } finally {
    await pair.stop();
  }
}

describe("in process and over NATS: the same refusals and conversions", () => {
  test("arguments", async () => {
    const local = await runAll("in-process");
    const wire = await runAll("nats");
    assert.deepEqual(local, wire);
    assert.ok((local["int64 2^63"] as { error?: string }).error, "int64 2^63 is refused");
    assert.ok((local["int32 2^31"] as { error?: string }).error, "int32 2^31 is refused");
    assert.ok((local["int32 1.5"] as { error?: string }).error, "int32 1.5 is refused");
    assert.ok((local["negative uint32 in a nested field"] as { error?: string }).error, "a negative uint32 deep in a message is refused");
    assert.deepEqual(local["float32 0.1"], { ok: Math.fround(0.1) });
    assert.deepEqual(local["int64 in range"], { ok: -(2n ** 63n) });
  });
});

for (const mode of ["in-process", "nats"] as Mode[]) {
  test(`results (${mode}): a handler's float32 0.1 comes back as float32, an int32 of 1.5 is refused`, async () => {
    const pair = await startPair(mode, [testModule("parity", (ctx) => {
      ctx.server.registerHandler(parity, h.float!, () => 0.1);
      ctx.server.registerHandler(parity, h.int32!, () => 1.5);
    })], { natsUrl: nats.url });
    try {
      assert.equal(await pair.client.callHandler(parity, h.float!, [0]), Math.fround(0.1));
      await assert.rejects(pair.client.callHandler(parity, h.int32!, [0]), /result error/);
    } finally {
      await pair.stop();
    }
  });
}
