/**
 * The gate configured through server.json Settings with mqant's keys, and the option parsing rules.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "../../runtime/internal.js";
import { ConfigError } from "../../runtime/internal.js";
import { Gate } from "../../runtime/internal.js";
import { parseListenAddress, resolveGateOptions } from "../../runtime/internal.js";
import { CONNACK_OK_HEX, CONNECT_HEX, RawClient, connectMqtt, helloworldModule, type HelloworldControl } from "./support.js";

test("TCPAddr, MaxPackSize and OverTime come from the module's Settings", async () => {
  const gate = new Gate();
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: { Module: { Gate: [{ Id: "Gate001", ProcessID: "development", Settings: { TCPAddr: "127.0.0.1:0", MaxPackSize: 100, OverTime: 0.3 } }] } },
  });
  await app.start([gate]);
  try {
    assert.equal(gate.server.wsPort, undefined, "no WSAddr, no WebSocket listener (as in mqant)");
    const port = gate.server.tcpPort ?? 0;
    const client = await RawClient.connect(port);
    client.write(CONNECT_HEX);
    assert.equal((await client.waitForBytes(4)).toString("hex"), CONNACK_OK_HEX);
    client.write("306500"); // PUBLISH declaring 101 bytes > MaxPackSize 100
    assert.equal(await client.waitForClose(), true);
    const silent = await RawClient.connect(port);
    assert.equal(await silent.waitForClose(3_000), true, "OverTime 0.3 s closes a silent socket");
    assert.equal(gate.server.options.maxPackSize, 100);
  } finally {
    await app.stop();
  }
  assert.throws(() => gate.server, /not running/);
});

test("WSAddr from Settings opens the WebSocket listener; with no limit set, the 21st call in flight gets mqant's \"the work queue is full!\"", async () => {
  const gate = new Gate();
  const control = { parked: [] as (() => void)[], calls: [] as HelloworldControl["calls"] };
  const app = createApp({
    parseFlags: false,
    debug: false,
    config: {
      Module: {
        Gate: [{ Id: "Gate001", ProcessID: "development", Settings: { WSAddr: "127.0.0.1:0" } }],
        helloworld: [{ Id: "helloworld001", ProcessID: "development", Settings: {} }],
      },
    },
  });
  await app.start([gate, helloworldModule(control)]);
  try {
    assert.equal(gate.server.tcpPort, undefined, "no TCPAddr, no TCP listener");
    const client = await connectMqtt(`ws://127.0.0.1:${gate.server.wsPort ?? 0}/mqtt`);
    try {
      const replies = new Map<string, string>();
      client.on("message", (topic, payload) => replies.set(topic, payload.toString()));
      for (let id = 1; id <= 21; id++) await client.publishAsync(`helloworld/HD_park/${id}`, "p", { qos: 1 });
      const deadline = Date.now() + 5_000;
      while (!replies.has("helloworld/HD_park/21") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(replies.get("helloworld/HD_park/21") ?? "", /"Error":"the work queue is full!"/);
      assert.equal(replies.size, 1, "the first 20 are still in flight");
      assert.equal(control.calls.length, 20);
      for (const release of control.parked.splice(0)) release();
      while (replies.size < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(replies.get("helloworld/HD_park/20") ?? "", /"Result":"released"/);
    } finally {
      await client.endAsync();
    }
  } finally {
    for (const release of control.parked.splice(0)) release();
    await app.stop();
  }
});

test("defaults are mqant's: MaxPackSize 65535, 20 calls in flight, 10 s to CONNECT; no listener unless an address is set", () => {
  const options = resolveGateOptions({}, {});
  assert.equal(options.maxPackSize, 65_535);
  assert.equal(options.concurrentTasks, 20);
  assert.equal(options.connectTimeoutMs, 10_000);
  assert.equal(options.tcpAddr, undefined);
  assert.equal(options.wsAddr, undefined);
  assert.equal(options.authenticate, undefined, "no auth hook: every CONNECT is accepted");
});

test("option parsing: code options win, bad values are ConfigErrors naming the key, addresses parse like Go's", () => {
  const options = resolveGateOptions({ maxPackSize: 2048 }, { MaxPackSize: 100, ConcurrentTasks: 5, WSAddr: ":3653" });
  assert.equal(options.maxPackSize, 2048);
  assert.equal(options.concurrentTasks, 5);
  assert.equal(options.wsAddr, ":3653");
  assert.equal(options.tcpAddr, undefined);
  assert.throws(() => resolveGateOptions({}, { MaxPackSize: "big" }), (e: unknown) => e instanceof ConfigError && /MaxPackSize/.test(e.message));
  assert.throws(() => resolveGateOptions({}, { TCPAddr: 3563 }), (e: unknown) => e instanceof ConfigError && /TCPAddr/.test(e.message));
  assert.deepEqual(resolveGateOptions({}, { AuthHandler: "auth/check" }).authenticate, { module: "auth", handler: "check" });
  assert.throws(() => resolveGateOptions({}, { AuthHandler: "auth" }), (e: unknown) => e instanceof ConfigError && /module\/handler/.test(e.message));
  assert.deepEqual(parseListenAddress(":3563"), { host: undefined, port: 3563 });
  assert.deepEqual(parseListenAddress("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListenAddress("[::1]:3653"), { host: "::1", port: 3653 });
  assert.throws(() => parseListenAddress("3563"), ConfigError);
  assert.throws(() => parseListenAddress(":70000"), ConfigError);
});
