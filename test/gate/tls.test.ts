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
import { resolveGateOptions } from "../../runtime/internal.js";
import { ConfigError } from "../../runtime/internal.js";
import { connectMqtt, expectSilentSocketsHoldSlots, nextMessage, RawClient, startGateApp, type GateHarness } from "./support.js";

let dir: string;
let harness: GateHarness;
let tlsOptions: NonNullable<ReturnType<typeof resolveGateOptions>["tls"]>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mqgen-gate-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  const options = resolveGateOptions({}, { TLS: true, CertFile: join(dir, "cert.pem"), KeyFile: join(dir, "key.pem") }, (path) => readFileSync(path));
  assert.ok(options.tls);
  tlsOptions = options.tls;
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

for (const listener of ["mqtts", "wss"] as const) {
  test(`${listener}: sockets that never finish the TLS handshake count against maxConnections and are closed by the handshake timeout`, { timeout: 30_000 }, async () => {
    const limited = await startGateApp({ tls: tlsOptions, maxConnections: 2, connectTimeoutMs: 3_000 });
    try {
      const port = listener === "mqtts" ? limited.tcpPort : limited.wsPort;
      const silent = await expectSilentSocketsHoldSlots(limited, port);
      assert.ok(silent.every((client) => client.bytes.length === 0), "nothing is sent to a socket that never finished its handshake");
      const client = await connectMqtt(`${listener}://127.0.0.1:${port}/mqtt`, { rejectUnauthorized: false });
      try {
        const reply = nextMessage(client, "helloworld/HD_say/2");
        await client.publishAsync("helloworld/HD_say/2", JSON.stringify({ name: "after" }));
        assert.match((JSON.parse(await reply) as { Result: string }).Result, /^hi after/);
      } finally {
        await client.endAsync();
      }
    } finally {
      await limited.stop();
    }
  });
}

test("stopping the gate closes sockets still in their TLS handshake at once", { timeout: 20_000 }, async () => {
  const stopping = await startGateApp({ tls: tlsOptions, connectTimeoutMs: 10_000 });
  const silent = await Promise.all([RawClient.connect(stopping.tcpPort), RawClient.connect(stopping.wsPort)]);
  const deadline = Date.now() + 2_000;
  while (stopping.gate.server.socketCount < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const started = Date.now();
  await stopping.stop();
  assert.deepEqual(await Promise.all(silent.map((client) => client.waitForClose(3_000))), [true, true]);
  assert.ok(Date.now() - started < 5_000, "stop did not wait for the 10 s handshake timeout");
});

test("TLS without CertFile/KeyFile is a ConfigError naming the keys", () => {
  assert.throws(() => resolveGateOptions({}, { TLS: true }), (error: unknown) => error instanceof ConfigError && /CertFile or KeyFile/.test(error.message));
});
