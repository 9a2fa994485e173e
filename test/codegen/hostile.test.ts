// The hostile-names corpus (test/fixtures/codegen/hostile): names that are keywords, globals, Object.prototype
// members, `then`, `__proto__`, and wire names, topics and docs with quotes, backslashes and control
// characters. Each handler round-trips the same values through the generated client and `register…`, in
// process and over a real NATS server; JSON keeps the schema's names.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { Session } from "../../runtime/internal.js";
import { generate } from "../../codegen/index.js";
import { readGenerated } from "../../codegen/cli/output.js";
import {
  Error$,
  hostile,
  HostileClient,
  HostileEvents,
  NoopRequest,
  Kind,
  KindType,
  Promise$,
  Record$,
  registerHostile,
  ToJSONRequest,
  Uint8Array$,
} from "../fixtures/codegen/hostile.golden/hostile.js";
import type { HostileHandlers } from "../fixtures/codegen/hostile.golden/hostile.js";
import { keywords, KeywordsClient, Object$, registerKeywords } from "../fixtures/codegen/hostile.golden/keywords.js";
import type { KeywordsHandlers } from "../fixtures/codegen/hostile.golden/keywords.js";
import { HostileGateClient } from "../fixtures/codegen/hostile.golden/hostile.gate.js";
import { GateClient, ProtocolError, enumResult } from "../../runtime/gate/client/index.js";
import { connectMqtt, startGateApp } from "../gate/support.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair } from "../support/apps.js";
import type { Mode } from "../support/apps.js";

const FIXTURE = "test/fixtures/codegen/hostile";

test("the hostile corpus generates without diagnostics and matches its golden files", () => {
  const result = generate({ schemaDir: FIXTURE });
  assert.deepEqual(result.diagnostics, []);
  const golden = readGenerated(`${FIXTURE}.golden`);
  assert.deepEqual([...result.files.keys()], [...golden.keys()]);
  for (const [path, text] of golden) assert.equal(result.files.get(path), text, path);
  // A .proto without a package writes no dotfile.
  assert.ok(!result.files.has(".types.ts"));
  assert.ok(result.files.has("no-package.types.ts"));
});

test("wire names, topics and versions keep their exact text, escapes included", () => {
  assert.equal(hostile.version, "1.10");
  assert.equal(hostile.handlers.delete.wireName, '/q"b');
  assert.equal(hostile.handlers.constructor$.wireName, "/path\\to\\new");
  assert.equal(hostile.handlers.constructor$.method, "constructor");
  assert.equal(hostile.pushes.then$.topic, 'hostile/"then"\t/\\');
  assert.equal(keywords.handlers.delete.wireName, '/go"quoted');
  assert.equal(keywords.handlers.do.wireName, "/back\\slash\\nA");
  assert.equal(keywords.handlers.new$.wireName, "/New");
});

test("escaped properties keep the schema's names in JSON, and `__proto__` is an own key both ways", async () => {
  const p = Promise$.create({ __proto__$: "proto", constructor$: -9_007_199_254_740_993n, toString$: "s", then$: true, valueOf$: -1.5, hasOwnProperty$: Kind.then$, toJSON$: "j" });
  const json = Promise$.toJson(p);
  assert.deepEqual(Object.keys(json), ["__proto__", "constructor", "toString", "then", "valueOf", "hasOwnProperty", "toJSON"]);
  assert.ok(Object.hasOwn(json, "__proto__"));
  assert.equal(Object.getPrototypeOf(json), Object.prototype);
  assert.equal(json["hasOwnProperty"], "then");
  const text = JSON.stringify(json);
  assert.deepEqual(Promise$.fromJson(JSON.parse(text)), p);
  assert.deepEqual(Promise$.decode(Promise$.encode(p)), p);
  assert.ok(Object.is(Promise$.decode(Promise$.encode({ ...p, valueOf$: -0 })).valueOf$, -0));
  assert.deepEqual(KindType.values, { __proto__$: 0, constructor$: 1, toString$: 2, then$: 3 });
  assert.deepEqual(NoopRequest.fromJson(JSON.parse('{"__proto__":"x","constructor":"toString"}')), { __proto__$: "x", constructor$: Kind.toString$ });
  // A message with a `then` field is never a thenable: awaiting one gives it back.
  assert.equal(await Promise.resolve(p), p);
});

