// The generated tables work with the runtime: codecs carry mqant's tags, messages round-trip through
// protobuf and JSON, and registerX wires an implementation to the descriptor's handlers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { stringCodec } from "mqgen/runtime";
import type { CallContext, HandlerDescriptor, ModuleDescriptor, ModuleServer, RawHandler, TypedHandler } from "mqgen/runtime";
import { chat, ChatMessage, registerChat, SayReply, SayRequest } from "../../generated/chat.js";
import { helloworld, HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import { modules } from "../../generated/index.js";
import { ResultInfo, rpctest } from "../../generated/rpctest.js";

test("descriptors carry mqant's argument tags", () => {
  const sayHi = helloworld.handlers.sayHi;
  assert.deepEqual(sayHi.params.map((p) => [p.name, p.codec.tag]), [["name", "string"]]);
  assert.equal(sayHi.result.tag, "string");
  const testProto = rpctest.handlers.testProto;
  assert.deepEqual(testProto.params.map((p) => p.codec.tag), ["proto@rpctest.ResultInfo"]);
  assert.equal(testProto.timeoutMs, 3000);
  const say = chat.handlers.say;
  assert.deepEqual(say.params.map((p) => [p.name, p.codec.tag]), [["session", "SESSION"], ["request", "map"]]);
  assert.equal(say.result.tag, "map");
  assert.equal(chat.handlers.join.result.tag, "null");
  assert.deepEqual(modules.map((m) => m.type), ["chat", "helloworld", "rpctest"]);
});

test("generated messages round-trip through protobuf and JSON", () => {
  const info = ResultInfo.create({ Cid: "c-1", Error: "你说: hi", Result: new Uint8Array([1, 2, 3]) });
  const decoded = ResultInfo.decode(ResultInfo.encode(info));
  assert.deepEqual(decoded, info);
  const reply: SayReply = { text: "hello", at: 1_700_000_000_123n, delivered: 3 };
  assert.deepEqual(SayReply.fromJson(SayReply.toJson(reply)), reply);
  assert.deepEqual(SayReply.decode(SayReply.encode(reply)), reply);
  const push = ChatMessage.create({ from: "ann", text: "hi" });
  assert.deepEqual(push, { from: "ann", text: "hi", at: 0n });
  const request = chat.handlers.say.params[1]?.codec;
  assert.ok(request);
  const bytes = request.encode(SayRequest.create({ text: "over the gate" }));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), { text: "over the gate" });
});

test("registerX registers every handler with its descriptor and forwards typed arguments", async () => {
  const registered: { module: string; handler: HandlerDescriptor; fn: RawHandler }[] = [];
  const server: ModuleServer = {
    register: () => assert.fail("untyped register is not used by generated code"),
    registerGo: () => assert.fail("untyped registerGo is not used by generated code"),
    registerHandler<A extends readonly unknown[], R>(module: ModuleDescriptor, handler: HandlerDescriptor<A, R>, fn: TypedHandler<A, R>): void {
      // Widened as the runtime's server does: this test hands each handler arguments its codecs would decode to.
      registered.push({ module: module.type, handler, fn: fn as unknown as RawHandler });
    },
  };
  registerHelloworld(server, { sayHi: (name) => `hi ${name}` });
  registerChat(server, {
    say: (_session, request) => ({ text: request.text.toUpperCase(), at: 1n, delivered: 1 }),
    join: () => undefined,
  });
  assert.deepEqual(registered.map((r) => `${r.module}.${r.handler.wireName}`), ["helloworld./say/hi", "chat.HD_join", "chat.HD_say"]);
  const ctx: CallContext = { handler: "/say/hi", deadline: Date.now() + 1000, signal: new AbortController().signal, caller: "test", traceId: "t", spanId: "s" };
  assert.equal(await registered[0]?.fn(["mqant"], ctx), "hi mqant");
  assert.deepEqual(await registered[2]?.fn([undefined, { text: "loud" }], ctx), { text: "LOUD", at: 1n, delivered: 1 });
});

test("the typed client calls through callHandler with the descriptor and the options", async () => {
  const calls: unknown[][] = [];
  const client = new HelloworldClient({
    call: () => assert.fail("untyped call is not used"),
    callNR: () => assert.fail("untyped callNR is not used"),
    callHandlerNR: () => assert.fail("not a fire-and-forget call"),
    callHandler<A extends readonly unknown[], R>(module: ModuleDescriptor, handler: HandlerDescriptor<A, R>, args: A, options?: object): Promise<R> {
      calls.push([module.type, handler.wireName, args, options]);
      // The reply as it would arrive: bytes of the wire's tag, decoded by the descriptor's result codec.
      return Promise.resolve(handler.result.decode(stringCodec.encode(`hi ${String(args[0])}`), stringCodec.tag));
    },
  });
  assert.equal(await client.sayHi("you", { timeout: 250 }), "hi you");
  assert.deepEqual(calls, [["helloworld", "/say/hi", ["you"], { timeout: 250 }]]);
});
