/**
 * bench:rpc, events — typed events over NATS against Moleculer 0.15's `broker.emit` over NATS, in the same
 * run, on a private nats-server per scenario. Each scenario has an emitting side and a subscribing side on
 * separate NATS connections (two apps, two brokers) in this process, so "delivered" is observed without an
 * acknowledgement hop: 64 events are in flight, an event counts from its emit until the subscriber's
 * handler has run, and every delivery lets the next emit go. The figure is deliveries per second in a
 * fixed phase, median over interleaved rounds.
 *
 * Env: BENCH_ROUNDS (default 3), BENCH_PHASE_MS (default 2000).
 */
import { connect, type NatsConnection } from "nats";
import { ServiceBroker } from "moleculer";
import { MemoryRegistry, createApp, type App } from "../../runtime/index.js";
import { NatsServer } from "../../test/support/nats-server.js";
import { MarketEvents } from "../../test/model/fixtures/events/generated/market.js";
import { environment, formatGoals, formatNumber, formatTable, judge, median, sleep, writeResult } from "../support/measure.js";

const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const phaseMs = Number(process.env["BENCH_PHASE_MS"] ?? 2000);
const warmupMs = 500;
const WINDOW = 64;

/** One side emits, the other side's handler calls `delivered` once per event it received. */
interface Pair {
  emit(n: number): Promise<unknown>;
  set delivered(callback: () => void);
  close(): Promise<void>;
}

interface Scenario {
  readonly name: string;
  readonly label: string;
  start(natsUrl: string): Promise<Pair>;
}

function app(natsUrl: string, modules: object): App {
  return createApp({ parseFlags: false, debug: false, registry: new MemoryRegistry(), nats: { servers: natsUrl }, config: { Module: modules } });
}

async function mqgenPair(natsUrl: string, delivery: "balanced" | "broadcast"): Promise<Pair> {
  let delivered: () => void = () => undefined;
  const subscriber = app(natsUrl, { ledger: [{ Id: "ledger", ProcessID: "development" }] });
  await subscriber.start([
    {
      type: "ledger",
      version: "1.0.0",
      async onInit(ctx) {
        const events = new MarketEvents(ctx);
        // `traded` and `booked` carry the same message: one is balanced, the other broadcast.
        const sub = delivery === "balanced" ? events.onTraded(() => delivered()) : events.onBooked(() => delivered());
        await sub.ready;
      },
    },
  ]);
  const emitter = app(natsUrl, {});
  await emitter.start([]);
  const events = new MarketEvents(emitter);
  return {
    emit: delivery === "balanced" ? (n) => events.emitTraded({ symbol: "ACME", qty: n }) : (n) => events.emitBooked({ symbol: "ACME", qty: n }),
    set delivered(callback: () => void) {
      delivered = callback;
    },
    close: async () => {
      await emitter.stop();
      await subscriber.stop();
    },
  };
}

async function moleculerPair(natsUrl: string): Promise<Pair> {
  let delivered: () => void = () => undefined;
  const transporter = { type: "NATS" as const, options: { url: natsUrl } };
  const subscriber = new ServiceBroker({ nodeID: `sub-${process.pid}`, transporter, logger: false });
  subscriber.createService({ name: "ledger", events: { "market.traded": () => delivered() } });
  const emitter = new ServiceBroker({ nodeID: `emit-${process.pid}`, transporter, logger: false });
  await Promise.all([subscriber.start(), emitter.start()]);
  await emitter.waitForServices("ledger", 20_000);
  return {
    emit: (n) => emitter.emit("market.traded", { symbol: "ACME", qty: n }),
    set delivered(callback: () => void) {
      delivered = callback;
    },
    close: async () => {
      await emitter.stop();
      await subscriber.stop();
    },
  };
}

/** The floor: bare nats.js publish and subscribe of the same protobuf bytes, no decoding. */
async function rawPair(natsUrl: string): Promise<Pair> {
  let delivered: () => void = () => undefined;
  const sub: NatsConnection = await connect({ servers: natsUrl });
  sub.subscribe("bench.traded", { queue: "ledger", callback: () => delivered() });
  await sub.flush();
  const pub: NatsConnection = await connect({ servers: natsUrl });
  const bytes = new Uint8Array([0x0a, 0x04, 0x41, 0x43, 0x4d, 0x45, 0x10, 0x01]);
  return {
    emit: () => {
      pub.publish("bench.traded", bytes);
      return Promise.resolve();
    },
    set delivered(callback: () => void) {
      delivered = callback;
    },
    close: async () => {
      await pub.close();
      await sub.close();
    },
  };
}

