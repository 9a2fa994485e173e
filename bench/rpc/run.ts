/**
 * bench:rpc — `sayHi` echo round trips. Client and server are separate processes on a private nats-server
 * (one per scenario, so scenarios never share a broker); in-process scenarios run in one process. Rounds are
 * interleaved across scenarios and each figure is the median over rounds.
 *
 * The cost of tracing (no SDK) and of metrics is judged afterwards by ops-ab.ts's interleaved A/B, in this
 * process once the scenarios' processes have stopped.
 *
 * Env: BENCH_ROUNDS (default 3), BENCH_PHASE_MS (serial and 64-in-flight phase length, default 2000),
 * BENCH_OPS_AB_ROUNDS (the A/B's rounds, default 60; 0 skips it).
 */
import { NatsServer } from "../../test/support/nats-server.js";
import {
  environment,
  formatGoals,
  formatNumber,
  formatTable,
  judge,
  median,
  writeResult,
  type GoalResult,
  type LoadOptions,
  type LoadResult,
} from "../support/measure.js";
import { Worker } from "../support/worker.js";
import { scenarios, type Scenario } from "./scenarios.js";
import { formatOpsAb, measureOpsAb, opsAbGoals, type OpsAbResult } from "./ops-ab.js";
import { prepareNoMiddlewareTree } from "./no-middleware.js";

const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
const phaseMs = Number(process.env["BENCH_PHASE_MS"] ?? 2000);
const loadOptions: LoadOptions = { warmupMs: 500, serialMs: phaseMs, loadMs: phaseMs, concurrency: 64 };

interface Running {
  readonly scenario: Scenario;
  readonly nats: NatsServer | undefined;
  readonly server: Worker | undefined;
  readonly client: Worker;
}

interface ScenarioOutcome {
  readonly name: string;
  readonly label: string;
  readonly rounds: LoadResult[];
  error?: string;
}

async function startScenario(scenario: Scenario): Promise<Running> {
  const nats =
    scenario.startServer === undefined ? undefined : await NatsServer.start({ jetstream: scenario.jetstream ?? false });
  const natsUrl = nats?.url ?? "";
  let server: Worker | undefined;
  let client: Worker | undefined;
  try {
    if (scenario.startServer !== undefined) {
      server = Worker.start({ script: "bench/rpc/server.ts", args: [scenario.name, natsUrl] });
      await server.next("ready", 30_000);
    }
    client = Worker.start({ script: "bench/rpc/client.ts", args: [scenario.name, natsUrl] });
    await client.next("ready", 30_000);
    return { scenario, nats, server, client };
  } catch (error) {
    await client?.stop();
    await server?.stop();
    await nats?.dispose();
    throw error;
  }
}

async function stopScenario(running: Running): Promise<void> {
  await running.client.stop();
  await running.server?.stop();
  await running.nats?.dispose();
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n").filter((l) => l.trim().length > 0);
  const reason = lines.find((l) => /Error[:\s]/.test(l)) ?? lines[0] ?? "failed";
  return reason.trim().slice(0, 200);
}

const env = await environment();
// Written once here, so the scenario processes only import it.
prepareNoMiddlewareTree();
const outcomes = new Map<string, ScenarioOutcome>();
const running: Running[] = [];
// BENCH_ONLY=a,b measures just those scenarios (goals over the others then read "not measured").
const only = (process.env["BENCH_ONLY"] ?? "").split(",").filter((s) => s !== "");
for (const scenario of only.length === 0 ? scenarios : scenarios.filter((s) => only.includes(s.name))) {
  const outcome: ScenarioOutcome = { name: scenario.name, label: scenario.label, rounds: [] };
  outcomes.set(scenario.name, outcome);
  try {
    running.push(await startScenario(scenario));
  } catch (error) {
    outcome.error = firstLine(error);
    console.log(`${scenario.name}: not measured — ${outcome.error}`);
  }
}

for (let round = 0; round < rounds; round++) {
  // Rotate the order every round so no scenario always runs first (cold machine) or last.
  const order = running.map((_, i) => running[(i + round) % running.length]!);
  for (const r of order) {
    const outcome = outcomes.get(r.scenario.name)!;
    if (outcome.error !== undefined) continue;
    try {
      r.client.send({ type: "run", options: loadOptions });
      const message = await r.client.next("result", loadOptions.warmupMs + 2 * phaseMs + 60_000);
      outcome.rounds.push(message as unknown as LoadResult);
      process.stdout.write(`round ${round + 1}/${rounds} ${r.scenario.name}: ${formatNumber((message as unknown as LoadResult).concurrentPerSec)}/s at 64\n`);
    } catch (error) {
      outcome.error = firstLine(error);
      console.log(`${r.scenario.name}: failed in round ${round + 1} — ${outcome.error}`);
    }
  }
}
await Promise.all(running.map(stopScenario));

const opsAbRounds = Number(process.env["BENCH_OPS_AB_ROUNDS"] ?? 60);
let opsAb: OpsAbResult | undefined;
if (opsAbRounds > 0 && (only.length === 0 || only.includes("ops-ab"))) {
  process.stdout.write(`ops A/B: ${opsAbRounds} interleaved rounds over NATS, then in process\n`);
  opsAb = await measureOpsAb(opsAbRounds);
}

interface Summary {
  readonly name: string;
  readonly label: string;
  readonly serialPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly concurrentPerSec: number;
  readonly rounds: number;
  readonly error?: string;
}

