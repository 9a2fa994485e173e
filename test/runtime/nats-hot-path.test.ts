/**
 * Behaviour the NATS transport's fast paths must keep: one shared deadline timer fails every call at its
 * own deadline whatever order the calls were sent in (also after earlier calls settled), replies to a
 * reply subject the hand-built PUB frame cannot carry (non-ASCII) still arrive through nats.js, and
 * replies find their calls however long a call waits and whoever made its Cid.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "nats";
import { pino } from "pino";
import { DeadlineExceededError, NatsTransport, decodeResultInfo, encodeRPCInfo, newCid, type App, type RPCInfo } from "../../runtime/internal.js";
import { stringCodec } from "../../runtime/internal.js";
import { NatsServer } from "../support/nats-server.js";
import { sleep, startPair, testModule, type AppPair } from "../support/apps.js";

let nats: NatsServer;
let pair: AppPair;
let raw: NatsConnection;

before(async () => {
  nats = await NatsServer.start();
  pair = await startPair(
    "nats",
    [
      testModule("hot", (ctx) => {
        ctx.server.registerGo("/echo", (args) => args[0]);
        // Answers after the given delay in ms: long enough delays outlive the caller's deadline.
        ctx.server.registerGo("/after", async (args) => {
          await sleep(Number(args[0]));
          return "late";
        });
      }),
    ],
    { natsUrl: nats.url },
  );
  raw = await connect({ servers: nats.url });
});

after(async () => {
  await raw.close();
  await pair.stop();
  await nats.dispose();
});

/** Settles a call, reporting when it failed (ms after `start`) or what it returned. */
async function outcome(client: App, delayMs: number, timeoutMs: number, start: number): Promise<{ error: string; atMs: number } | unknown> {
  try {
    return await client.call("hot", "/after", [delayMs], { timeout: timeoutMs });
  } catch (err) {
    return { error: (err as Error).constructor.name, atMs: Date.now() - start, deadline: err instanceof DeadlineExceededError };
  }
}

test("calls sent with long deadlines first still fail at their own shorter deadlines", async () => {
  await pair.client.call("hot", "/echo", ["warm"]);
  const start = Date.now();
  const long = outcome(pair.client, 3000, 1500, start);
  const short = outcome(pair.client, 3000, 200, start);
  const middle = outcome(pair.client, 3000, 600, start);
  const answered = outcome(pair.client, 10, 1500, start);
  const [longResult, shortResult, middleResult, answeredResult] = await Promise.all([long, short, middle, answered]);
  assert.equal(answeredResult, "late", "a call answered in time is not touched by the timer");
  for (const [result, deadline] of [
    [shortResult, 200],
    [middleResult, 600],
    [longResult, 1500],
  ] as const) {
    const failure = result as { error: string; atMs: number; deadline: boolean };
    assert.equal(failure.deadline, true, `deadline ${deadline} ms: ${JSON.stringify(result)}`);
    assert.ok(failure.atMs >= deadline - 5, `deadline ${deadline} ms failed early, at ${failure.atMs} ms`);
    assert.ok(failure.atMs < deadline + 700, `deadline ${deadline} ms failed late, at ${failure.atMs} ms`);
  }
});

test("after a long-deadline call settles, a later short-deadline call still expires on time", async () => {
  // Leaves the shared timer armed for this call's 5 s deadline.
  assert.equal(await pair.client.call("hot", "/echo", ["x"], { timeout: 5000 }), "x");
  const start = Date.now();
  const failure = (await outcome(pair.client, 3000, 250, start)) as { atMs: number; deadline: boolean };
  assert.equal(failure.deadline, true);
  assert.ok(failure.atMs >= 245 && failure.atMs < 950, `failed at ${failure.atMs} ms`);
});

test("a reply subject with non-ASCII characters is still answered", async () => {
  const [node] = await pair.client.getServersByType("hot");
  assert.ok(node !== undefined);
  const replyTo = `_INBOX.ünïcödé.${Date.now()}`;
  const sub = raw.subscribe(replyTo, { max: 1 });
  await raw.flush();
  raw.publish(
    node.address,
    encodeRPCInfo({
      cid: "cid-non-ascii-reply",
      fn: "/echo",
      replyTo,
      track: "",
      expired: Date.now() + 5000,
      reply: true,
      argsType: ["string"],
      args: [stringCodec.encode("héllo")],
      caller: "t",
      hostname: "t",
    }),
  );
  const timer = setTimeout(() => sub.unsubscribe(), 5000);
  let received: ReturnType<typeof decodeResultInfo> | undefined;
  for await (const msg of sub) received = decodeResultInfo(msg.data);
  clearTimeout(timer);
  assert.ok(received !== undefined, "reply arrived");
  assert.equal(received.cid, "cid-non-ascii-reply");
  assert.equal(received.error, "");
  assert.equal(received.resultType, "string");
  assert.equal(new TextDecoder().decode(received.result), "héllo");
});

