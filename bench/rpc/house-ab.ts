/**
 * Before and after the house change (issue #17: one codec layer, rooms, the curated surface), in one
 * sitting and one process: the runtime and generated helloworld of an older commit (`git archive` into
 * bench/work/) beside this tree's, each as an in-process app and as a caller/server pair over one
 * nats-server, taking turns in short slices, many rounds over, so load from other jobs hits both alike.
 * A second pair of this tree is the A/A control: how far two identical pairs disagree.
 *
 * Each round gives "current" a ratio against "base" of the same round (slice time base / current, so ≥ 1
 * means no slower); the figure is the median over rounds. Since the peers of `npm run bench:rpc` are the
 * same process in both trees, this ratio is what every "mqgen vs peer" ratio changes by between the trees.
 * It also keeps each slice's per-call latencies at 1 in flight, for p99 before and after.
 *
 *   node --import tsx bench/rpc/house-ab.ts   (env HOUSE_AB_BASE=<commit>, HOUSE_AB_ROUNDS, default 40)
 *
 * The default base is the last commit before the house change began; later features (middleware, tracing,
 * metrics, events) are in "current" too, so this is the cost of everything since, not of the rooms alone.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as currentHelloworld from "../../generated/helloworld.js";
import * as currentRuntime from "../../runtime/internal.js";
import { NatsServer } from "../../test/support/nats-server.js";
import { environment, formatGoals, formatTable, judge, median, percentile, repoRoot, writeResult, type GoalResult } from "../support/measure.js";

/** The last commit on main before the first house commit (runtime rooms, 2026-12-03). */
const DEFAULT_BASE = "661d3a5";

/** What both trees offer that this bench uses; the older tree's own types are not importable here. */
interface AppLike {
  start(modules: readonly object[]): Promise<void>;
  stop(): Promise<void>;
}
interface TreeUnderTest {
  readonly createApp: (options: Record<string, unknown>) => AppLike;
  readonly newRegistry: () => unknown;
  readonly module: () => object;
  readonly client: (app: AppLike) => { sayHi(name: string): Promise<string> };
}

function treeOf(runtime: Record<string, unknown>, helloworld: Record<string, unknown>): TreeUnderTest {
  const createApp = runtime["createApp"] as TreeUnderTest["createApp"];
  const MemoryRegistry = runtime["MemoryRegistry"] as new () => unknown;
  const register = helloworld["registerHelloworld"] as (server: unknown, impl: { sayHi(name: string): string }) => void;
  const Client = helloworld["HelloworldClient"] as new (app: AppLike) => { sayHi(name: string): Promise<string> };
  return {
    createApp,
    newRegistry: () => new MemoryRegistry(),
    module: () => ({ type: "helloworld", version: "1.0.0", onInit: (ctx: { server: unknown }) => register(ctx.server, { sayHi: (n) => n }) }),
    client: (app) => new Client(app),
  };
}

/** The older commit's runtime/ and generated/helloworld.ts in bench/work/, bound to each other. */
async function baseTree(commit: string): Promise<TreeUnderTest> {
  const target = join(repoRoot, "bench", "work", `house-base-${commit}`);
  if (!existsSync(join(target, "generated", "helloworld.ts"))) {
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    const archive = execFileSync("git", ["archive", commit, "runtime", "generated/helloworld.ts"], { cwd: repoRoot, maxBuffer: 1 << 28 });
    execFileSync("tar", ["-x", "-C", target], { input: archive });
    const path = join(target, "generated", "helloworld.ts");
    const bound = readFileSync(path, "utf8").replaceAll('from "mqgen/runtime"', 'from "../runtime/index.js"');
    if (bound.includes('"mqgen/')) throw new Error(`house A/B: ${commit}'s generated/helloworld.ts imports another mqgen entry; bind it too`);
    writeFileSync(path, bound);
  }
  const runtime = (await import(pathToFileURL(join(target, "runtime", "index.ts")).href)) as Record<string, unknown>;
  const helloworld = (await import(pathToFileURL(join(target, "generated", "helloworld.ts")).href)) as Record<string, unknown>;
  return treeOf(runtime, helloworld);
}

type Arm = "base" | "current" | "control";
const ARMS: readonly Arm[] = ["base", "current", "control"];
type Place = "nats" | "local";
/** Calls per slice, by place and calls in flight: each slice about 15–40 ms. */
const SLICE: Record<Place, Record<1 | 64, number>> = { nats: { 1: 100, 64: 3200 }, local: { 1: 4000, 64: 16_000 } };

interface Pair {
  readonly call: () => Promise<string>;
  readonly apps: AppLike[];
}

