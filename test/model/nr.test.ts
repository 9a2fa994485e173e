/**
 * Typed fire-and-forget (`client.sayHiNR(name)`, mqant CallNR) through the generated client, in process
 * and over a real nats-server: the handler runs with the typed argument, nothing comes back, a handler's
 * error stays on the server; and a schema handler named like a generated NR method is refused.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair, testModule, type Mode } from "../support/apps.js";

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

for (const mode of ["in-process", "nats"] as Mode[]) {
  describe(`typed fire-and-forget (${mode})`, () => {
    test("sayHiNR runs the handler with the typed argument and resolves with nothing", async () => {
      const seen: string[] = [];
      let notify: () => void = () => undefined;
      const ran = new Promise<void>((resolve) => (notify = resolve));
      const pair = await startPair(mode, [testModule("helloworld", (ctx) => {
        registerHelloworld(ctx.server, {
          sayHi: (name) => {
            seen.push(name);
            notify();
            if (name === "boom") throw new Error("handler failed");
            return `hi ${name}`;
          },
        });
      })], { natsUrl: nats.url });
      try {
        const client = new HelloworldClient(pair.client);
        assert.equal(await client.sayHiNR("mqant"), undefined);
        await ran;
        assert.deepEqual(seen, ["mqant"]);
        // A failing handler: the caller still only learns that the request went out.
        assert.equal(await client.sayHiNR("boom"), undefined);
        assert.equal(await client.sayHi("after"), "hi after", "calls still work after a failed NR call");
        assert.deepEqual(seen, ["mqant", "boom", "after"]);
      } finally {
        await pair.stop();
      }
    });
  });
}

test("a handler named like the NR method generated for another is refused with a clear diagnostic", () => {
  const dir = mkdtempSync(join(tmpdir(), "mqgen-nr-"));
  try {
    writeFileSync(
      join(dir, "greeter.yaml"),
      ["module: greeter", "version: 1.0.0", "handlers:", "  sayHi:", "    wire: /say/hi", "    params:", "      - name: string", "    returns: string", "  sayHiNR:", "    wire: /say/hi/nr", "    params:", "      - name: string", "    returns: string", ""].join("\n"),
    );
    const result = spawnSync(process.execPath, ["bin/mqgen.js", "check", dir], { encoding: "utf8" });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /greeter\.yaml:9:\d+: handler name 'sayHiNR' collides with the fire-and-forget method generated for 'sayHi'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
