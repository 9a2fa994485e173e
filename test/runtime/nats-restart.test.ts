/**
 * A nats-server restart under load: every call settles (result or "deadline exceeded", never a hang),
 * and calls succeed again once the clients have reconnected.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CallInterruptedError, DeadlineExceededError } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { sleep, startPair, testModule } from "../support/apps.js";

test("NATS restart under load: no call hangs, service comes back after reconnect", async () => {
  const nats = await NatsServer.start();
  const pair = await startPair(
    "nats",
    [testModule("m", (ctx) => ctx.server.registerGo("/echo", async (args) => {
      await sleep(5);
      return args[0];
    }))],
    { natsUrl: nats.url },
  );
  try {
    let stop = false;
    let ok = 0;
    let deadline = 0;
    const other: unknown[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const started = Date.now();
        try {
          assert.equal(await pair.client.call("m", "/echo", [i], { timeout: 800 }), i);
          ok++;
        } catch (err) {
          // Calls in flight when the connection dropped fail at the reconnect (they are not retry-safe).
          if (err instanceof DeadlineExceededError || err instanceof CallInterruptedError) deadline++;
          else other.push(err);
          assert.ok(Date.now() - started < 800 + 500, "a failed call settles by its deadline");
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => worker());
    await sleep(200);
    const okBefore = ok;
    assert.ok(okBefore > 0, "calls flow before the restart");
    await nats.restart(400);
    // Wait until calls flow again (reconnect backoff is 100-350 ms with jitter).
    const okAtRestart = ok;
    const until = Date.now() + 8000;
    while (ok < okAtRestart + 50 && Date.now() < until) await sleep(50);
    stop = true;
    await Promise.all(workers);
    assert.ok(ok >= okAtRestart + 50, `service back after reconnect (ok ${ok}, at restart ${okAtRestart}, deadline ${deadline})`);
    assert.deepEqual(other.map(String), [], "only deadline or interrupted-call errors while NATS was down");
    assert.equal(await pair.client.call("m", "/echo", ["after"]), "after");
  } finally {
    await pair.stop();
    await nats.dispose();
  }
});
