/**
 * Typed events between modules through the generated `MarketEvents`: broadcast (every subscription) and
 * balanced (one subscriber per subscribing module type) across three OS processes over a real nats-server,
 * and the same rules in one process without NATS; payloads that do not decode are logged once per interval
 * and dropped while the subscriber keeps receiving, and a handler that throws leaves the others alone.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { BadArgumentError, MemoryRegistry, NotStartedError, connectNats, createApp, type App, type EventInfo, type Module } from "../../runtime/index.js";
import { MarketEvents, market, type Price, type Trade } from "./fixtures/events/generated/market.js";
import { NatsServer } from "../support/nats-server.js";
import { configFor, sleep, testModule } from "../support/apps.js";

let nats: NatsServer;
before(async () => {
  nats = await NatsServer.start();
});
after(async () => {
  await nats.dispose();
});

const price = (symbol: string, cents: bigint, ratio = 0.1): Price => ({ symbol, cents, ratio });
const trade = (qty: number): Trade => ({ symbol: "ACME", qty });
/** What float32 0.1 is once encoded: the value a subscriber sees, in process as over NATS. */
const RATIO = Math.fround(0.1);

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test("the committed fixture output is what mqgen generates from its schema", () => {
  const result = spawnSync(process.execPath, ["bin/mqgen.js", "check", "test/model/fixtures/events/schemas", "-o", "test/model/fixtures/events/generated", "--no-lock"], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

describe("in process, without NATS", () => {
  interface Seen {
    readonly who: string;
    readonly event: string;
    readonly value: Price | Trade;
  }
  const seen: Seen[] = [];
  const subscriber = (type: string, members: number): Module =>
    testModule(type, (ctx) => {
      const events = new MarketEvents(ctx);
      events.onPriced((p) => void seen.push({ who: type, event: "priced", value: p }));
      for (let i = 0; i < members; i++) events.onTraded((t) => void seen.push({ who: `${type}#${i}`, event: "traded", value: t }));
    });
  let app: App;
  before(async () => {
    const modules = [subscriber("ledger", 2), subscriber("audit", 1)];
    app = createApp({ parseFlags: false, debug: false, registry: new MemoryRegistry(), config: configFor(modules) });
    await assert.rejects(new MarketEvents(app).emitPriced(price("X", 1n)), NotStartedError, "emitting before start is refused");
    await app.start(modules);
  });
  after(async () => {
    await app.stop();
  });

  test("broadcast: every subscription receives each event, decoded as over the wire", async () => {
    seen.length = 0;
    await new MarketEvents(app).emitPriced(price("ACME", 2n ** 40n));
    await until(() => seen.length === 2, "two deliveries");
    assert.deepEqual(seen.map((s) => s.who).sort(), ["audit", "ledger"]);
    for (const s of seen) assert.deepEqual(s.value, { symbol: "ACME", cents: 2n ** 40n, ratio: RATIO });
    assert.notEqual(seen[0]!.value, seen[1]!.value, "each subscriber gets its own copy");
  });

  test("balanced: each event reaches one subscriber per module type, shared round robin inside it", async () => {
    seen.length = 0;
    const events = new MarketEvents(app);
    for (let qty = 1; qty <= 10; qty++) await events.emitTraded(trade(qty));
    await until(() => seen.length === 20, "20 deliveries");
    await sleep(50);
    assert.equal(seen.length, 20, "no event is delivered twice");
    const qtys = (prefix: string): number[] => seen.filter((s) => s.who.startsWith(prefix)).map((s) => (s.value as Trade).qty).sort((a, b) => a - b);
    assert.deepEqual(qtys("audit"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(qtys("ledger"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(seen.filter((s) => s.who === "ledger#0").length, 5);
    assert.equal(seen.filter((s) => s.who === "ledger#1").length, 5);
  });

  test("the app's own subscriptions: broadcast as is, balanced only with a group; unsubscribe stops delivery", async () => {
    const events = new MarketEvents(app);
    assert.throws(() => events.onTraded(() => undefined), BadArgumentError);
    const infos: EventInfo[] = [];
    const sub = events.onPriced((_p, info) => void infos.push(info));
    await sub.ready;
    await events.emitPriced(price("A", 1n));
    await until(() => infos.length === 1, "the app's subscription");
    assert.deepEqual(infos[0], { name: "priced", module: "market", subject: "mqgen.event.market.priced" });
    sub.unsubscribe();
    sub.unsubscribe();
    await events.emitPriced(price("B", 2n));
    await sleep(30);
    assert.equal(infos.length, 1);
    await assert.rejects(events.emitPriced({ symbol: 5 } as unknown as Price), BadArgumentError, "a value that does not encode is refused at emit");
  });

  test("a handler that throws is logged and does not stop delivery to the others, nor to itself", async () => {
    const events = new MarketEvents(app);
    const good: string[] = [];
    let thrown = 0;
    events.onPriced(() => {
      thrown++;
      throw new Error("subscriber bug");
    });
    events.onPriced(async () => {
      thrown++;
      throw new Error("async subscriber bug");
    });
    events.onPriced((p) => void good.push(p.symbol));
    await events.emitPriced(price("first", 1n));
    await events.emitPriced(price("second", 2n));
    await until(() => good.length === 2 && thrown === 4, "both events to every handler");
    assert.deepEqual(good, ["first", "second"]);
  });
});

describe("over NATS, three processes", () => {
  interface Received {
    readonly type: string;
    readonly pid: number;
    readonly event: string;
    readonly symbol: string;
    readonly qty?: number;
    readonly cents?: string;
    readonly ratio?: number;
  }
  const received: Received[] = [];
  const children: ChildProcess[] = [];
  let emitter: App;

  function startNode(type: string): Promise<void> {
    const proc = spawn(process.execPath, ["--import", "tsx", "test/model/fixtures/events-node.ts", type], {
      env: { ...process.env, NATS_URL: nats.url },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(proc);
    const lines = createInterface({ input: proc.stdout! });
    return new Promise((resolve, reject) => {
      proc.once("exit", (code) => reject(new Error(`${type} exited with ${code}`)));
      lines.on("line", (line) => {
        if (line.startsWith("ready ")) resolve();
        else if (line.startsWith("{")) received.push(JSON.parse(line) as Received);
      });
    });
  }

  before(async () => {
    await Promise.all([startNode("ledger"), startNode("ledger"), startNode("audit")]);
    emitter = createApp({ parseFlags: false, debug: false, registry: new MemoryRegistry(), nats: { servers: nats.url }, config: { Module: {} } });
    await emitter.start([]);
  });
  after(async () => {
    await emitter?.stop();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
  });

  test("broadcast: each of the three nodes receives the event once, typed", async () => {
    received.length = 0;
    await new MarketEvents(emitter).emitPriced(price("ACME", 2n ** 62n));
    await until(() => received.length === 3, "three deliveries");
    await sleep(200);
    assert.equal(received.length, 3);
    assert.equal(new Set(received.map((r) => r.pid)).size, 3, "one delivery per process");
    assert.deepEqual(received.map((r) => r.type).sort(), ["audit", "ledger", "ledger"]);
    for (const r of received) assert.deepEqual([r.event, r.symbol, r.cents, r.ratio], ["priced", "ACME", String(2n ** 62n), RATIO]);
  });

  test("balanced: each event reaches exactly one ledger node and the audit node (NATS queue groups by module type)", async () => {
    received.length = 0;
    const events = new MarketEvents(emitter);
    const count = 40;
    for (let qty = 1; qty <= count; qty++) await events.emitTraded(trade(qty));
    await until(() => received.length === 2 * count, `${2 * count} deliveries`);
    await sleep(200);
    assert.equal(received.length, 2 * count, "no event is delivered twice");
    const all = Array.from({ length: count }, (_, i) => i + 1);
    const qtys = (type: string): number[] => received.filter((r) => r.type === type).map((r) => r.qty as number).sort((a, b) => a - b);
    assert.deepEqual(qtys("audit"), all);
    assert.deepEqual(qtys("ledger"), all, "the two ledger nodes share the events, none twice");
    const ledgerPids = new Set(received.filter((r) => r.type === "ledger").map((r) => r.pid));
    assert.equal(ledgerPids.size, 2, "nats-server spreads the group over both ledger nodes");
  });

  test("an event over the server's max_payload is refused with BadArgumentError, and the next one goes out", async () => {
    const events = new MarketEvents(emitter);
    await assert.rejects(events.emitTraded({ symbol: "x".repeat(2 * 1024 * 1024), qty: 1 }), (err: unknown) => err instanceof BadArgumentError && /max_payload/.test(err.message));
    received.length = 0;
    await events.emitTraded(trade(7));
    await until(() => received.length === 2, "the next event at a ledger and the audit node");
  });

  test("hostile payloads on an event's subject are dropped, logged once per interval, and the subscriber keeps running", async () => {
    const lines: string[] = [];
    const app = createApp({
      parseFlags: false,
      debug: true,
      console: { write: (l: string) => void lines.push(l) },
      registry: new MemoryRegistry(),
      nats: { servers: nats.url },
      config: { Module: {} },
    });
    await app.start([]);
    const raw = await connectNats({ servers: nats.url });
    try {
      const got: Price[] = [];
      const sub = new MarketEvents(app).onPriced((p) => void got.push(p));
      const failing = new MarketEvents(app).onPriced(() => {
        throw new Error("bug\nin a handler");
      });
      await Promise.all([sub.ready, failing.ready]);
      received.length = 0;
      const garbage = [new Uint8Array([0xff, 0xff, 0xff]), new Uint8Array([0x0a, 0x05, 0x41]), new TextEncoder().encode("\n\u001b[31mPUB victim 5\r\n"), new Uint8Array(0x10).fill(0x08)];
      for (let i = 0; i < 500; i++) raw.publish(market.events.priced.subject, garbage[i % garbage.length]!);
      await raw.flush();
      await new MarketEvents(emitter).emitPriced(price("after", 7n));
      await until(() => got.some((p) => p.symbol === "after"), "the good event after the garbage");
      await until(() => received.filter((r) => r.symbol === "after").length === 3, "the child nodes also keep receiving");
      const dropped = lines.filter((l) => l.includes("dropped a payload that does not decode"));
      assert.ok(dropped.length >= 1 && dropped.length <= 2, `throttled: ${dropped.length} lines for 500 bad payloads`);
      assert.ok(!dropped.some((l) => l.includes("\u001b") || l.includes("\r")), "the payload is escaped in the log");
      const failed = lines.filter((l) => l.includes("a handler failed"));
      assert.equal(failed.length, 1, "the throwing handler is logged once");
      assert.match(failed[0]!, /bug\\+u000ain a handler/, "its message escaped onto one line");
      assert.equal(children.filter((c) => c.exitCode !== null).length, 0, "no subscriber process died");
    } finally {
      await raw.close();
      await app.stop();
    }
  });
});