class Hostile implements Module, HostileHandlers {
  readonly type = "hostile";
  readonly version = "1.10";
  onInit(ctx: ModuleContext): void {
    registerHostile(ctx.server, this);
  }
  delete(class$: string, options$: number, ctx$: bigint, hostile$: boolean, ctx: CallContext): string {
    return `${ctx.handler}|${class$}|${options$}|${ctx$}|${hostile$}`;
  }
  constructor$(value: Promise$): Promise$ {
    return { ...value, toString$: `${value.toString$}!` };
  }
  toString$(args$: Record$): Record$ {
    return args$;
  }
  hasOwnProperty$(data: Uint8Array$): Uint8Array$ {
    return { data: data.data, list: [...data.list, data.data] };
  }
  valueOf$(e: Error$): Error$ {
    return { message: e.message.toUpperCase(), code: e.code + 1 };
  }
  then$(): string {
    return "not a thenable";
  }
  __proto__$(impl$: string): Kind {
    return impl$ === "then" ? Kind.then$ : Kind.constructor$;
  }
  noop(session: Session, request: NoopRequest): Promise$ {
    return Promise$.create({ __proto__$: `${request.__proto__$}@${session.sessionId}`, hasOwnProperty$: request.constructor$ });
  }
  toJSON$(_session: Session, request: ToJSONRequest): Kind {
    return request.request?.then$ === true ? Kind.then$ : Kind.toString$;
  }
}

class Keywords implements Module, KeywordsHandlers {
  readonly type = "keywords";
  readonly version = "1.0.0";
  onInit(ctx: ModuleContext): void {
    registerKeywords(ctx.server, this);
  }
  delete(request: Object$): Object$ {
    return { ...request, delete: request.delete + 1 };
  }
  new$(request: Object$): Object$ {
    return { ...request, then$: [...request.then$, "new"] };
  }
  import(request: Object$): Object$ {
    return request;
  }
  do(request: Object$, ctx: CallContext): Object$ {
    return { ...request, constructor$: ctx.handler };
  }
}

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

for (const mode of ["in-process", "nats"] as Mode[]) {
  test(`every hostile handler round-trips through the generated client and register… (${mode})`, async () => {
    const pair = await startPair(mode, [new Hostile(), new Keywords()], { natsUrl: nats.url });
    try {
      const client = new HostileClient(pair.client);
      // A client with a `then` handler is still not a thenable.
      assert.equal(await Promise.resolve(client), client);
      assert.equal(await client.delete("c", -7, 9_223_372_036_854_775_807n, true), '/q"b|c|-7|9223372036854775807|true');
      const p = Promise$.create({ __proto__$: "p", constructor$: -1n, toString$: "t", then$: true, valueOf$: Number.NaN, hasOwnProperty$: Kind.toString$, toJSON$: "ü\u0000" });
      assert.deepEqual(await client.constructor$(p), { ...p, toString$: "t!" });
      // `{ __proto__: … }` in a literal would set the prototype; the map key must be an own property.
      const tags: Record<string, Promise$> = { constructor: Promise$.create() };
      Object.defineProperty(tags, "__proto__", { value: Promise$.create({ toJSON$: "x" }), enumerable: true, writable: true, configurable: true });
      const r = Record$.create({ delete: "d", new$: Promise$.create({ then$: true }), tags });
      const back = await client.toString$(r);
      assert.deepEqual(back, r);
      assert.ok(Object.hasOwn(back.tags, "__proto__"));
      const bytes = new Uint8Array([0, 255, 1]);
      assert.deepEqual(await client.hasOwnProperty$({ data: bytes, list: [new Uint8Array()] }), { data: bytes, list: [new Uint8Array(), bytes] });
      assert.deepEqual(await client.valueOf$({ message: "boom", code: 41 }), { message: "BOOM", code: 42 });
      assert.equal(await client.then$(), "not a thenable");
      assert.equal(await client.__proto__$("then"), Kind.then$);
      const session = new Session({ sessionId: "s1" });
      const noop = await client.noop(session, { __proto__$: "q", constructor$: Kind.then$ });
      assert.equal(noop.__proto__$, "q@s1");
      assert.equal(noop.hasOwnProperty$, Kind.then$);
      assert.equal(await client.toJSON$(session, { request: Promise$.create({ then$: true }) }), Kind.then$);

      const kw = new KeywordsClient(pair.client);
      const o = Object$.create({ constructor$: "c", __proto__$: "p", delete: 1, then$: ["a"], nested: { value: "v" } });
      assert.deepEqual(await kw.delete(o), { ...o, delete: 2 });
      assert.deepEqual(await kw.new$(o), { ...o, then$: ["a", "new"] });
      assert.deepEqual(await kw.import(o), o);
      assert.deepEqual(await kw.do(o), { ...o, constructor$: "/back\\slash\\nA" });
    } finally {
      await pair.stop();
    }
  });
}

