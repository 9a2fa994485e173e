/**
 * TLS on both listeners (mqant's `TLS`, `CertFile`, `KeyFile` Settings): MQTT.js over mqtts:// and wss://
 * with a self-signed certificate made for this test.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { resolveGateOptions } from "../../runtime/gate/options.js";
import { ConfigError } from "../../runtime/errors.js";
import { connectMqtt, nextMessage, startGateApp, type GateHarness } from "./support.js";

let dir: string;
let harness: GateHarness;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mqgen-gate-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  const options = resolveGateOptions({}, { TLS: true, CertFile: join(dir, "cert.pem"), KeyFile: join(dir, "key.pem") }, (path) => readFileSync(path));
  assert.ok(options.tls);
  harness = await startGateApp({ tls: options.tls });
});

after(async () => {
  await harness?.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const scheme of ["mqtts", "wss"] as const) {
  test(`a request over ${scheme}`, async () => {
    const port = scheme === "mqtts" ? harness.tcpPort : harness.wsPort;
    const client = await connectMqtt(`${scheme}://127.0.0.1:${port}/mqtt`, { rejectUnauthorized: false });
    try {
      const reply = nextMessage(client, "helloworld/HD_say/1");
      await client.publishAsync("helloworld/HD_say/1", JSON.stringify({ name: "tls" }));
      const network = scheme === "mqtts" ? "tcp" : "websocket";
      assert.equal((JSON.parse(await reply) as { Result: string }).Result, `hi tls, you are u1 via ${network}`);
    } finally {
      await client.endAsync();
    }
  });
}

test("TLS without CertFile/KeyFile is a ConfigError naming the keys", () => {
  assert.throws(() => resolveGateOptions({}, { TLS: true }), (error: unknown) => error instanceof ConfigError && /CertFile or KeyFile/.test(error.message));
});
