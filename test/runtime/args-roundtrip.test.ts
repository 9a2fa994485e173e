/**
 * Every argument type round-trips with edge values, untyped (by tag) and typed (by codec), over NATS and
 * in process — the handler sees the same value either way.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BIND_CALLER,
  callLogger,
  type ArgSerializer,
  type RpcCaller,
  Float32,
  Int64,
  MapStr,
  TraceSpan,
  boolCodec,
  bytesCodec,
  doubleCodec,
  floatCodec,
  int32Codec,
  int64Codec,
  mapCodec,
  mapstrCodec,
  stringCodec,
  type HandlerDescriptor,
  type ModuleDescriptor,
  type ValueCodec,
} from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair, testModule, type AppPair, type Mode } from "../support/apps.js";

/** A value that needs the receiving app's caller, like the gate's Session. */
class Ticket {
  caller: RpcCaller | undefined;
  constructor(readonly id: string) {}
  [BIND_CALLER](caller: RpcCaller): void {
    this.caller = caller;
  }
}
const ticketSerializer: ArgSerializer = {
  name: "ticket",
  tags: ["TICKET"],
  serialize: (value) => (value instanceof Ticket ? { tag: "TICKET", bytes: new TextEncoder().encode(value.id) } : undefined),
  deserialize: (_tag, bytes) => new Ticket(new TextDecoder().decode(bytes)),
};

const nested = { a: 1, b: "two", c: [1, 2, { d: null }], e: { f: { g: "深い" } }, h: true, i: -0.5 };

