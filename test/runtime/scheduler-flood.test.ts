/**
 * #12: thousands of queued calls expiring at once used to overflow the stack (the queue drained by
 * recursion), for `register` and `registerGo`, and a flood into `MaxQueue: 20000` crashed the process;
 * a call timeout of 2^31 ms or more failed after about 2 ms. Each case runs on a real app.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DeadlineExceededError, type App } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { sleep, startPair, testModule, type AppPair } from "../support/apps.js";

let nats: NatsServer;
let local: AppPair;
let remote: AppPair;
let release: () => void = () => undefined;

const QUEUED = 20_000;

function floodModule() {
  return testModule("flood", (ctx) => {
    const gate = (): Promise<string> => new Promise((resolve) => (release = () => resolve("released")));
    ctx.server.register("/serial-block", () => gate());
    ctx.server.register("/serial-ok", (args) => args[0]);
    ctx.server.registerGo("/go-block", () => gate());
    ctx.server.registerGo("/go-ok", (args) => args[0]);
    ctx.server.registerGo("/slow", async () => {
      await sleep(300);
      return "slow done";
    });
  });
}

before(async () => {
  nats = await NatsServer.start();
  const rpc = { MaxCoroutine: 1, MaxQueue: QUEUED };
  local = await startPair("in-process", [floodModule()], { rpc });
  remote = await startPair("nats", [floodModule()], { natsUrl: nats.url, rpc });
});

after(async () => {
  await remote.stop();
  await local.stop();
  await nats.dispose();
});

/** Fills one queue with calls that expire while the first call blocks, then releases it. */
async function expireQueued(app: App, blockFn: string, okFn: string, count: number): Promise<void> {
  const blocked = app.call("flood", blockFn, [], { timeout: 30_000 });
  // The blocking call holds the only slot; wait until it is running.
  await sleep(50);
  const queued: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) queued.push(app.call("flood", okFn, [i], { timeout: 200 }).then(() => "ok", (err: unknown) => err));
  const outcomes = await Promise.all(queued);
  assert.ok(outcomes.every((o) => o instanceof DeadlineExceededError), "every queued call hit its deadline");
  release();
  assert.equal(await blocked, "released");
  // The queue drained without blowing the stack: the node still serves.
  assert.equal(await app.call("flood", okFn, ["after"], { timeout: 5000 }), "after");
}

test(`${QUEUED} queued register() calls expiring at once drain without overflowing the stack (in process)`, async () => {
  await expireQueued(local.client, "/serial-block", "/serial-ok", QUEUED);
});

test(`${QUEUED} queued registerGo() calls expiring at once drain without overflowing the stack (in process)`, async () => {
  await expireQueued(local.client, "/go-block", "/go-ok", QUEUED);
});

test("3,000 queued calls over NATS expiring at once, for register() and registerGo()", async () => {
  await expireQueued(remote.client, "/serial-block", "/serial-ok", 3000);
  await expireQueued(remote.client, "/go-block", "/go-ok", 3000);
});

test("a call timeout of 2^31 ms or more is accepted: the call waits for its result", async () => {
  for (const app of [local.client, remote.client]) {
    for (const timeout of [2 ** 31, 2 ** 31 + 5, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      assert.equal(await app.call("flood", "/slow", [], { timeout }), "slow done", `timeout ${timeout}`);
    }
  }
});
