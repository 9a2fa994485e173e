/**
 * The per-call cost of tracing (no SDK) and metrics, measured so that a loaded machine cancels out: caller
 * and server app pairs (both off, tracing on, metrics on, and a second "both off" pair, the control) share
 * one nats-server and one process, and take turns in short slices of 64-in-flight calls, many times over,
 * so load bursts from other jobs hit all of them alike. Each round gives every mode a ratio against the two
 * "both off" slices of the same round; the figure is the median of those ratios, and the control's ratio
 * (off against control) shows how far two identical pairs disagree. Over NATS (separate apps, so calls go through nats-server) and in
 * process. `npm run bench:rpc` judges the operations goals from this; run alone:
 *
 *   node --import tsx bench/rpc/ops-ab.ts     (env OPS_AB_ROUNDS, default 60; OPS_AB_WHERE=nats|local|both)
 */
import { pathToFileURL } from "node:url";
import { HelloworldClient, registerHelloworld } from "../../generated/helloworld.js";
import { MemoryRegistry, appMetrics, createApp, type App, type Module } from "../../runtime/internal.js";
import { NatsServer } from "../../test/support/nats-server.js";
import { environment, formatGoals, formatTable, judge, median, writeResult, type GoalResult } from "../support/measure.js";

type Mode = "off" | "tracing" | "metrics" | "control";
const MODES: readonly Mode[] = ["off", "tracing", "metrics", "control"];
const IN_FLIGHT = 64;
/** Calls per slice: about 40 ms over NATS and 15 ms in process, long enough that one GC pause is a small part. */
const SLICE = { nats: 3200, local: 16_000 } as const;

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

/** Wall and CPU (this process: callers and servers, not nats-server) milliseconds of one slice. */
async function slice(client: HelloworldClient, calls: number): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < calls) await client.sayHi("x");
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

export interface ModeResult {
  /** Calls per second over all of the mode's slices. */
  readonly perSec: number;
  /**
   * Median over rounds of (the round's baseline slice time / this mode's): ≥ 1 is no cost. The baseline is
   * the geometric mean of the two "both off" pairs; for the control, it is the "off" pair alone.
   */
  readonly ratio: number;
  /** The middle half of the per-round ratios. */
  readonly ratioQuartiles: readonly [number, number];
  /**
   * The median over rounds of the same ratio of CPU time (this process's, callers and servers): time other
   * jobs hold the cores is not in it, so it disagrees less with itself on a loaded machine.
   */
  readonly cpuRatio: number;
}

export type PlaceResult = Record<Mode, ModeResult>;

function quartile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function measure(natsUrl: string | undefined, rounds: number): Promise<PlaceResult> {
  const calls = natsUrl === undefined ? SLICE.local : SLICE.nats;
  const pairs = new Map<Mode, Awaited<ReturnType<typeof pair>>>();
  for (const mode of MODES) pairs.set(mode, await pair(mode, natsUrl));
  const ms = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  const cpu = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
  for (let warm = 0; warm < 3; warm++) for (const mode of MODES) await slice(pairs.get(mode)!.client, calls);
  for (let round = 0; round < rounds; round++) {
    // Rotate who goes first each round.
    for (let i = 0; i < MODES.length; i++) {
      const mode = MODES[(i + round) % MODES.length]!;
      const took = await slice(pairs.get(mode)!.client, calls);
      ms.get(mode)!.push(took.wall);
      cpu.get(mode)!.push(took.cpu);
    }
  }
  for (const p of pairs.values()) for (const app of p.apps) await app.stop();
  // The baseline of a round is both "off" pairs (the first and the last made, so an advantage of being made
  // first or last cancels out); the control's own ratio is off against control alone, the A/A spread.
  const baseline = (of: Map<Mode, number[]>, r: number): number => Math.sqrt((of.get("off")![r] as number) * (of.get("control")![r] as number));
  const reference = (of: Map<Mode, number[]>, mode: Mode, r: number): number => (mode === "control" ? (of.get("off")![r] as number) : baseline(of, r));
  const result = {} as Record<Mode, ModeResult>;
  for (const mode of MODES) {
    const times = ms.get(mode)!;
    const ratios = times.map((t, r) => reference(ms, mode, r) / t).sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    const cpuRatio = median(cpu.get(mode)!.map((c, r) => reference(cpu, mode, r) / c));
    result[mode] = { perSec: (rounds * calls * 1000) / total, ratio: median(ratios), ratioQuartiles: [quartile(ratios, 0.25), quartile(ratios, 0.75)], cpuRatio };
  }
  return result;
}

