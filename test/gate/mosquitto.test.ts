/**
 * Mosquitto's command-line clients against the gate: publishes at QoS 0/1/2 reach the backend (the QoS 1
 * and 2 handshakes have to complete for mosquitto_pub to exit 0), and a subscriber receives a broadcast.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { startGateApp, type GateHarness } from "./support.js";

let harness: GateHarness;

before(async () => {
  harness = await startGateApp();
});

after(async () => {
  await harness.stop();
});

function run(command: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

for (const qos of ["0", "1", "2"]) {
  test(`mosquitto_pub at QoS ${qos} reaches the backend handler`, async () => {
    const message = `from-mosquitto-q${qos}`;
    const result = await run("mosquitto_pub", ["-V", "mqttv311", "-h", "127.0.0.1", "-p", String(harness.tcpPort), "-q", qos, "-t", "helloworld/HD_raw", "-m", message]);
    assert.equal(result.code, 0, result.stderr);
    const deadline = Date.now() + 3_000;
    while (!harness.calls.some((c) => Buffer.from(c.payload as Uint8Array).toString() === message) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const call = harness.calls.find((c) => c.handler === "HD_raw" && Buffer.from(c.payload as Uint8Array).toString() === message);
    assert.ok(call, "the handler ran");
    assert.equal(call.session.network, "tcp");
  });
}

test("mosquitto_sub gets its SUBACK and receives a gate broadcast", async () => {
  const before = harness.gate.server.connectionCount;
  const subscriber = run("mosquitto_sub", ["-V", "mqttv311", "-h", "127.0.0.1", "-p", String(harness.tcpPort), "-q", "1", "-t", "news/#", "-C", "1", "-W", "8", "-v"]);
  const deadline = Date.now() + 5_000;
  while (harness.gate.server.connectionCount <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(harness.gate.server.broadcast("news/today", "hello from the gate") >= 1);
  const result = await subscriber;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), "news/today hello from the gate");
});
