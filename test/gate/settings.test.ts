/**
 * The gate configured through server.json Settings with mqant's keys, and the option parsing rules.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createApp } from "../../runtime/app/app.js";
import { ConfigError } from "../../runtime/errors.js";
import { Gate } from "../../runtime/gate/gate.js";
import { parseListenAddress, resolveGateOptions } from "../../runtime/gate/options.js";
import { CONNACK_OK_HEX, CONNECT_HEX, RawClient } from "./support.js";

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
