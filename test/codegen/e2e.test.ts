// The spine end to end: an implementation of the generated HelloworldHandlers / RpctestHandlers is served by
// one app and called through the generated typed clients from another app over a real NATS server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { CallContext, Module, ModuleContext } from "mqgen/runtime";
import { HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import type { HelloworldHandlers } from "../../generated/helloworld.js";
import { registerRpctest, ResultInfo, RpctestClient } from "../../generated/rpctest.js";
import type { Req, RpctestHandlers, Rsp } from "../../generated/rpctest.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair } from "../support/apps.js";
import type { Mode } from "../support/apps.js";

class Helloworld implements Module, HelloworldHandlers {
  readonly type = "helloworld";
  readonly version = "1.0.0";
  readonly wireNames: string[] = [];
  onInit(ctx: ModuleContext): void {
    registerHelloworld(ctx.server, this);
  }
  sayHi(name: string, ctx: CallContext): string {
    this.wireNames.push(ctx.handler);
    return `hi ${name}`;
  }
}

class Rpctest implements Module, RpctestHandlers {
  readonly type = "rpctest";
  readonly version = "1.0.0";
  onInit(ctx: ModuleContext): void {
    registerRpctest(ctx.server, this);
  }
  testProto(request: ResultInfo): ResultInfo {
    return ResultInfo.create({ Error: `你说: ${request.Error}` });
  }
  async testMarshal(request: Req): Promise<Rsp> {
    return { Msg: request.Id };
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
  test(`generated clients call generated server skeletons (${mode})`, async () => {
    const hello = new Helloworld();
    const pair = await startPair(mode, [hello, new Rpctest()], { natsUrl: nats.url });
    try {
      const helloworld = new HelloworldClient(pair.client);
      assert.equal(await helloworld.sayHi("mqant"), "hi mqant");
      assert.equal(await helloworld.sayHi("", { timeout: 2000 }), "hi ");
      assert.deepEqual(hello.wireNames, ["/say/hi", "/say/hi"]);
      const rpctest = new RpctestClient(pair.client);
      const reply = await rpctest.testProto(ResultInfo.create({ Error: "hello" }));
      assert.equal(reply.Error, "你说: hello");
      assert.deepEqual(await rpctest.testMarshal({ Id: "mid-7" }), { Msg: "mid-7" });
    } finally {
      await pair.stop();
    }
  });
}
