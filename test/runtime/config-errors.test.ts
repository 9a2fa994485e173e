/**
 * Errors a consumer can act on: a module's config error names the server.json entry and key, is logged
 * once (one line, no stack), and a gate with no address refuses to start instead of logging "listening".
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, Gate, HttpGatewayModule, createApp, type Module } from "../../runtime/index.js";

async function startFailure(modules: Module[], config: object): Promise<{ message: string; console: string }> {
  const lines: string[] = [];
  const app = createApp({ argv: [], env: {}, config, console: { write: (line: string) => lines.push(line) } });
  let message = "";
  await assert.rejects(app.start(modules), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    message = error.message;
    return true;
  });
  return { message, console: lines.join("") };
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

test("an HTTP gateway without Addr or Port: the error names the entry and key, logged once", async () => {
  const { message, console } = await startFailure([new HttpGatewayModule()], {
    Module: {
      HttpGateway: [
        { Id: "elsewhere", ProcessID: "other", Settings: { Port: 1 } },
        { Id: "here", ProcessID: "development", Settings: {} },
      ],
    },
  });
  assert.equal(message, "Module.HttpGateway[1].Settings.Addr or Settings.Port is required");
  assert.equal(count(console, message), 1, console);
  assert.ok(!console.includes("    at "), `no stack trace:\n${console}`);
  assert.ok(!console.includes("listening"), console);
});

test("a gate with neither TCPAddr nor WSAddr refuses to start instead of listening nowhere", async () => {
  const { message, console } = await startFailure([new Gate()], { Module: { Gate: [{ Id: "Gate001", ProcessID: "development", Settings: {} }] } });
  assert.equal(message, "Module.Gate[0].Settings: TCPAddr or WSAddr is required");
  assert.equal(count(console, message), 1, console);
  assert.ok(!console.includes("listening"), console);
});

test("other module config errors get the entry as a prefix too", async () => {
  const { message } = await startFailure([new Gate()], {
    Module: { Gate: [{ Id: "Gate001", ProcessID: "development", Settings: { TCPAddr: "127.0.0.1:0", TLS: true } }] },
  });
  assert.equal(message, "Module.Gate[0]: Gate Settings.TLS is true but CertFile or KeyFile is missing");
});
