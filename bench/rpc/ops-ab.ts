/**
 * The per-call cost of tracing (no SDK) and metrics, measured so that a loaded machine cancels out: three
 * caller/server app pairs (both off, tracing on, metrics on) share one nats-server and one process, and
 * take turns in short slices of 64-in-flight calls, many times over, so load bursts from other jobs hit all
 * three alike. Over NATS (separate apps, so calls go through nats-server) and in process.
 *
 *   node --import tsx bench/rpc/ops-ab.ts     (env OPS_AB_ROUNDS, default 40)
 */
import { HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import { MemoryRegistry, appMetrics, createApp, type App, type Module } from "../../runtime/internal.js";
import { NatsServer } from "../../test/support/nats-server.js";
import { environment, formatTable, writeResult } from "../support/measure.js";

type Mode = "off" | "tracing" | "metrics";
const MODES: readonly Mode[] = ["off", "tracing", "metrics"];
const ROUNDS = Number(process.env["OPS_AB_ROUNDS"] ?? 40);
const SLICE = 3200;
const IN_FLIGHT = 64;

const helloworld: Module = { type: "helloworld", version: "1.0.0", onInit: (ctx) => registerHelloworld(ctx.server, { sayHi: (n) => n }) };

async function pair(mode: Mode, natsUrl: string | undefined): Promise<{ client: HelloworldClient; apps: App[] }> {
  const registry = new MemoryRegistry();
  const options = { parseFlags: false, debug: false, registry, tracing: mode === "tracing" } as const;
  const nats = natsUrl === undefined ? {} : { nats: { servers: natsUrl } };
  const server = createApp({ ...options, ...nats });
  if (mode === "metrics") appMetrics(server.ops, registry, { processMetrics: false });
  await server.start([helloworld]);
  if (natsUrl === undefined) return { client: new HelloworldClient(server), apps: [server] };
  const caller = createApp({ ...options, ...nats, processId: "caller", config: { Module: {} } });
  if (mode === "metrics") appMetrics(caller.ops, registry, { processMetrics: false });
  await caller.start([]);
  return { client: new HelloworldClient(caller), apps: [caller, server] };
}

async function slice(client: HelloworldClient): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < SLICE) await client.sayHi("x");
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return performance.now() - started;
}

async function measure(natsUrl: string | undefined): Promise<Record<Mode, number>> {
  const pairs = new Map<Mode, Awaited<ReturnType<typeof pair>>>();
  for (const mode of MODES) pairs.set(mode, await pair(mode, natsUrl));
  const ms: Record<Mode, number> = { off: 0, tracing: 0, metrics: 0 };
  for (const mode of MODES) await slice(pairs.get(mode)!.client); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate who goes first each round.
    for (let i = 0; i < MODES.length; i++) {
      const mode = MODES[(i + round) % MODES.length]!;
      ms[mode] += await slice(pairs.get(mode)!.client);
    }
  }
  for (const p of pairs.values()) for (const app of p.apps) await app.stop();
  const perSec: Record<Mode, number> = { off: 0, tracing: 0, metrics: 0 };
  for (const mode of MODES) perSec[mode] = (ROUNDS * SLICE * 1000) / ms[mode];
  return perSec;
}

const nats = await NatsServer.start();
const overNats = await measure(nats.url);
await nats.dispose();
const inProcess = await measure(undefined);
const rows = (["over NATS", "in process"] as const).map((where) => {
  const r = where === "over NATS" ? overNats : inProcess;
  return [where, Math.round(r.off).toLocaleString("en"), Math.round(r.tracing).toLocaleString("en"), (r.tracing / r.off).toFixed(3), Math.round(r.metrics).toLocaleString("en"), (r.metrics / r.off).toFixed(3)];
});
console.log(`\nbench:rpc ops A/B — ${ROUNDS} interleaved slices of ${SLICE} calls at ${IN_FLIGHT} in flight per mode\n`);
console.log(formatTable(["", "both off /s", "tracing (no SDK) /s", "ratio", "metrics /s", "ratio"], rows));
const path = writeResult("rpc-ops-ab", {
  benchmark: "rpc-ops-ab",
  environment: await environment(),
  method: { rounds: ROUNDS, sliceCalls: SLICE, inFlight: IN_FLIGHT, statistic: "total calls / total time per mode over interleaved slices" },
  overNats: { ...overNats, tracingRatio: overNats.tracing / overNats.off, metricsRatio: overNats.metrics / overNats.off },
  inProcess: { ...inProcess, tracingRatio: inProcess.tracing / inProcess.off, metricsRatio: inProcess.metrics / inProcess.off },
});
console.log(`wrote ${path}`);
process.exit(0);
