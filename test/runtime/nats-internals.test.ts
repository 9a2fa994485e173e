/**
 * The transport writes PUB frames straight into nats.js's protocol handler (transport/nats-internals.ts).
 * If a nats.js upgrade changes those internals, the transport would quietly fall back to nc.publish():
 * still correct, but the measured fast path would be gone. This test fails that day instead.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, type NatsConnection } from "nats";
import { protocolOf, socketOf } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";

let nats: NatsServer;
let nc: NatsConnection;

before(async () => {
  nats = await NatsServer.start();
  nc = await connect({ servers: nats.url });
});

after(async () => {
  await nc.close();
  await nats.dispose();
});

test("nats is pinned to the exact version this test covers", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { dependencies: Record<string, string> };
  const pinned = pkg.dependencies["nats"];
  assert.match(pinned ?? "", /^\d+\.\d+\.\d+$/, "an exact version, no range");
  const require = createRequire(import.meta.url);
  const installed = (JSON.parse(readFileSync(require.resolve("nats/package.json"), "utf8")) as { version: string }).version;
  assert.equal(installed, pinned);
});

test("the fast path finds nats.js's protocol internals, and a frame written through them is delivered", async () => {
  const protocol = protocolOf(nc);
  assert.ok(protocol !== undefined, "protocolOf(nc) found sendCommand/outBytes/outMsgs: the fast path is on");
  const got = new Promise<string>((resolve) => {
    nc.subscribe("fast.path.check", { max: 1, callback: (_err, msg) => resolve(new TextDecoder().decode(msg.data)) });
  });
  await nc.flush();
  const outMsgs = protocol.outMsgs;
  protocol.sendCommand(new TextEncoder().encode("PUB fast.path.check 2\r\nok\r\n"));
  protocol.outMsgs++;
  assert.equal(await got, "ok");
  assert.equal(protocol.outMsgs, outMsgs + 1);
  assert.equal(typeof protocol.info?.max_payload, "number", "the server's max_payload is readable (frames above it go through nc.publish)");
});

test("the write coalescing finds the socket under the connection, and what is written while it is corked is delivered on uncork", async () => {
  const socket = socketOf(nc);
  assert.ok(socket !== undefined, "socketOf(nc) found the connection's socket: requests of one turn share a write");
  const got = new Promise<string>((resolve) => {
    nc.subscribe("corked.check", { max: 1, callback: (_err, msg) => resolve(new TextDecoder().decode(msg.data)) });
  });
  await nc.flush();
  socket.cork();
  nc.publish("corked.check", new TextEncoder().encode("held"));
  await new Promise((resolve) => setImmediate(resolve));
  socket.uncork();
  assert.equal(await got, "held");
});
