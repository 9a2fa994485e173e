/**
 * bench:gate fan-out, run by run.ts: `connections` raw MQTT clients in two load processes (fanout-load.ts)
 * all in one room (the gate: `room/HD_join`, so Session.joinRoom) or subscribed to one topic (a broker).
 *  (a) one push of 200 bytes: time from its send (stamped in the payload by the pusher) to the last
 *      client's delivery; median of `repeats` pushes per round;
 *  (b) sustained: 200-byte pushes as fast as the server accepts them for `sustainMs`, under a credit of
 *      `window` pushes ahead of the slowest client: deliveries/s, p99 delivery latency, server RSS (peak).
 * Each client checks every sequence number; a round whose counts do not add up throws.
 */
import type { Socket } from "node:net";
import { median, sleep } from "../support/measure.js";
import { Worker } from "../support/worker.js";
import { PushEngine, type SustainResult } from "./push-engine.js";
import { CONNACK, FANOUT_TOPIC, FrameReader, connectPacket, openSocket, percentileOf, publishPacket } from "./raw-mqtt.js";
import { rssBytes } from "./rss.js";

export interface FanoutTarget {
  readonly mode: "gate" | "broker";
  readonly port: number;
  /** The process whose RSS is reported (the gate's or the broker's). */
  readonly pid: number;
  one(): Promise<{ seq: number; sentAt: number; count?: number }>;
  sustain(ms: number, window: number): Promise<SustainResult>;
  credit(upTo: number): void;
  stop(): Promise<void>;
}

export interface FanoutRound {
  readonly oneToLastMs: number[];
  readonly oneToFirstMs: number[];
  readonly sustained: {
    readonly sent: number;
    readonly deliveries: number;
    readonly deliveriesPerSec: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly peakRssBytes: number;
    readonly seconds: number;
  };
}

export interface FanoutOptions {
  readonly connections: number;
  readonly loadProcesses: number;
  readonly repeats: number;
  readonly sustainMs: number;
  readonly window: number;
  readonly fileLimit: number;
}

/** A gate server worker (server.ts) whose pusher takes push messages on stdin. */
export function gateTarget(server: Worker, port: number): FanoutTarget {
  return {
    mode: "gate",
    port,
    pid: server.pid ?? 0,
    one: async () => {
      server.send({ type: "push-one" });
      const m = await server.next("pushed", 60_000);
      return { seq: Number(m["seq"]), sentAt: Number(m["sentAt"]), count: Number(m["count"]) };
    },
    sustain: async (ms, window) => {
      server.send({ type: "sustain", ms, window });
      return (await server.next("sustained", ms + 120_000)) as unknown as SustainResult;
    },
    credit: (upTo) => server.send({ type: "credit", upTo }),
    stop: async () => {},
  };
}

/** A broker: the pusher is a raw MQTT client of this process publishing QoS 0 to the topic the clients subscribe to. */
export async function brokerTarget(port: number, pid: number): Promise<FanoutTarget> {
  const socket: Socket = await openSocket(port);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("publisher: no CONNACK")), 10_000);
    const reader = new FrameReader((type, frame) => {
      if (type !== CONNACK) return;
      clearTimeout(timer);
      if (frame[3] === 0) resolve();
      else reject(new Error(`publisher: CONNACK ${frame[3]}`));
    });
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.write(connectPacket(`publisher-${process.pid}`));
  });
  socket.on("error", () => {});
  const engine = new PushEngine({
    push: async (payload) => {
      // Accepted once the socket took it; a full socket buffer is the broker's backpressure.
      if (!socket.write(publishPacket(FANOUT_TOPIC, payload))) await new Promise((resolve) => socket.once("drain", resolve));
      return undefined;
    },
  });
  return {
    mode: "broker",
    port,
    pid,
    one: () => engine.one(),
    sustain: (ms, window) => engine.sustain(ms, window),
    credit: (upTo) => engine.setCredit(upTo),
    stop: async () => {
      socket.destroy();
    },
  };
}

interface LoadReport {
  readonly deliveries: number;
  readonly gaps: number;
  readonly repeats: number;
  readonly closed: number;
  readonly minPerClient: number;
  readonly maxPerClient: number;
  readonly histogram: [number, number][];
}

