/** An app stopped from its own onStartup hook (a one-shot tool) ends run() and stays stopped. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ClosedError, createApp, type Module } from "../../runtime/index.js";

const echo: Module = {
  type: "echo",
  version: "1.0.0",
  onInit(ctx) {
    ctx.server.register("/echo", (args) => args[0]);
  },
};

test("stop() awaited inside onStartup: run() returns and the app refuses further calls", async () => {
  const app = createApp({ argv: [], env: {}, debug: false });
  let answer: unknown;
  app.onStartup(async (started) => {
    answer = await started.call("echo", "/echo", ["once"]);
    await started.stop("done");
  });
  await app.run([echo]);
  assert.equal(answer, "once");
  await assert.rejects(app.call("echo", "/echo", ["again"]), ClosedError);
});

test("stop() not awaited inside onStartup: run() still returns once the stop finished", async () => {
  const app = createApp({ argv: [], env: {}, debug: false });
  app.onStartup(() => {
    void app.stop("done");
  });
  await app.run([echo]);
  await assert.rejects(app.start([echo]), /app already stopped/);
});