const summaries = new Map<string, Summary>();
for (const outcome of outcomes.values()) {
  const complete = outcome.error === undefined && outcome.rounds.length > 0;
  const pick = (f: (r: LoadResult) => number): number => (complete ? median(outcome.rounds.map(f)) : Number.NaN);
  const base = {
    name: outcome.name,
    label: outcome.label,
    serialPerSec: pick((r) => r.serialPerSec),
    p50Us: pick((r) => r.p50Us),
    p99Us: pick((r) => r.p99Us),
    concurrentPerSec: pick((r) => r.concurrentPerSec),
    rounds: outcome.rounds.length,
  };
  summaries.set(outcome.name, outcome.error === undefined ? base : { ...base, error: outcome.error });
}
const get = (name: string): Summary =>
  summaries.get(name) ?? { name, label: name, serialPerSec: Number.NaN, p50Us: Number.NaN, p99Us: Number.NaN, concurrentPerSec: Number.NaN, rounds: 0 };

const goals: GoalResult[] = [
  judge(
    "mqgen over NATS, 64 in flight ≥ 1.5× Moleculer over NATS (calls/s)",
    get("mqgen-nats").concurrentPerSec,
    get("moleculer-nats").concurrentPerSec,
    "atLeast",
    1.5,
  ),
  judge(
    "mqgen over NATS, 64 in flight ≥ 0.8× raw shared-reply (calls/s)",
    get("mqgen-nats").concurrentPerSec,
    get("raw-shared-reply").concurrentPerSec,
    "atLeast",
    0.8,
  ),
  judge(
    "mqgen over NATS, 1 in flight p50 ≤ 1.1× raw request() p50",
    get("mqgen-nats").p50Us,
    get("raw-request").p50Us,
    "atMost",
    1.1,
  ),
  // #17's goal: the tail at 1 in flight next to the raw shared-reply peer (same NATS, same payload).
  judge(
    "mqgen over NATS, 1 in flight p99 ≤ 1.1× raw shared-reply p99",
    get("mqgen-nats").p99Us,
    get("raw-shared-reply").p99Us,
    "atMost",
    1.1,
  ),
  judge(
    "no middleware installed, over NATS: 64 in flight ≥ 0.98× mqgen without the middleware layer (calls/s)",
    get("mqgen-nats").concurrentPerSec,
    get("mqgen-nats-no-layer").concurrentPerSec,
    "atLeast",
    0.98,
  ),
  judge(
    "no middleware installed, in process: 64 in flight ≥ 0.98× mqgen without the middleware layer (calls/s)",
    get("mqgen-local").concurrentPerSec,
    get("mqgen-local-no-layer").concurrentPerSec,
    "atLeast",
    0.98,
  ),
  judge(
    "a pass-through middleware on both sides (reported, no target): 64 in flight vs none installed",
    get("mqgen-nats-middleware").concurrentPerSec,
    get("mqgen-nats").concurrentPerSec,
    "atLeast",
    0,
  ),
  judge(
    "mqgen in process, 64 in flight ≥ Moleculer local (calls/s)",
    get("mqgen-local").concurrentPerSec,
    get("moleculer-local").concurrentPerSec,
    "atLeast",
    1,
  ),
  judge(
    "mqgen in process, 1 in flight ≥ Moleculer local (calls/s)",
    get("mqgen-local").serialPerSec,
    get("moleculer-local").serialPerSec,
    "atLeast",
    1,
  ),
  ...opsAbGoals(opsAb),
  judge(
    "in process, tracing with the OTel SDK (reported, no target): 64 in flight vs both off",
    get("mqgen-local-otel-sdk").concurrentPerSec,
    get("mqgen-local-ops-off").concurrentPerSec,
    "atLeast",
    0,
  ),
  judge(
    "tracing with the OTel SDK exporting (reported, no target): 64 in flight vs both off",
    get("mqgen-nats-otel-sdk").concurrentPerSec,
    get("mqgen-nats-ops-off").concurrentPerSec,
    "atLeast",
    0,
  ),
];

const rows = [...summaries.values()].map((s) => [
  s.label,
  formatNumber(s.serialPerSec),
  formatNumber(s.p50Us, 1),
  formatNumber(s.p99Us, 1),
  formatNumber(s.concurrentPerSec),
  s.error === undefined ? String(s.rounds) : "not measured",
]);
console.log(
  `\nbench:rpc — sayHi echo, median of ${rounds} rounds (${phaseMs} ms per phase), ${env["cpus"]} CPUs, node ${env["node"]}\n`,
);
console.log(formatTable(["scenario", "1 in flight /s", "p50 µs", "p99 µs", "64 in flight /s", "rounds"], rows));
for (const s of summaries.values()) if (s.error !== undefined) console.log(`${s.label}: not measured — ${s.error}`);
if (opsAb !== undefined) console.log(`\n${formatOpsAb(opsAb)}`);
console.log(`\n${formatGoals(goals)}\n`);

// A subset run (BENCH_ONLY) writes its own file, never over the full run's rpc.json.
const path = writeResult(only.length === 0 ? "rpc" : (process.env["BENCH_RESULT"] ?? "rpc-subset"), {
  benchmark: "rpc",
  environment: env,
  method: {
    payload: 'one-character string "x" echoed back',
    rounds,
    warmupMs: loadOptions.warmupMs,
    serialMs: loadOptions.serialMs,
    loadMs: loadOptions.loadMs,
    concurrency: loadOptions.concurrency,
    statistic: "median over rounds; p50/p99 are per-round percentiles of the serial phase",
  },
  scenarios: [...summaries.values()].map((s) => ({
    ...s,
    perRound: outcomes.get(s.name)!.rounds,
  })),
  opsAb,
  goals,
});
console.log(`wrote ${path}`);