test("many calls in flight all come back with their own results", async () => {
  const values = Array.from({ length: 300 }, (_, i) => `v${i}-ü`);
  const results = await Promise.all(values.map((value) => pair.client.call("hot", "/echo", [value])));
  assert.deepEqual(results, values);
});

test("calls made by many callbacks of one event-loop turn (their requests held for one write) all come back, and later calls still leave at once", async () => {
  const values = Array.from({ length: 300 }, (_, i) => `turn-${i}`);
  // Each setImmediate callback is its own callback with its own microtask checkpoint, as socket reads are.
  const calls = await new Promise<Promise<unknown>[]>((resolve) => {
    const started: Promise<unknown>[] = [];
    for (const value of values) {
      setImmediate(() => {
        started.push(pair.client.call("hot", "/echo", [value]));
        if (started.length === values.length) resolve(started);
      });
    }
  });
  assert.deepEqual(await Promise.all(calls), values);
  // A lone call after the turn is not held back by what the turn did.
  const started = Date.now();
  assert.equal(await pair.client.call("hot", "/echo", ["alone"]), "alone");
  assert.ok(Date.now() - started < 1000);
});

test("a call outlived by thousands of newer calls still gets its own reply", async () => {
  // More calls than the transport keeps in its ring of pending calls pass while this one waits.
  const slow = pair.client.call("hot", "/after", [1500], { timeout: 20_000 });
  for (let batch = 0; batch < 20; batch++) {
    const values = Array.from({ length: 500 }, (_, i) => `b${batch}-${i}`);
    assert.deepEqual(await Promise.all(values.map((value) => pair.client.call("hot", "/echo", [value]))), values);
  }
  assert.equal(await slow, "late");
});

test("requests with Cids mqgen did not make (uuids, as Go sends) are matched to their replies", async () => {
  const [node] = await pair.client.getServersByType("hot");
  assert.ok(node !== undefined);
  const transport = new NatsTransport(raw, pino({ level: "silent" }), () => {});
  try {
    const cids = [crypto.randomUUID(), crypto.randomUUID(), "k3f9a2-01", "cïd"];
    const replies = await Promise.all(
      cids.map((cid, i) =>
        transport.request(
          node.address,
          node.id,
          { cid, fn: "/echo", replyTo: "", track: "", expired: Date.now() + 5000, reply: true, argsType: ["string"], args: [stringCodec.encode(`v${i}`)], caller: "t", hostname: "t" },
          Date.now() + 5000,
          undefined,
        ),
      ),
    );
    assert.deepEqual(replies.map((reply) => reply.cid), cids);
    assert.deepEqual(replies.map((reply) => new TextDecoder().decode(reply.result)), ["v0", "v1", "v2", "v3"]);
    assert.equal(transport.inFlight, 0);
  } finally {
    transport.close();
  }
});

test("calls sharing one Cid (one request object sent three times) each get a reply, or fail at their deadline", async () => {
  const [node] = await pair.client.getServersByType("hot");
  assert.ok(node !== undefined);
  const transport = new NatsTransport(raw, pino({ level: "silent" }), () => {});
  const request = (cid: string, fn: string, arg: string, deadline: number): RPCInfo => ({
    cid,
    fn,
    replyTo: "",
    track: "",
    expired: deadline,
    reply: true,
    argsType: ["string"],
    args: [stringCodec.encode(arg)],
    caller: "t",
    hostname: "t",
  });
  try {
    // newCid()'s Cids key the ring, others the Map: both must keep every call sharing a Cid.
    for (const cid of [newCid(), "hand-made"]) {
      const deadline = Date.now() + 5000;
      const replies = await Promise.all(
        ["a", "b", "c"].map((arg) => transport.request(node.address, node.id, request(cid, "/echo", arg, deadline), deadline, undefined)),
      );
      assert.deepEqual(replies.map((reply) => new TextDecoder().decode(reply.result)).sort(), ["a", "b", "c"], cid);
      assert.equal(transport.inFlight, 0);

      const soon = Date.now() + 300;
      const outcomes = await Promise.allSettled(
        [0, 1, 2].map(() => transport.request(node.address, node.id, request(cid, "/after", "2000", soon), soon, undefined)),
      );
      assert.deepEqual(
        outcomes.map((o) => o.status === "rejected" && o.reason instanceof DeadlineExceededError),
        [true, true, true],
        `${cid}: every call fails at its deadline, none is left waiting`,
      );
      assert.equal(transport.inFlight, 0);
    }
  } finally {
    transport.close();
  }
});
