/**
 * #13: a BadArgumentError (or NotFoundError) thrown by a handler reaches a remote typed caller as that
 * class, and the HTTP gateway answers 400 for it instead of 502 — while a Go mqant caller still sees
 * exactly mqant's error text (the class travels in ResultInfo field 15, which Go skips as unknown).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "nats";
import protobuf from "protobufjs";
import {
  BadArgumentError,
  HttpGatewayModule,
  NotFoundError,
  RemoteError,
  createApp,
  createRPCInfo,
  encodeRPCInfo,
  newCid,
  stringCodec,
  type App,
  type HandlerDescriptor,
  type Module,
  type ModuleDescriptor,
} from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair, testModule, type AppPair } from "../support/apps.js";

function handler(method: string): HandlerDescriptor {
  return { method, wireName: `/strict/${method}`, mode: "concurrent", gate: false, params: [{ name: "name", codec: stringCodec }], result: stringCodec, retrySafe: true, hash: method };
}

const strict: ModuleDescriptor = {
  type: "strict",
  version: "1.0.0",
  schemaHash: "strict-test",
  handlers: { check: handler("check"), find: handler("find"), boom: handler("boom") },
  pushes: {},
};

function strictModule(): Module {
  return testModule("strict", (ctx) => {
    ctx.server.registerHandler(strict, strict.handlers["check"]!, (args) => {
      if (args[0] === "") throw new BadArgumentError("name must not be empty");
      return `ok ${String(args[0])}`;
    });
    ctx.server.registerHandler(strict, strict.handlers["find"]!, (args) => {
      throw new NotFoundError(`no user ${String(args[0])}`);
    });
    ctx.server.registerHandler(strict, strict.handlers["boom"]!, () => {
      throw new Error("plain failure");
    });
  });
}

let nats: NatsServer;
let pairs: AppPair[];
let raw: NatsConnection;

before(async () => {
  nats = await NatsServer.start();
  pairs = [await startPair("in-process", [strictModule()]), await startPair("nats", [strictModule()], { natsUrl: nats.url })];
  raw = await connect({ servers: nats.url });
});

after(async () => {
  await raw.close();
  for (const pair of pairs) await pair.stop();
  await nats.dispose();
});

test("a handler's BadArgumentError / NotFoundError reaches the caller as that class, in process and over NATS", async () => {
  for (const pair of pairs) {
    const client: App = pair.client;
    await assert.rejects(client.callHandler(strict, strict.handlers["check"]!, [""]), (err: unknown) => {
      assert.ok(err instanceof BadArgumentError, `got ${String(err)}`);
      assert.equal(err.message, "name must not be empty");
      assert.equal(err.remote, true);
      return true;
    });
    await assert.rejects(client.callHandler(strict, strict.handlers["find"]!, ["ann"]), (err: unknown) => err instanceof NotFoundError && err.message === "no user ann");
    // Other errors stay RemoteErrors with their text.
    await assert.rejects(client.callHandler(strict, strict.handlers["boom"]!, ["x"]), (err: unknown) => err instanceof RemoteError && err.message === "plain failure");
  }
});

test("a Go mqant caller sees exactly the error text: the class is an unknown field to Go's ResultInfo", async () => {
  const node = (await pairs[1]!.client.getServersByType("strict"))[0];
  assert.ok(node !== undefined);
  // Go's rpcpb.ResultInfo as protoc compiles it: fields 1, 2, 4, 5 only.
  const GoResultInfo = new protobuf.Type("ResultInfo")
    .add(new protobuf.Field("Cid", 1, "string"))
    .add(new protobuf.Field("Error", 2, "string"))
    .add(new protobuf.Field("ResultType", 4, "string"))
    .add(new protobuf.Field("Result", 5, "bytes"));
  const inbox = `_INBOX.go.${Math.random().toString(36).slice(2)}`;
  const reply = new Promise<Uint8Array>((resolve) => raw.subscribe(inbox, { max: 1, callback: (_e, msg) => resolve(msg.data) }));
  await raw.flush();
  const req = createRPCInfo({ cid: newCid(), fn: "/strict/check", reply: true, replyTo: inbox, expired: Date.now() + 5000, argsType: ["string"], args: [new Uint8Array(0)] });
  raw.publish(node.address, encodeRPCInfo(req));
  const decoded = GoResultInfo.toObject(GoResultInfo.decode(await reply)) as { Error?: string; ResultType?: string };
  assert.equal(decoded.Error, "name must not be empty");
  assert.equal(decoded.ResultType, "null");
});

test("the HTTP gateway answers 400 for a handler's BadArgumentError, 502 for other handler errors", async () => {
  const gateway = new HttpGatewayModule({ descriptors: [strict] });
  const modules: Module[] = [strictModule(), gateway];
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: {
      Module: {
        strict: [{ Id: "strict001", ProcessID: "development" }],
        HttpGateway: [{ Id: "gw001", ProcessID: "development", Settings: { Addr: "127.0.0.1:0" } }],
      },
    },
  });
  await app.start(modules);
  try {
    const base = `http://127.0.0.1:${gateway.address()?.port}`;
    const post = async (path: string, body: object) => {
      const res = await fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as { detail?: string } };
    };
    const bad = await post("/strict/check", { name: "" });
    assert.equal(bad.status, 400);
    assert.match(bad.json.detail ?? "", /name must not be empty/);
    assert.equal((await post("/strict/check", { name: "ann" })).status, 200);
    assert.equal((await post("/strict/boom", { name: "x" })).status, 502);
  } finally {
    await app.stop();
  }
});