const untypedCases: [string, unknown, unknown][] = [
  ["empty string", "", ""],
  ["non-ASCII string", "你好 🌍 é", "你好 🌍 é"],
  ["null", null, null],
  ["undefined as null", undefined, null],
  ["true", true, true],
  ["false", false, false],
  ["int32 max", 2147483647, 2147483647],
  ["int32 min", -2147483648, -2147483648],
  ["int64 max", 9223372036854775807n, 9223372036854775807n],
  ["int64 min", -9223372036854775808n, -9223372036854775808n],
  ["Int64 wrapper", Int64(5), 5n],
  ["double", 3.141592653589793, 3.141592653589793],
  ["NaN", Number.NaN, Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
  ["-Infinity", Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
  ["-0", -0, -0],
  ["beyond int32", 2 ** 40, 2 ** 40],
  ["float32", Float32(1.5), 1.5],
  ["empty bytes", new Uint8Array(0), new Uint8Array(0)],
  ["bytes", new Uint8Array([0, 1, 254, 255]), new Uint8Array([0, 1, 254, 255])],
  ["nested map", nested, nested],
  ["empty map", {}, {}],
  ["mapstr", MapStr({ k: "v", 中: "文" }), { k: "v", 中: "文" }],
];

function handler(wireName: string, codec: ValueCodec<unknown>): HandlerDescriptor {
  return { method: wireName, wireName, mode: "concurrent", gate: false, params: [{ name: "v", codec }], result: codec, retrySafe: true, hash: wireName };
}
const c = <T>(codec: ValueCodec<T>): ValueCodec<unknown> => codec as ValueCodec<unknown>;
const typed: ModuleDescriptor = {
  type: "typed",
  version: "1.0.0",
  schemaHash: "rt",
  handlers: {
    string: handler("/string", c(stringCodec)),
    bool: handler("/bool", c(boolCodec)),
    int32: handler("/int32", c(int32Codec)),
    int64: handler("/int64", c(int64Codec)),
    float: handler("/float", c(floatCodec)),
    double: handler("/double", c(doubleCodec)),
    bytes: handler("/bytes", c(bytesCodec)),
    map: handler("/map", c(mapCodec)),
    mapstr: handler("/mapstr", c(mapstrCodec)),
  },
  pushes: {},
};
const typedCases: [keyof typeof typed.handlers & string, unknown][] = [
  ["string", ""],
  ["string", "ünïcödé 漢字"],
  ["bool", true],
  ["int32", -2147483648],
  ["int32", 2147483647],
  ["int64", -9223372036854775808n],
  ["int64", 9223372036854775807n],
  ["float", -2.5],
  ["float", Number.NaN],
  ["double", Number.NaN],
  ["double", Number.MIN_VALUE],
  ["double", -0],
  ["bytes", new Uint8Array(0)],
  ["bytes", new Uint8Array(300).fill(7)],
  ["map", nested],
  ["mapstr", { "": "", k: "ü" }],
];

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

for (const mode of ["in-process", "nats"] as Mode[]) {
  describe(`argument round trips (${mode})`, () => {
    let pair: AppPair;
    const seen: unknown[] = [];
    before(async () => {
      const modules = [
        testModule("echo", (ctx) => {
          ctx.server.registerGo("/echo", (args) => {
            seen.push(args[0]);
            return args[0];
          });
          ctx.server.registerGo("/count", (args) => args.length);
          ctx.server.registerGo("/ticket", async (args, call) => {
            const ticket = args[0] as Ticket;
            assert.ok(ticket instanceof Ticket);
            assert.ok(ticket.caller !== undefined, "bound before the handler ran");
            assert.ok(callLogger(call) !== undefined);
            // The bound caller works: call back into the app.
            return `${ticket.id}:${String(await ticket.caller.call("echo", "/count", [1, 2]))}`;
          });
          ctx.server.registerGo("/trace", (args, call) => {
            const span = args[0] as TraceSpan;
            return `${span.Trace} ${span.Span} ${call.traceId}`;
          });
        }),
        testModule("typed", (ctx) => {
          for (const descriptor of Object.values(typed.handlers)) ctx.server.registerHandler(typed, descriptor, (args) => args[0]);
        }),
      ];
      pair = await startPair(mode, modules, { natsUrl: nats.url });
      pair.server.addSerializer(ticketSerializer);
      if (pair.client !== pair.server) pair.client.addSerializer(ticketSerializer);
    });
    after(async () => {
      await pair.stop();
    });

    test("untyped values by tag: handler input and returned result", async () => {
      for (const [name, input, expected] of untypedCases) {
        seen.length = 0;
        const result = await pair.client.call("echo", "/echo", [input]);
        assert.deepEqual(seen[0], expected, `${name}: handler saw`);
        assert.deepEqual(result, expected, `${name}: caller got`);
        if (Object.is(expected, -0)) assert.ok(Object.is(result, -0), `${name}: sign kept`);
      }
    });

    test("serializer values (mqant AddRPCSerialize) are bound to the receiving app's caller", async () => {
      assert.equal(await pair.client.call("echo", "/ticket", [new Ticket("t-1")]), "t-1:2");
    });

    test("many arguments and none", async () => {
      assert.equal(await pair.client.call("echo", "/count", []), 0);
      assert.equal(await pair.client.call("echo", "/count", ["a", 1, 2n, null, new Uint8Array(1), {}, true]), 7);
    });

    test("trace argument: same trace id, new span id", async () => {
      const span = new TraceSpan("0123456789abcdef", "fedcba9876543210");
      const [trace, newSpan, contextTrace] = ((await pair.client.call("echo", "/trace", [span])) as string).split(" ");
      assert.equal(trace, "0123456789abcdef");
      assert.equal(contextTrace, "0123456789abcdef", "the call's context (and its log lines) carry the caller's trace");
      assert.match(newSpan as string, /^[0-9a-f]{16}$/);
      assert.notEqual(newSpan, "fedcba9876543210");
    });

    test("typed values through their codecs", async () => {
      for (const [key, value] of typedCases) {
        const result = await pair.client.callHandler(typed, typed.handlers[key] as HandlerDescriptor, [value]);
        assert.deepEqual(result, value, `${key} ${String(value)}`);
        if (Object.is(value, -0)) assert.ok(Object.is(result, -0));
      }
    });
  });
}