for (const mode of ["in-process", "nats"] as Mode[]) {
  test(`hostile events (\`then\` on a subject with quotes and a backslash, \`constructor\` balanced) are delivered typed (${mode})`, async () => {
    const seen: string[] = [];
    const subscriber = {
      type: "hostileSubscriber",
      version: "1.0.0",
      async onInit(ctx: ModuleContext): Promise<void> {
        const events = new HostileEvents(ctx);
        await events.onThen((p, info) => void seen.push(`then ${p.toString$} ${info.subject}`)).ready;
        await events.onConstructor((p) => void seen.push(`constructor ${p.toString$}`)).ready;
      },
    };
    const pair = await startPair(mode, [subscriber], { natsUrl: nats.url });
    try {
      const events = new HostileEvents(pair.client);
      assert.equal(hostile.events.then$.subject, 'hostile."then".\\');
      await events.emitThen(Promise$.create({ toString$: "a" }));
      await events.emitConstructor(Promise$.create({ toString$: "b" }));
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(seen.sort(), ["constructor b", 'then a hostile."then".\\']);
    } finally {
      await pair.stop();
    }
  });
}

test("the typed gate client reaches hostile gate handlers over MQTT: a message result and an enum result, no cast", async () => {
  const harness = await startGateApp({}, { modules: [new Hostile(), new Keywords()] });
  const mqtt = await connectMqtt(`mqtt://127.0.0.1:${harness.tcpPort}`, { clientId: "hostile-gate" });
  try {
    const gate = new HostileGateClient(new GateClient(mqtt, { timeoutMs: 5_000 }));
    const noop = await gate.noop({ __proto__$: "g", constructor$: Kind.constructor$ });
    assert.equal(noop.__proto__$.startsWith("g@"), true);
    assert.equal(noop.hasOwnProperty$, Kind.constructor$);
    assert.equal(await gate.toJSON$({ request: Promise$.create({ then$: true }) }), Kind.then$);
    assert.equal(await gate.toJSON$({ request: Promise$.create() }), Kind.toString$);
  } finally {
    await mqtt.endAsync();
    await harness.stop();
  }
});

test("an enum result of another shape than an int32 number is a ProtocolError naming what arrived", () => {
  assert.equal(enumResult(KindType, 3), Kind.then$);
  assert.equal(enumResult(KindType, 99), 99, "open, as protobuf's enums: an unnamed number passes");
  for (const [value, shown] of [["then", 'the string "then"'], [1.5, "number 1.5"], [2 ** 31, "number 2147483648"], [null, "null"], [[1], "an array"], [{}, "an object"], [undefined, "nothing"]] as const) {
    assert.throws(() => enumResult(KindType, value), (err: unknown) => err instanceof ProtocolError && err.message === `gate reply: expected hostile.Kind as an int32 number, got ${shown}`);
  }
});
