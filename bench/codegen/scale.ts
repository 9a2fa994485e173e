/**
 * bench:codegen, scale part — the same ~10 MB .proto corpus through mqgen and protoc-gen-es in one run,
 * the YAML corpus of the same content through mqgen, and both mqgen front ends again at twice the size.
 * Goals (issue #14): mqgen ≤ 0.5× protoc-gen-es' wall time and ≤ 1× its peak RSS on 10 MB; YAML within
 * 1.2× of mqgen's own .proto time; doubling the corpus at most doubles the time. Every step is its own
 * process under GNU time (wall, CPU incl. children such as buf, peak RSS).
 *
 * Run by bench/codegen/run.ts (BENCH_SCALE=0 skips it) or alone: `node --import tsx bench/codegen/scale.ts`.
 * Env: BENCH_SCALE_MB (default 10), BENCH_SCALE_ROUNDS (default 1).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { benchRoot, environment, formatGoals, formatNumber, formatTable, judge, median, repoRoot, writeResult, type GoalResult } from "../support/measure.js";
import { makeCorpus } from "./make-corpus.js";

const targetMb = Number(process.env["BENCH_SCALE_MB"] ?? 10);
const rounds = Number(process.env["BENCH_SCALE_ROUNDS"] ?? 1);
const workDir = join(benchRoot, "work", "scale");
const bin = (name: string): string => join(repoRoot, "node_modules", ".bin", name);
const mqgenCli = join(repoRoot, "bin", "mqgen.js");
/** makeCorpus writes about 6.1 KB of .proto per module of 10 handlers. */
const modulesFor = (mb: number): number => Math.max(1, Math.round((mb * 1_000_000) / 6_100));

interface Timing {
  readonly wallS: number;
  readonly cpuS: number;
  readonly maxRssMb: number;
  readonly exitCode: number;
  readonly output: string;
}

function timed(command: string, args: readonly string[], cwd: string): Timing {
  const timeFile = join(workDir, "time.txt");
  const result = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", "-o", timeFile, command, ...args], { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const [wall = "NaN", user = "NaN", sys = "NaN", rssKb = "NaN"] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ");
  return { wallS: Number(wall), cpuS: Number(user) + Number(sys), maxRssMb: Number(rssKb) / 1024, exitCode: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function bytesOf(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, name);
    if (statSync(full).isFile()) total += statSync(full).size;
  }
  return total;
}

interface Row {
  readonly name: string;
  readonly label: string;
  readonly inputMb: number;
  readonly timings: Timing[];
  error?: string;
}

mkdirSync(workDir, { recursive: true });
const base = makeCorpus(join(workDir, "corpus-1x"), { modules: modulesFor(targetMb), handlers: 10 });
const double = makeCorpus(join(workDir, "corpus-2x"), { modules: modulesFor(targetMb) * 2, handlers: 10 });
const template = join(workDir, "buf.gen.es.yaml");
writeFileSync(template, `version: v2\nplugins:\n  - local: ${bin("protoc-gen-es")}\n    out: out/es\n    opt: [target=ts]\n`);

const steps: { row: Row; run: () => Timing }[] = [];
const add = (name: string, label: string, dir: string, run: () => Timing): void => {
  steps.push({ row: { name, label, inputMb: bytesOf(dir) / 1e6, timings: [] }, run });
};
const mqgen = (dir: string, out: string) => () => timed(process.execPath, [mqgenCli, dir, "-o", join(workDir, "out", out)], repoRoot);
add("mqgen-proto", "mqgen CLI (.proto)", base.protoDir, mqgen(base.protoDir, "mqgen-proto"));
add("mqgen-yaml", "mqgen CLI (YAML)", base.yamlDir, mqgen(base.yamlDir, "mqgen-yaml"));
add("protoc-gen-es", "protoc-gen-es (buf generate, target=ts)", base.protoDir, () =>
  timed(bin("buf"), ["generate", relative(workDir, base.protoDir), "--template", template], workDir),
);
add("mqgen-proto-2x", "mqgen CLI (.proto), twice the corpus", double.protoDir, mqgen(double.protoDir, "mqgen-proto-2x"));
add("mqgen-yaml-2x", "mqgen CLI (YAML), twice the corpus", double.yamlDir, mqgen(double.yamlDir, "mqgen-yaml-2x"));