export interface OpsAbResult {
  readonly rounds: number;
  readonly overNats: PlaceResult | undefined;
  readonly inProcess: PlaceResult | undefined;
}

export async function measureOpsAb(rounds: number, where: "nats" | "local" | "both" = "both"): Promise<OpsAbResult> {
  let overNats: PlaceResult | undefined;
  if (where !== "local") {
    const nats = await NatsServer.start();
    try {
      overNats = await measure(nats.url, rounds);
    } finally {
      await nats.dispose();
    }
  }
  const inProcess = where === "nats" ? undefined : await measure(undefined, rounds);
  return { rounds, overNats, inProcess };
}

/** The goals: tracing with no SDK and metrics each ≥ 0.95× both off, over NATS and in process. */
export function opsAbGoals(r: OpsAbResult | undefined): GoalResult[] {
  const goals: GoalResult[] = [];
  for (const [where, key] of [["over NATS", "overNats"], ["in process", "inProcess"]] as const) {
    for (const [what, mode] of [["tracing on, no SDK", "tracing"], ["metrics on", "metrics"]] as const) {
      // The A/B's ratios are already mode / both off, so the reference is 1.
      goals.push(judge(`${what}, ${where}: 64 in flight ≥ 0.95× both off (calls/s, interleaved A/B)`, r?.[key]?.[mode].ratio ?? Number.NaN, 1, "atLeast", 0.95));
    }
  }
  return goals;
}

export function formatOpsAb(r: OpsAbResult): string {
  const n = (x: number): string => Math.round(x).toLocaleString("en");
  const ratio = (m: ModeResult): string => `${m.ratio.toFixed(3)} (${m.ratioQuartiles[0].toFixed(2)}–${m.ratioQuartiles[1].toFixed(2)}) cpu ${m.cpuRatio.toFixed(3)}`;
  const rows: string[][] = [];
  for (const [where, place] of [["over NATS", r.overNats], ["in process", r.inProcess]] as const) {
    if (place === undefined) continue;
    rows.push([where, n(place.off.perSec), n(place.tracing.perSec), ratio(place.tracing), n(place.metrics.perSec), ratio(place.metrics), ratio(place.control)]);
  }
  return [
    `bench:rpc ops A/B — ${r.rounds} interleaved rounds at ${IN_FLIGHT} in flight (${SLICE.nats} calls a slice over NATS, ${SLICE.local} in process);`,
    "ratio: median over rounds of the both-off pairs' slice time / the mode's (middle half of rounds in brackets); cpu: the same ratio",
    "of CPU time; A/A control: one both-off pair against the other, the noise floor",
    "",
    formatTable(["", "both off /s", "tracing (no SDK) /s", "ratio", "metrics /s", "ratio", "A/A control ratio"], rows),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const rounds = Number(process.env["OPS_AB_ROUNDS"] ?? 60);
  const where = (process.env["OPS_AB_WHERE"] ?? "both") as "nats" | "local" | "both";
  const result = await measureOpsAb(rounds, where);
  console.log(`\n${formatOpsAb(result)}\n\n${formatGoals(opsAbGoals(result))}\n`);
  const path = writeResult(where === "both" ? "rpc-ops-ab" : `rpc-ops-ab-${where}`, {
    benchmark: "rpc-ops-ab",
    environment: await environment(),
    method: { rounds, sliceCalls: SLICE, inFlight: IN_FLIGHT, statistic: "median over rounds of the per-round ratio off/mode of slice times; perSec over all slices" },
    ...result,
  });
  console.log(`wrote ${path}`);
  process.exit(0);
}