/** Opens the clients, runs `rounds` rounds of (a) and (b), closes the clients. */
export async function runFanout(target: FanoutTarget, rounds: number, options: FanoutOptions, log: (line: string) => void): Promise<FanoutRound[]> {
  const perProcess = Math.ceil(options.connections / options.loadProcesses);
  const loads: Worker[] = [];
  try {
    for (let i = 0; i < options.loadProcesses; i++) {
      const count = Math.min(perProcess, options.connections - i * perProcess);
      loads.push(
        Worker.start({
          script: "bench/gate/fanout-load.ts",
          args: [String(target.port), String(count), target.mode, FANOUT_TOPIC, `fan${i}`],
          fileLimit: options.fileLimit,
        }),
      );
    }
    const opened = await Promise.all(loads.map((load) => load.next("opened", 300_000)));
    const total = opened.reduce((sum, m) => sum + Number(m["count"]), 0);
    if (total !== options.connections) throw new Error(`only ${total} of ${options.connections} clients joined`);
    log(`  ${total} clients joined in ${Math.max(...opened.map((m) => Number(m["seconds"]))).toFixed(1)} s`);
    // Settle: joins answered, nothing in flight.
    await sleep(500);

    const results: FanoutRound[] = [];
    for (let round = 0; round < rounds; round++) {
      // (a) one push at a time.
      const oneToLastMs: number[] = [];
      const oneToFirstMs: number[] = [];
      for (let i = 0; i < options.repeats; i++) {
        const pushed = await target.one();
        if (pushed.count !== undefined && pushed.count !== options.connections) {
          throw new Error(`push ${pushed.seq} reached ${pushed.count} of ${options.connections} members`);
        }
        for (const load of loads) load.send({ type: "await-seq", seq: pushed.seq, timeoutMs: 30_000 });
        const seen = await Promise.all(loads.map((load) => load.next("seq", 60_000)));
        const received = seen.reduce((sum, m) => sum + Number(m["received"]), 0);
        if (received !== options.connections) throw new Error(`push ${pushed.seq}: ${received} of ${options.connections} clients got it`);
        oneToLastMs.push(Math.max(...seen.map((m) => Number(m["lastAt"]))) - pushed.sentAt);
        oneToFirstMs.push(Math.min(...seen.map((m) => Number(m["firstAt"]))) - pushed.sentAt);
        await sleep(100);
      }

      if (options.sustainMs <= 0) {
        results.push({ oneToLastMs, oneToFirstMs, sustained: { sent: 0, deliveries: 0, deliveriesPerSec: Number.NaN, p50Ms: Number.NaN, p99Ms: Number.NaN, peakRssBytes: Number.NaN, seconds: 0 } });
        log(`  round ${round + 1}/${rounds}: one push → last delivery ${median(oneToLastMs).toFixed(1)} ms`);
        continue;
      }
      // (b) sustained, paced by the slowest client.
      for (const load of loads) load.send({ type: "reset" });
      await Promise.all(loads.map((load) => load.next("reset")));
      const progress = loads.map(() => 0);
      for (const load of loads) load.send({ type: "watch", on: true });
      const readers = loads.map(async (load, i) => {
        for (;;) {
          const m = await load.next("progress", 60_000);
          progress[i] = Number(m["minSeq"]);
          target.credit(Math.min(...progress) + options.window);
          if (m["final"] === true) return;
        }
      });
      let peakRss = 0;
      const sampler = setInterval(() => {
        const rss = rssBytes(target.pid);
        if (Number.isFinite(rss)) peakRss = Math.max(peakRss, rss);
      }, 250);
      let sustained: SustainResult;
      try {
        sustained = await target.sustain(options.sustainMs, options.window);
      } finally {
        clearInterval(sampler);
      }
      // Every push was accepted: no more credit is needed. The readers stop at the final progress line.
      for (const load of loads) load.send({ type: "watch", on: false });
      await Promise.all(readers);
      for (const load of loads) load.send({ type: "await-seq", seq: sustained.lastSeq, timeoutMs: 60_000 });
      const last = await Promise.all(loads.map((load) => load.next("seq", 120_000)));
      for (const load of loads) load.send({ type: "report" });
      const reports = (await Promise.all(loads.map((load) => load.next("report", 60_000)))) as unknown as LoadReport[];
      const deliveries = reports.reduce((sum, r) => sum + r.deliveries, 0);
      const problems = reports.flatMap((r, i) => {
        const out: string[] = [];
        if (r.gaps > 0) out.push(`load ${i}: ${r.gaps} pushes missing`);
        if (r.repeats > 0) out.push(`load ${i}: ${r.repeats} pushes repeated or out of order`);
        if (r.closed > 0) out.push(`load ${i}: ${r.closed} clients dropped`);
        if (r.minPerClient !== sustained.sent || r.maxPerClient !== sustained.sent) {
          out.push(`load ${i}: a client got ${r.minPerClient}..${r.maxPerClient} of ${sustained.sent} pushes`);
        }
        return out;
      });
      if (problems.length > 0) throw new Error(`sustained fan-out lost messages: ${problems.join("; ")}`);
      const lastAt = Math.max(...last.map((m) => Number(m["lastAt"])));
      const seconds = (lastAt - sustained.startedAt) / 1000;
      const histograms = reports.map((r) => r.histogram);
      results.push({
        oneToLastMs,
        oneToFirstMs,
        sustained: {
          sent: sustained.sent,
          deliveries,
          deliveriesPerSec: deliveries / seconds,
          p50Ms: percentileOf(histograms, 0.5),
          p99Ms: percentileOf(histograms, 0.99),
          peakRssBytes: peakRss,
          seconds,
        },
      });
      const r = results[results.length - 1]!;
      log(
        `  round ${round + 1}/${rounds}: one push → last delivery ${median(oneToLastMs).toFixed(1)} ms; sustained ${Math.round(r.sustained.deliveriesPerSec).toLocaleString("en-US")} deliveries/s (${sustained.sent} pushes), p99 ${r.sustained.p99Ms.toFixed(1)} ms, RSS ${(peakRss / 1e6).toFixed(0)} MB`,
      );
    }
    return results;
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
  }
}