async function pair(tree: TreeUnderTest, natsUrl: string | undefined): Promise<Pair> {
  const registry = tree.newRegistry();
  const options = { parseFlags: false, debug: false, registry, ...(natsUrl === undefined ? {} : { nats: { servers: natsUrl } }) };
  const server = tree.createApp(options);
  await server.start([tree.module()]);
  let caller = server;
  if (natsUrl !== undefined) {
    caller = tree.createApp({ ...options, processId: "caller", config: { Module: {} } });
    await caller.start([]);
  }
  const client = tree.client(caller);
  const call = async (): Promise<string> => {
    const reply = await client.sayHi("x");
    if (reply !== "x") throw new Error(`house A/B: echo mismatch ${reply}`);
    return reply;
  };
  // The caller's registry view may lag the server's registration by a moment.
  for (let tries = 0; ; tries++) {
    try {
      await call();
      break;
    } catch (error) {
      if (tries > 100) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { call, apps: natsUrl === undefined ? [server] : [caller, server] };
}

/** One slice: wall ms, and at 1 in flight each call's µs. */
async function slice(call: () => Promise<string>, calls: number, inFlight: 1 | 64): Promise<{ wall: number; latenciesUs: number[] }> {
  const latenciesUs: number[] = [];
  const started = performance.now();
  if (inFlight === 1) {
    for (let i = 0; i < calls; i++) {
      const t = performance.now();
      await call();
      latenciesUs.push((performance.now() - t) * 1000);
    }
  } else {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next++ < calls) await call();
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  }
  return { wall: performance.now() - started, latenciesUs };
}

export interface CaseResult {
  readonly place: Place;
  readonly inFlight: 1 | 64;
  /** Calls per second over all slices, per arm. */
  readonly perSec: Record<Arm, number>;
  /** Median over rounds of base slice time / current slice time (≥ 1: current no slower). */
  readonly ratio: number;
  readonly ratioQuartiles: readonly [number, number];
  /** The same for control against current: the A/A noise floor. */
  readonly control: number;
  /** At 1 in flight: p99 over all slices' calls, per arm (µs). */
  readonly p99Us?: Record<Arm, number>;
}

async function measure(trees: Record<Arm, TreeUnderTest>, place: Place, natsUrl: string | undefined, rounds: number): Promise<CaseResult[]> {
  const pairs = new Map<Arm, Pair>();
  for (const arm of ARMS) pairs.set(arm, await pair(trees[arm], natsUrl));
  const results: CaseResult[] = [];
  for (const inFlight of [64, 1] as const) {
    const calls = SLICE[place][inFlight];
    const ms = new Map<Arm, number[]>(ARMS.map((a) => [a, []]));
    const latencies = new Map<Arm, number[]>(ARMS.map((a) => [a, []]));
    for (let warm = 0; warm < 3; warm++) for (const arm of ARMS) await slice(pairs.get(arm)!.call, calls, inFlight);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < ARMS.length; i++) {
        const arm = ARMS[(i + round) % ARMS.length]!;
        const took = await slice(pairs.get(arm)!.call, calls, inFlight);
        ms.get(arm)!.push(took.wall);
        for (const l of took.latenciesUs) latencies.get(arm)!.push(l);
      }
    }
    const ratios = ms.get("current")!.map((t, r) => (ms.get("base")![r] as number) / t).sort((a, b) => a - b);
    const control = median(ms.get("control")!.map((t, r) => (ms.get("current")![r] as number) / t));
    const perSec = {} as Record<Arm, number>;
    for (const arm of ARMS) perSec[arm] = (rounds * calls * 1000) / ms.get(arm)!.reduce((a, b) => a + b, 0);
    let p99Us: Record<Arm, number> | undefined;
    if (inFlight === 1) {
      p99Us = {} as Record<Arm, number>;
      for (const arm of ARMS) p99Us[arm] = percentile(latencies.get(arm)!.sort((a, b) => a - b), 0.99);
    }
    const q = (f: number): number => ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))] as number;
    results.push({ place, inFlight, perSec, ratio: median(ratios), ratioQuartiles: [q(0.25), q(0.75)], control, ...(p99Us === undefined ? {} : { p99Us }) });
  }
  for (const p of pairs.values()) for (const app of p.apps) await app.stop();
  return results;
}

export async function measureHouseAb(base: string, rounds: number): Promise<CaseResult[]> {
  const current = treeOf(currentRuntime as unknown as Record<string, unknown>, currentHelloworld as unknown as Record<string, unknown>);
  const trees: Record<Arm, TreeUnderTest> = { base: await baseTree(base), current, control: current };
  const nats = await NatsServer.start();
  try {
    return [...(await measure(trees, "nats", nats.url, rounds)), ...(await measure(trees, "local", undefined, rounds))];
  } finally {
    await nats.dispose();
  }
}

const where = (c: CaseResult): string => `${c.place === "nats" ? "over NATS" : "in process"}, ${c.inFlight} in flight`;

export function houseAbGoals(results: readonly CaseResult[]): GoalResult[] {
  return results.map((c) => judge(`${where(c)}: calls/s ≥ 0.95× the tree before the house change (interleaved A/B)`, c.ratio, 1, "atLeast", 0.95));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const base = process.env["HOUSE_AB_BASE"] ?? DEFAULT_BASE;
  const rounds = Number(process.env["HOUSE_AB_ROUNDS"] ?? 40);
  const results = await measureHouseAb(base, rounds);
  const n = (x: number): string => Math.round(x).toLocaleString("en");
  const rows = results.map((c) => [
    where(c),
    n(c.perSec.base),
    n(c.perSec.current),
    `${c.ratio.toFixed(3)} (${c.ratioQuartiles[0].toFixed(2)}–${c.ratioQuartiles[1].toFixed(2)})`,
    c.control.toFixed(3),
    c.p99Us === undefined ? "" : `${Math.round(c.p99Us.base)} / ${Math.round(c.p99Us.current)} µs`,
  ]);
  console.log(`\nhouse A/B — ${base} (base) against this tree, ${rounds} interleaved rounds\n`);
  console.log(formatTable(["", "base /s", "current /s", "current vs base", "A/A control", "p99 base / current"], rows));
  console.log(`\n${formatGoals(houseAbGoals(results))}\n`);
  const path = writeResult("rpc-house-ab", {
    benchmark: "rpc-house-ab",
    environment: await environment(),
    method: { base, rounds, sliceCalls: SLICE, statistic: "median over rounds of base slice time / current slice time; p99 over every call of the 1-in-flight slices" },
    results,
  });
  console.log(`wrote ${path}`);
  process.exit(0);
}
