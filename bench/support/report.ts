/**
 * `node --import tsx bench/support/report.ts`: the committed bench/results/*.json as Markdown tables, for
 * docs/benchmarks.md — copied from the numbers a run wrote, never typed by hand.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { benchRoot, formatNumber } from "./measure.js";

type Json = Record<string, unknown>;

function load(name: string): Json | undefined {
  const path = join(benchRoot, "results", `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Json) : undefined;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

const n = (value: unknown, digits = 0): string => formatNumber(typeof value === "number" ? value : Number.NaN, digits);

function goals(result: Json): string {
  const list = (result["goals"] ?? []) as Json[];
  return table(
    ["goal", "ratio", "target", "result"],
    list.map((g) => [
      String(g["goal"]),
      g["ratio"] === null || !Number.isFinite(g["ratio"] as number) ? "—" : `${n(g["ratio"], 2)}×`,
      `${g["comparison"] === "atLeast" ? "≥" : "≤"} ${String(g["target"])}×`,
      `**${String(g["status"])}**${g["note"] === undefined ? "" : ` (${String(g["note"])})`}`,
    ]),
  );
}

function environment(result: Json): string {
  const env = result["environment"] as Json;
  const load = (env["loadAverageAtStart"] as number[] | undefined)?.join(", ") ?? "?";
  return `Run ${String(env["date"])}, node ${String(env["node"])}, ${String(env["cpus"])} × ${String(env["cpuModel"])}, load average at start ${load}.`;
}

const out: string[] = [];
const rpc = load("rpc");
if (rpc !== undefined) {
  const method = rpc["method"] as Json;
  out.push(`### bench:rpc\n\n${environment(rpc)} Median of ${String(method["rounds"])} rounds.\n`);
  out.push(
    table(
      ["scenario", "1 in flight calls/s", "p50 µs", "p99 µs", "64 in flight calls/s"],
      ((rpc["scenarios"] ?? []) as Json[]).map((s) => [
        String(s["label"]),
        n(s["serialPerSec"]),
        n(s["p50Us"], 1),
        n(s["p99Us"], 1),
        s["error"] === undefined ? n(s["concurrentPerSec"]) : `not measured: ${String(s["error"])}`,
      ]),
    ),
    "",
    goals(rpc),
    "",
  );
}
const codegen = load("codegen");
if (codegen !== undefined) {
  const method = codegen["method"] as Json;
  const checkers = (method["typescript"] ?? []) as string[];
  const generators = (codegen["generators"] ?? []) as Json[];
  out.push(
    `### bench:codegen\n\n${environment(codegen)} Median of ${String(method["rounds"])} rounds; the mqgen CLI ran ${String(method["mqgenCli"])}.\n`,
  );
  out.push(
    table(
      ["generator", "wall s", "CPU s", "peak RSS MB", "files", "output MB", "lines"],
      generators.map((g) => [
        String(g["label"]),
        n(g["generateWallS"], 2),
        n(g["generateCpuS"], 2),
        n(g["generateMaxRssMb"]),
        n(g["files"]),
        n(g["outputMb"], 2),
        n(g["outputLines"]),
      ]),
    ),
    "",
  );
  const inProcess = codegen["inProcessGenerate"] as Record<string, Json> | undefined;
  for (const [variant, r] of Object.entries(inProcess ?? {})) {
    out.push(
      r["error"] === undefined
        ? `- mqgen \`generate()\` in process (${variant}, no file writes): first call ${n(r["coldMs"])} ms, warm ${n(r["warmMs"])} ms`
        : `- mqgen \`generate()\` in process (${variant}): not measured — ${String(r["error"])}`,
    );
  }
  const keys = ["repoTsc", "tsc7"].slice(0, checkers.length);
  const cells = (t: Json | undefined): string[] =>
    t === undefined ? ["—", "—", "—"] : [n(t["wallS"], 2), n(t["maxRssMb"]), n(t["errors"])];
  out.push(
    "",
    table(
      ["type-check (`--noEmit`, strict)", ...checkers.flatMap((c) => [`${c} s`, "RSS MB", "errors"])],
      [
        ...generators.map((g) => [
          String(g["label"]),
          ...keys.flatMap((k) => cells((g["typecheck"] as Record<string, Json>)[k])),
        ]),
        [
          "mqgen/runtime alone (included in the mqgen rows)",
          ...keys.flatMap((k) => cells((codegen["runtimeOnlyTypecheck"] as Record<string, Json>)[k])),
        ],
      ],
    ),
    "",
    goals(codegen),
    "",
  );
}
const gate = load("gate");
if (gate !== undefined) {
  const method = gate["method"] as Json;
  out.push(
    `### bench:gate\n\n${environment(gate)} Median of ${String(method["rounds"])} rounds; ${n(method["idleConnections"])} idle connections.\n`,
  );
  out.push(
    table(
      ["server", "p50 µs", "p99 µs", "1 in flight /s", "64 in flight /s", "idle bytes/connection"],
      ((gate["servers"] ?? []) as Json[]).map((s) => [
        String(s["label"]),
        n(s["p50Us"], 1),
        n(s["p99Us"], 1),
        n(s["serialPerSec"]),
        n(s["concurrentPerSec"]),
        n(s["idleBytesPerConnection"]),
      ]),
    ),
    "",
  );
  const floor = gate["natsVariantFloor"] as Json | undefined;
  if (floor !== undefined) {
    out.push(
      `- Floor of the NATS variant (Aedes' QoS 1 echo p50 + the bare NATS round trip p50): ${n(floor["p50Us"], 1)} µs; the gate over NATS takes ${n(floor["gateOverNatsRatio"], 2)}× that.`,
    );
  }
  for (const s of (gate["servers"] ?? []) as Json[]) {
    const failures = (s["firstCallFailures"] ?? []) as string[];
    if (failures.length > 0) out.push(`- ${String(s["label"])}: the first request after start failed before a retry (${failures.join("; ")}).`);
  }
  const fanout = (gate["fanout"] ?? []) as Json[];
  const fanoutMethod = (method["fanout"] ?? {}) as Json;
  if (fanout.length > 0) {
    out.push(
      "",
      `Fan-out: ${n(fanoutMethod["connections"])} raw clients in ${String(fanoutMethod["loadProcesses"])} load processes, 200-byte pushes, sustained ${n(Number(fanoutMethod["sustainMs"]) / 1000)} s; median of ${String(method["scaleRounds"])} rounds (Mosquitto ${String(fanoutMethod["mosquitto"])}).`,
      "",
      table(
        ["server", "one push → first delivery ms", "one push → last delivery ms", "sustained deliveries/s", "p50 ms", "p99 ms", "server RSS MB"],
        fanout.map((f) => [
          String(f["label"]),
          n(f["oneToFirstMs"], 1),
          n(f["oneToLastMs"], 1),
          n(f["deliveriesPerSec"]),
          n(f["p50Ms"], 1),
          n(f["p99Ms"], 1),
          n(f["peakRssMB"]),
        ]),
      ),
    );
    for (const f of fanout) if (f["error"] !== undefined) out.push(`- ${String(f["label"])}: not measured — ${String(f["error"])}`);
  }
  const busy = (gate["busy"] ?? []) as Json[];
  if (busy.length > 0) {
    const busyMethod = (method["busy"] ?? {}) as Json;
    out.push(
      "",
      `Busy connections: ${n(busyMethod["connections"])} clients × 1 request in flight, ${n(Number(busyMethod["runMs"]) / 1000)} s per round, rounds interleaved.`,
      "",
      table(
        ["path", "requests/s", "p50 ms", "p99 ms", "server CPU µs/request", "client CPU µs/request"],
        busy.map((b) => [
          String(b["label"]),
          n(b["requestsPerSec"]),
          n(b["p50Ms"], 1),
          n(b["p99Ms"], 1),
          n(b["serverCpuUsPerRequest"]),
          n(b["clientCpuUsPerRequest"]),
        ]),
      ),
    );
    for (const b of busy) if (b["error"] !== undefined) out.push(`- ${String(b["label"])}: not measured — ${String(b["error"])}`);
  }
  const storm = (gate["storm"] ?? []) as Json[];
  if (storm.length > 0) {
    const stormMethod = (method["storm"] ?? {}) as Json;
    out.push(
      "",
      `Connection storm: ${n(stormMethod["connections"])} clients connecting at once, a fresh server per round.`,
      "",
      table(
        ["server", "all CONNACKed ms (median)", "refused or timed out (all rounds)"],
        storm.map((x) => [
          String(x["label"]),
          x["allConnackedMs"] === null ? "never (most rounds incomplete)" : n(x["allConnackedMs"]),
          n(((x["rounds"] ?? []) as Json[]).reduce((sum, r) => sum + Number(r["refused"]) + Number(r["timedOut"]), 0)),
        ]),
      ),
    );
  }
  out.push("", goals(gate), "");
}
console.log(out.join("\n"));