const env = await environment();
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < steps.length; i++) {
    const { row, run } = steps[(i + round) % steps.length]!;
    if (row.error !== undefined) continue;
    rmSync(join(workDir, "out"), { recursive: true, force: true });
    const timing = run();
    if (timing.exitCode !== 0) {
      row.error = `exit ${timing.exitCode}: ${timing.output.trim().split("\n").slice(0, 3).join(" | ")}`;
      console.log(`${row.name}: failed — ${row.error}`);
      continue;
    }
    row.timings.push(timing);
    console.log(`scale round ${round + 1}/${rounds} ${row.name} (${formatNumber(row.inputMb, 1)} MB): ${timing.wallS.toFixed(2)} s wall, ${timing.cpuS.toFixed(2)} s CPU, ${formatNumber(timing.maxRssMb)} MB`);
  }
}
rmSync(join(workDir, "out"), { recursive: true, force: true });

const summary = (name: string) => {
  const row = steps.find((s) => s.row.name === name)!.row;
  return {
    wallS: median(row.timings.map((t) => t.wallS)),
    cpuS: median(row.timings.map((t) => t.cpuS)),
    maxRssMb: median(row.timings.map((t) => t.maxRssMb)),
    inputMb: row.inputMb,
  };
};
const [proto, yaml, es, proto2, yaml2] = ["mqgen-proto", "mqgen-yaml", "protoc-gen-es", "mqgen-proto-2x", "mqgen-yaml-2x"].map(summary) as [
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
  ReturnType<typeof summary>,
];
const cpu = (a: { cpuS: number }, b: { cpuS: number }): string => `CPU-time ratio ${formatNumber(a.cpuS / b.cpuS, 2)}×`;
const goals: GoalResult[] = [
  judge(`mqgen CLI (.proto) ≤ 0.5× protoc-gen-es' time on ${formatNumber(proto.inputMb, 1)} MB (wall)`, proto.wallS, es.wallS, "atMost", 0.5, cpu(proto, es)),
  judge(`mqgen CLI (.proto) peak RSS ≤ 1× protoc-gen-es'`, proto.maxRssMb, es.maxRssMb, "atMost", 1, `${formatNumber(proto.maxRssMb)} MB vs ${formatNumber(es.maxRssMb)} MB`),
  judge(`mqgen CLI (YAML) within 1.2× of mqgen's .proto time, same content (wall)`, yaml.wallS, proto.wallS, "atMost", 1.2, cpu(yaml, proto)),
  judge(`mqgen CLI (.proto): twice the corpus at most twice the time (wall)`, proto2.wallS, proto.wallS, "atMost", 2, cpu(proto2, proto)),
  judge(`mqgen CLI (YAML): twice the corpus at most twice the time (wall)`, yaml2.wallS, yaml.wallS, "atMost", 2, cpu(yaml2, yaml)),
];
console.log(`\nbench:codegen scale — ${base.files} modules (${formatNumber(proto.inputMb, 1)} MB .proto) and ${double.files} modules, median of ${rounds} round(s)\n`);
console.log(
  formatTable(
    ["generator", "input MB", "wall s", "CPU s", "peak RSS MB"],
    steps.map(({ row }) => {
      const s = summary(row.name);
      return row.error !== undefined ? [row.label, formatNumber(row.inputMb, 1), "—", "—", row.error] : [row.label, formatNumber(row.inputMb, 1), formatNumber(s.wallS, 2), formatNumber(s.cpuS, 2), formatNumber(s.maxRssMb)];
    }),
  ),
);
console.log(`\n${formatGoals(goals)}\n`);
const path = writeResult("codegen-scale", {
  benchmark: "codegen-scale",
  environment: env,
  method: { targetMb, rounds, corpus: { modules: base.files, doubled: double.files, handlersPerModule: 10 }, timing: "GNU time per process (wall, user+sys CPU incl. children such as buf and plugins, peak RSS); median over rounds" },
  rows: steps.map(({ row }) => ({ name: row.name, label: row.label, inputMb: row.inputMb, error: row.error, perRound: row.timings.map(({ output: _o, ...t }) => t) })),
  goals,
});
console.log(`wrote ${path}`);