const scenarios: Scenario[] = [
  { name: "mqgen-events-balanced", label: "mqgen events over NATS, balanced (queue group)", start: (url) => mqgenPair(url, "balanced") },
  { name: "mqgen-events-broadcast", label: "mqgen events over NATS, broadcast", start: (url) => mqgenPair(url, "broadcast") },
  { name: "moleculer-emit", label: "Moleculer 0.15 broker.emit over NATS", start: moleculerPair },
  { name: "raw-pubsub", label: "raw nats.js publish/queue subscribe (floor)", start: rawPair },
];

/** Keeps WINDOW events in flight for warmup + phase; returns deliveries per second within the phase. */
async function runWindow(pair: Pair): Promise<number> {
  let inFlight = 0;
  let delivered = 0;
  let seq = 0;
  let pumping = true;
  let failure: unknown;
  let drained: () => void = () => undefined;
  const pump = (): void => {
    while (pumping && inFlight < WINDOW) {
      inFlight++;
      pair.emit(seq++).catch((err: unknown) => {
        failure ??= err;
      });
    }
  };
  pair.delivered = () => {
    inFlight--;
    delivered++;
    if (pumping) pump();
    else if (inFlight === 0) drained();
  };
  pump();
  await sleep(warmupMs);
  const startCount = delivered;
  const started = performance.now();
  await sleep(phaseMs);
  const count = delivered - startCount;
  const elapsed = performance.now() - started;
  pumping = false;
  if (inFlight > 0) await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sleep(5000)]);
  if (failure !== undefined) throw failure;
  return (count / elapsed) * 1000;
}

const env = await environment();
const started = await Promise.all(
  scenarios.map(async (scenario) => {
    const nats = await NatsServer.start();
    return { scenario, nats, pair: await scenario.start(nats.url), results: [] as number[] };
  }),
);
for (let round = 0; round < rounds; round++) {
  const order = started.map((_, i) => started[(i + round) % started.length]!);
  for (const s of order) {
    const perSec = await runWindow(s.pair);
    s.results.push(perSec);
    process.stdout.write(`round ${round + 1}/${rounds} ${s.scenario.name}: ${formatNumber(perSec)}/s at ${WINDOW}\n`);
  }
}
for (const s of started) {
  await s.pair.close();
  await s.nats.dispose();
}

const perSec = (name: string): number => median(started.find((s) => s.scenario.name === name)?.results ?? []);
const goals = [
  judge(`mqgen events over NATS (balanced), ${WINDOW} in flight ≥ 1.5× Moleculer broker.emit over NATS (deliveries/s)`, perSec("mqgen-events-balanced"), perSec("moleculer-emit"), "atLeast", 1.5),
  judge(`mqgen events over NATS (broadcast), ${WINDOW} in flight ≥ 1.5× Moleculer broker.emit over NATS (deliveries/s)`, perSec("mqgen-events-broadcast"), perSec("moleculer-emit"), "atLeast", 1.5),
  judge("mqgen events (balanced) vs bare nats.js publish/subscribe (reported, no target)", perSec("mqgen-events-balanced"), perSec("raw-pubsub"), "atLeast", 0),
];
console.log(`\nbench:rpc events — ${WINDOW} in flight, emit → subscriber's handler, median of ${rounds} rounds (${phaseMs} ms), ${env["cpus"]} CPUs, node ${env["node"]}\n`);
console.log(formatTable(["scenario", `${WINDOW} in flight deliveries/s`, "rounds"], started.map((s) => [s.scenario.label, formatNumber(perSec(s.scenario.name)), String(s.results.length)])));
console.log(`\n${formatGoals(goals)}\n`);
const path = writeResult(process.env["BENCH_RESULT"] ?? "events", {
  benchmark: "rpc-events",
  environment: env,
  method: {
    payload: "market.Trade { symbol: \"ACME\", qty: n } (protobuf for mqgen and raw, JSON for Moleculer)",
    definition: `${WINDOW} events in flight; an event is in flight from emit until the subscribing side's handler ran; each delivery lets the next emit go; emitter and subscriber on separate NATS connections in one process`,
    rounds,
    warmupMs,
    phaseMs,
    statistic: "median over interleaved rounds",
  },
  scenarios: started.map((s) => ({ name: s.scenario.name, label: s.scenario.label, deliveriesPerSec: perSec(s.scenario.name), perRound: s.results })),
  goals,
});
console.log(`wrote ${path}`);
process.exit(0);
