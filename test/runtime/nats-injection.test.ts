/**
 * Hostile input on the NATS call path (#12): a request's ReplyTo goes into a hand-written PUB line, so a
 * ReplyTo with a space, CR/LF, tab, empty tokens or 10 KB must be dropped, never written; garbage and
 * truncated envelopes, a 6 MiB request and wrong arg tags leave the node serving; and the log stays
 * bounded and escaped. A raw subscriber on `>` sees everything the node publishes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection, type Subscription } from "nats";
import { createRPCInfo, encodeRPCInfo, newCid, type RPCInfo } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { startPair, testModule, type AppPair } from "../support/apps.js";

let nats: NatsServer;
let pair: AppPair;
let raw: NatsConnection;
let all: Subscription;
const seen: Array<{ subject: string; data: Uint8Array }> = [];
const serverLog: string[] = [];
let nodeAddress = "";

before(async () => {
  nats = await NatsServer.start();
  raw = await connect({ servers: nats.url });
  all = raw.subscribe(">", { callback: (err, msg) => { if (err === null) seen.push({ subject: msg.subject, data: msg.data }); } });
  await raw.flush();
  pair = await startPair("nats", [testModule("victim", (ctx) => ctx.server.registerGo("/echo", (args) => args[0]))], {
    natsUrl: nats.url,
    app: { debug: true, console: { write: (line: string) => serverLog.push(line) } },
  });
  await pair.client.call("victim", "/echo", ["warm"]);
  const node = (await pair.client.getServersByType("victim"))[0];
  assert.ok(node !== undefined);
  nodeAddress = node.address;
});

after(async () => {
  all.unsubscribe();
  await raw.close();
  await pair.stop();
  await nats.dispose();
});

function request(replyTo: string, fn = "/echo", argsType = ["string"], args: Uint8Array[] = [new TextEncoder().encode("hi")]): RPCInfo {
  return createRPCInfo({ cid: newCid(), fn, reply: true, replyTo, expired: Date.now() + 5000, argsType, args });
}

/** Waits until `condition` holds, polling; fails after `ms`. */
async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The node still answers a real caller, and a raw request with a valid ReplyTo gets its reply published. */
async function stillServing(): Promise<void> {
  assert.equal(await pair.client.call("victim", "/echo", ["still"], { timeout: 3000 }), "still");
  const probe = `probe.reply.${Math.random().toString(36).slice(2)}`;
  raw.publish(nodeAddress, encodeRPCInfo(request(probe)));
  await until(() => seen.some((m) => m.subject === probe), 3000, "the reply to a valid ReplyTo");
}

const BAD_REPLY_TOS: readonly string[] = [
  "x 0\r\n\r\nPUB victim.subject 5\r\nHACKS\r\nPUB x",
  "victim.subject\r\nPUB victim.subject 5\r\nHACKS",
  "has space",
  "has\ttab",
  "has\rcr",
  "has\nlf",
  "a..b",
  ".leading",
  "trailing.",
  "wild.*",
  "wild.>",
  "x".repeat(10 * 1024),
  "ok.prefix." + "y".repeat(10 * 1024),
];

test("ReplyTo values that are no NATS subject are dropped: nothing injected, node keeps serving, one escaped log line", async () => {
  const linesBefore = serverLog.length;
  const seenBefore = seen.length;
  for (let round = 0; round < 20; round++) {
    for (const replyTo of BAD_REPLY_TOS) raw.publish(nodeAddress, encodeRPCInfo(request(replyTo)));
  }
  await raw.flush();
  await stillServing();
  const published = seen.slice(seenBefore);
  assert.deepEqual(published.filter((m) => m.subject === "victim.subject" || new TextDecoder().decode(m.data) === "HACKS").length, 0);
  // Everything on the wire since: our own requests to the node, the real call's traffic, the probe reply.
  const unexpected = published.filter((m) => m.subject !== nodeAddress && !m.subject.startsWith("_INBOX.") && !m.subject.startsWith("probe.reply."));
  assert.deepEqual(unexpected.map((m) => m.subject), []);
  const lines = serverLog.slice(linesBefore).filter((l) => l.includes("dropped"));
  assert.ok(lines.length >= 1 && lines.length <= 2, `bounded log: ${lines.length} lines for ${20 * BAD_REPLY_TOS.length} bad requests`);
  for (const line of serverLog.slice(linesBefore)) {
    assert.doesNotMatch(line.replace(/\n$/, ""), /[\r\n]/, "no raw CR/LF from the wire inside a log line");
    assert.ok(!line.includes("HACKS\r"), "the payload is escaped");
  }
});

test("garbage, truncated and oversized envelopes and wrong arg tags: the node keeps serving, bounded log lines", async () => {
  const linesBefore = serverLog.length;
  const valid = encodeRPCInfo(request("_INBOX.nobody"));
  const garbage: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    garbage.push(Uint8Array.from({ length: 40 }, (_, j) => (i * 31 + j * 7) & 0xff));
    garbage.push(valid.subarray(0, 1 + (i % (valid.length - 1))));
  }
  garbage.push(new TextEncoder().encode("line one\nFAKE LOG LINE\r\n"));
  for (const bytes of garbage) raw.publish(nodeAddress, bytes);
  // Wrong arg tags, and arguments that do not match their tags.
  for (let i = 0; i < 50; i++) {
    raw.publish(nodeAddress, encodeRPCInfo(request("_INBOX.nobody", "/echo", ["no-such-tag\nINJECTED"], [new Uint8Array([1, 2, 3])])));
    raw.publish(nodeAddress, encodeRPCInfo(request("_INBOX.nobody", "/echo", ["int"], [new Uint8Array([1])])));
    raw.publish(nodeAddress, encodeRPCInfo(request("_INBOX.nobody", "/echo", ["bool"], [new Uint8Array(5)])));
  }
  // 6 MiB: above nats-server's default max_payload (1 MiB), so the server refuses it; the publisher gets
  // the error, and the node must not notice.
  const big = new Uint8Array(6 * 1024 * 1024).fill(0x41);
  const bigConn = await connect({ servers: nats.url });
  try {
    bigConn.publish(nodeAddress, big);
  } catch (err) {
    assert.match(String(err), /MAX_PAYLOAD|payload/i);
  }
  await bigConn.close().catch(() => undefined);
  await raw.flush();
  await stillServing();
  const lines = serverLog.slice(linesBefore);
  assert.ok(lines.length <= 10, `bounded log: ${lines.length} lines for ${garbage.length + 150} bad requests:\n${lines.join("")}`);
  for (const line of lines) assert.ok(!line.includes("\nFAKE LOG LINE") && !/INJECTED/.test(line.split("\n")[1] ?? ""), "escaped");
});
