/**
 * bench:codegen — generate the same 50 × 10 corpus with mqgen (CLI, .proto and YAML), protoc-gen-es and
 * ts-proto (both through `buf generate`, which parses the .proto files as protoc would), then type-check
 * every output with the repo's TypeScript. Every step is a separate process timed end to end with GNU time
 * (wall, CPU, peak RSS); rounds are interleaved and the table shows medians.
 *
 * Env: BENCH_ROUNDS (default 3); BENCH_TSPROTO_ROUNDS (rounds for ts-proto, default 1);
 * BENCH_NO_TS7=1 (skip TypeScript 7).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  benchRoot,
  environment,
  formatGoals,
  formatNumber,
  formatTable,
  judge,
  median,
  repoRoot,
  writeResult,
  type GoalResult,
} from "../support/measure.js";
import { makeCorpus } from "./make-corpus.js";

const rounds = Number(process.env["BENCH_ROUNDS"] ?? 3);
/** ts-proto is in no goal and its generate + type-check take ~30–100 s a round on 2 cores: fewer rounds. */
const tsProtoRounds = Number(process.env["BENCH_TSPROTO_ROUNDS"] ?? 1);
const workDir = join(benchRoot, "work");
const outRoot = join(workDir, "out");
const corpus = makeCorpus(join(workDir, "corpus"), { modules: 50, handlers: 10 });
const bin = (name: string): string => join(repoRoot, "node_modules", ".bin", name);
const tscBin = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

interface Timing {
  readonly wallS: number;
  readonly cpuS: number;
  readonly maxRssMb: number;
  readonly exitCode: number;
  readonly output: string;
}

/** Runs a command under GNU time; wall and CPU include the plugin processes buf starts. */
function timed(command: string, args: readonly string[], cwd: string): Timing {
  const timeFile = join(workDir, "time.txt");
  const result = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", "-o", timeFile, command, ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const [wall = "NaN", user = "NaN", sys = "NaN", rssKb = "NaN"] = readFileSync(timeFile, "utf8")
    .trim()
    .split("\n")
    .at(-1)!
    .split(" ");
  return {
    wallS: Number(wall),
    cpuS: Number(user) + Number(sys),
    maxRssMb: Number(rssKb) / 1024,
    exitCode: result.status ?? -1,
    output: `${result.stdout}${result.stderr}`,
  };
}

interface OutputSize {
  readonly files: number;
  readonly bytes: number;
  readonly lines: number;
}

function outputSize(dir: string): OutputSize {
  let files = 0;
  let bytes = 0;
  let lines = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ts") && name !== "tsconfig.json") {
        files++;
        const text = readFileSync(full, "utf8");
        bytes += Buffer.byteLength(text);
        lines += text.split("\n").length;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return { files, bytes, lines };
}

function bufTemplate(plugin: string, out: string, opts: readonly string[]): string {
  const path = join(workDir, `buf.gen.${out}.yaml`);
  const optLine = opts.length === 0 ? "" : `\n    opt: [${opts.join(", ")}]`;
  writeFileSync(path, `version: v2\nplugins:\n  - local: ${plugin}\n    out: out/${out}${optLine}\n`);
  return path;
}

interface Generator {
  readonly name: string;
  readonly label: string;
  readonly outDir: string;
  /** Why it cannot run, if it cannot. */
  readonly unavailable?: string;
  run(): Timing;
}

const mqgenCli = join(repoRoot, "bin", "mqgen.js");
const mqgenMissing = existsSync(mqgenCli) ? undefined : "bin/mqgen.js is not there yet";

function mqgenGenerator(name: string, label: string, schemaDir: string): Generator {
  const outDir = join(outRoot, name);
  const base = { name, label, outDir, run: () => timed(process.execPath, [mqgenCli, schemaDir, "-o", outDir], repoRoot) };
  return mqgenMissing === undefined ? base : { ...base, unavailable: mqgenMissing };
}

const generators: readonly Generator[] = [
  mqgenGenerator("mqgen-proto", "mqgen CLI (.proto)", corpus.protoDir),
  mqgenGenerator("mqgen-yaml", "mqgen CLI (YAML)", corpus.yamlDir),
  {
    name: "protoc-gen-es",
    label: "protoc-gen-es 2.17 (buf generate, target=ts)",
    outDir: join(outRoot, "protoc-gen-es"),
    run: () =>
      timed(
        bin("buf"),
        ["generate", relative(workDir, corpus.protoDir), "--template", bufTemplate(bin("protoc-gen-es"), "protoc-gen-es", ["target=ts"])],
        workDir,
      ),
  },
  {
    name: "ts-proto",
    label: "ts-proto 2.18 (buf generate)",
    outDir: join(outRoot, "ts-proto"),
    run: () =>
      timed(
        bin("buf"),
        [
          "generate",
          relative(workDir, corpus.protoDir),
          "--template",
          bufTemplate(bin("protoc-gen-ts_proto"), "ts-proto", ["esModuleInterop=true", "forceLong=bigint", "importSuffix=.js"]),
        ],
        workDir,
      ),
  },
];

/** strict + skipLibCheck; `mqgen/runtime` resolves to the repo's runtime sources, as in the repo itself. */
function writeTsconfig(dir: string): string {
  const path = join(dir, "tsconfig.json");
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2023", "DOM"],
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      verbatimModuleSyntax: true,
      types: ["node"],
      paths: {
        "mqgen/runtime": [join(repoRoot, "runtime", "index.ts")],
        "mqgen/gate-client": [join(repoRoot, "runtime", "gate", "client", "index.ts")],
      },
    },
    include: ["**/*.ts"],
  };
  writeFileSync(path, `${JSON.stringify(tsconfig, null, 2)}\n`);
  return path;
}

function countErrors(output: string): number {
  return (output.match(/error TS\d+/g) ?? []).length;
}

/**
 * TypeScript 7 (native), when the repo's own TypeScript is older: installed on first use into bench/work/ts7
 * with its own package.json, so the repo's package.json and lock file stay untouched. BENCH_NO_TS7=1 skips it.
 */
function typescript7(): { bin: string; version: string } | { unavailable: string } {
  if (process.env["BENCH_NO_TS7"] === "1") return { unavailable: "skipped (BENCH_NO_TS7=1)" };
  const dir = join(workDir, "ts7");
  const binPath = join(dir, "node_modules", ".bin", "tsc");
  if (!existsSync(binPath)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), '{ "name": "bench-typescript7", "private": true }\n');
    const install = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "typescript@7.0.2"], {
      cwd: dir,
      encoding: "utf8",
    });
    if (install.status !== 0 || !existsSync(binPath)) {
      return { unavailable: `npm install typescript@7.0.2 failed: ${(install.stderr ?? "").trim().split("\n").at(-1) ?? ""}` };
    }
  }
  const pkg = JSON.parse(readFileSync(join(dir, "node_modules", "typescript", "package.json"), "utf8")) as { version: string };
  return { bin: binPath, version: pkg.version };
}

interface Checker {
  readonly name: string;
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
}

const repoTsVersion = (JSON.parse(readFileSync(join(repoRoot, "node_modules", "typescript", "package.json"), "utf8")) as { version: string }).version;
const repoTsIsNative = Number(repoTsVersion.split(".")[0]) >= 7;
const checkers: Checker[] = [
  { name: "repoTsc", label: `tsc ${repoTsVersion} (repo)`, command: process.execPath, args: [tscBin] },
];
// Before the repo itself moved to TypeScript 7, the native compiler was measured beside it.
if (!repoTsIsNative) {
  const ts7 = typescript7();
  if ("bin" in ts7) checkers.push({ name: "tsc7", label: `tsc ${ts7.version} (native)`, command: ts7.bin, args: [] });
  else console.log(`TypeScript 7 not measured: ${ts7.unavailable}`);
}

interface TypecheckTarget {
  readonly name: string;
  readonly label: string;
  readonly dir: string;
}

/** What mqgen's rows cost without any generated code: the runtime they import, alone. */
const runtimeBaselineDir = join(outRoot, "runtime-only");
rmSync(runtimeBaselineDir, { recursive: true, force: true });
mkdirSync(runtimeBaselineDir, { recursive: true });
writeFileSync(join(runtimeBaselineDir, "index.ts"), 'export type { ModuleDescriptor } from "mqgen/runtime";\n');

interface GeneratorOutcome {
  readonly generate: Timing[];
  size?: OutputSize;
  error?: string;
}

const env = await environment();
const outcomes = new Map<string, GeneratorOutcome>(generators.map((g) => [g.name, { generate: [] }]));
for (const g of generators) if (g.unavailable !== undefined) outcomes.get(g.name)!.error = g.unavailable;
const runnable = generators.filter((g) => g.unavailable === undefined);

for (let round = 0; round < rounds; round++) {
  const order = runnable.map((_, i) => runnable[(i + round) % runnable.length]!);
  for (const g of order) {
    const outcome = outcomes.get(g.name)!;
    if (outcome.error !== undefined) continue;
    if (g.name === "ts-proto" && round >= tsProtoRounds) continue;
    rmSync(g.outDir, { recursive: true, force: true });
    mkdirSync(g.outDir, { recursive: true });
    const timing = g.run();
    if (timing.exitCode !== 0) {
      outcome.error = `exit ${timing.exitCode}: ${timing.output.trim().split("\n").slice(0, 3).join(" | ")}`;
      console.log(`${g.name}: failed — ${outcome.error}`);
      continue;
    }
    outcome.generate.push(timing);
    console.log(`round ${round + 1}/${rounds} generate ${g.name}: ${timing.wallS.toFixed(2)} s`);
  }
}
for (const g of runnable) outcomes.get(g.name)!.size = outputSize(g.outDir);

const targets: TypecheckTarget[] = [
  ...runnable.filter((g) => outcomes.get(g.name)!.error === undefined).map((g) => ({ name: g.name, label: g.label, dir: g.outDir })),
  { name: "runtime-only", label: "mqgen/runtime alone (no generated code)", dir: runtimeBaselineDir },
];
/** target → checker → timings */
const typechecks = new Map<string, Map<string, { timings: Timing[]; errors: number }>>();
for (let round = 0; round < rounds; round++) {
  for (const target of targets) {
    if (target.name === "ts-proto" && round >= tsProtoRounds) continue;
    const tsconfig = writeTsconfig(target.dir);
    for (const checker of checkers) {
      const timing = timed(checker.command, [...checker.args, "--noEmit", "-p", tsconfig], target.dir);
      const perTarget = typechecks.get(target.name) ?? new Map<string, { timings: Timing[]; errors: number }>();
      typechecks.set(target.name, perTarget);
      const entry = perTarget.get(checker.name) ?? { timings: [], errors: 0 };
      perTarget.set(checker.name, entry);
      entry.timings.push(timing);
      entry.errors = countErrors(timing.output) + (timing.exitCode !== 0 && countErrors(timing.output) === 0 ? 1 : 0);
      console.log(`round ${round + 1}/${rounds} ${checker.label} ${target.name}: ${timing.wallS.toFixed(2)} s, ${entry.errors} errors`);
    }
  }
}

interface TypecheckSummary {
  readonly wallS: number;
  readonly maxRssMb: number;
  readonly errors: number;
}
function typecheckOf(target: string, checker: string): TypecheckSummary {
  const entry = typechecks.get(target)?.get(checker);
  if (entry === undefined) return { wallS: Number.NaN, maxRssMb: Number.NaN, errors: Number.NaN };
  return {
    wallS: median(entry.timings.map((t) => t.wallS)),
    maxRssMb: median(entry.timings.map((t) => t.maxRssMb)),
    errors: entry.errors,
  };
}

/** In-process `generate()` of the codegen API, first (cold) call and warm calls, in its own process. */
interface InProcess {
  readonly coldMs: number;
  readonly warmMs: number;
  readonly error?: string;
}
function measureInProcess(schemaDir: string): InProcess {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(benchRoot, "codegen", "in-process.ts"), schemaDir, String(Math.max(3, rounds))],
    { cwd: repoRoot, encoding: "utf8" },
  );
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  try {
    const parsed = JSON.parse(line) as { coldMs?: number; warmMs?: number[]; error?: string };
    if (parsed.error !== undefined) return { coldMs: Number.NaN, warmMs: Number.NaN, error: parsed.error };
    return { coldMs: parsed.coldMs ?? Number.NaN, warmMs: median(parsed.warmMs ?? []) };
  } catch {
    return { coldMs: Number.NaN, warmMs: Number.NaN, error: (result.stderr || line).trim().split("\n")[0] ?? "failed" };
  }
}
const inProcess = { proto: measureInProcess(corpus.protoDir), yaml: measureInProcess(corpus.yamlDir) };

interface Summary {
  readonly name: string;
  readonly label: string;
  readonly generateWallS: number;
  readonly generateCpuS: number;
  readonly generateMaxRssMb: number;
  readonly files: number;
  readonly outputMb: number;
  readonly outputLines: number;
  readonly typecheck: Readonly<Record<string, TypecheckSummary>>;
  readonly error?: string;
}

const typecheckRecord = (target: string): Record<string, TypecheckSummary> =>
  Object.fromEntries(checkers.map((c) => [c.name, typecheckOf(target, c.name)]));

const summaries = generators.map((g): Summary => {
  const o = outcomes.get(g.name)!;
  const base = {
    name: g.name,
    label: g.label,
    generateWallS: median(o.generate.map((t) => t.wallS)),
    generateCpuS: median(o.generate.map((t) => t.cpuS)),
    generateMaxRssMb: median(o.generate.map((t) => t.maxRssMb)),
    files: o.size?.files ?? Number.NaN,
    outputMb: (o.size?.bytes ?? Number.NaN) / 1e6,
    outputLines: o.size?.lines ?? Number.NaN,
    typecheck: typecheckRecord(g.name),
  };
  return o.error === undefined ? base : { ...base, error: o.error };
});
const runtimeOnly = typecheckRecord("runtime-only");
const get = (name: string): Summary => summaries.find((s) => s.name === name)!;

/** Wall time is the goal; the CPU-time ratio goes in the note since it moves less with machine load. */
const cpuNote = (mqgen: string): string =>
  `CPU-time ratio ${formatNumber(get("protoc-gen-es").generateCpuS / get(mqgen).generateCpuS, 2)}×`;
const goals: GoalResult[] = [
  judge(
    "mqgen CLI (.proto) ≥ 2× faster than protoc-gen-es (wall, end to end)",
    get("protoc-gen-es").generateWallS,
    get("mqgen-proto").generateWallS,
    "atLeast",
    2,
    cpuNote("mqgen-proto"),
  ),
  judge(
    "mqgen CLI (YAML) ≥ 2× faster than protoc-gen-es (wall, end to end)",
    get("protoc-gen-es").generateWallS,
    get("mqgen-yaml").generateWallS,
    "atLeast",
    2,
    cpuNote("mqgen-yaml"),
  ),
];
for (const variant of ["mqgen-proto", "mqgen-yaml"]) {
  for (const checker of checkers) {
    const t = get(variant).typecheck[checker.name] ?? { wallS: Number.NaN, errors: Number.NaN, maxRssMb: Number.NaN };
    goals.push(
      judge(
        `${checker.label} --noEmit of ${variant} output < 1 s`,
        t.errors === 0 ? t.wallS : Number.NaN,
        1,
        "atMost",
        1,
        `${formatNumber(t.wallS, 2)} s, ${formatNumber(t.errors)} errors`,
      ),
    );
  }
}

/** bin/mqgen.js runs dist/ when it is at least as new as the sources, else the sources through tsx. */
const compiledCli = join(repoRoot, "dist", "codegen", "cli", "main.js");
const cliMode =
  existsSync(compiledCli) && statSync(compiledCli).mtimeMs >= statSync(join(repoRoot, "codegen", "cli", "main.ts")).mtimeMs
    ? "the compiled dist/ build"
    : "the TypeScript sources through tsx";
console.log(
  `\nbench:codegen — ${corpus.files} modules × ${corpus.handlers / corpus.files} handlers (${corpus.messages} messages), median of ${rounds} rounds; mqgen CLI ran ${cliMode}\n`,
);
console.log(
  formatTable(
    ["generator", "wall s", "CPU s", "peak RSS MB", "files", "output MB", "lines"],
    summaries.map((s) =>
      !Number.isFinite(s.generateWallS)
        ? [s.label, "—", "—", "—", "—", "—", "not measured"]
        : [
            s.label,
            formatNumber(s.generateWallS, 2),
            formatNumber(s.generateCpuS, 2),
            formatNumber(s.generateMaxRssMb),
            formatNumber(s.files),
            formatNumber(s.outputMb, 2),
            formatNumber(s.outputLines),
          ],
    ),
  ),
);
for (const s of summaries) if (s.error !== undefined) console.log(`${s.label}: ${s.error}`);
for (const [variant, r] of Object.entries(inProcess)) {
  console.log(
    r.error === undefined
      ? `mqgen generate() in process (${variant}, no file writes): first call ${formatNumber(r.coldMs)} ms, warm ${formatNumber(r.warmMs)} ms`
      : `mqgen generate() in process (${variant}): not measured — ${r.error}`,
  );
}
console.log("");
console.log(
  formatTable(
    ["type-check (--noEmit, strict)", ...checkers.flatMap((c) => [`${c.label} s`, "RSS MB", "errors"])],
    [
      ...summaries
        .filter((s) => Number.isFinite(s.generateWallS))
        .map((s) => [s.label, ...checkers.flatMap((c) => typecheckCells(s.typecheck[c.name]))]),
      ["mqgen/runtime alone (included in the mqgen rows)", ...checkers.flatMap((c) => typecheckCells(runtimeOnly[c.name]))],
    ],
  ),
);
console.log(`\n${formatGoals(goals)}\n`);

function typecheckCells(t: TypecheckSummary | undefined): string[] {
  if (t === undefined) return ["—", "—", "—"];
  return [formatNumber(t.wallS, 2), formatNumber(t.maxRssMb), formatNumber(t.errors)];
}

const path = writeResult("codegen", {
  benchmark: "codegen",
  environment: env,
  method: {
    corpus: { ...corpus, protoDir: "bench/work/corpus/proto", yamlDir: "bench/work/corpus/yaml" },
    rounds,
    timing: "GNU time per process (wall, user+sys CPU incl. plugin children, peak RSS); median over rounds",
    typescript: checkers.map((c) => c.label),
    typecheckConfig: "strict, skipLibCheck, NodeNext, one tsconfig per output dir, mqgen/runtime mapped to the repo's runtime sources",
    mqgenCli: cliMode,
  },
  generators: summaries.map((s) => ({
    ...s,
    perRound: {
      generate: outcomes.get(s.name)!.generate.map(({ output: _o, ...t }) => t),
      typecheck: Object.fromEntries(
        [...(typechecks.get(s.name) ?? new Map<string, { timings: Timing[] }>()).entries()].map(([k, v]) => [
          k,
          v.timings.map(({ output: _o, ...t }) => t),
        ]),
      ),
    },
  })),
  runtimeOnlyTypecheck: runtimeOnly,
  inProcessGenerate: inProcess,
  goals,
});
console.log(`wrote ${path}`);

// The scale part (10 MB against protoc-gen-es, YAML against .proto, doubling) runs in its own process.
if (process.env["BENCH_SCALE"] !== "0") {
  const scale = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "bench", "codegen", "scale.ts")], { stdio: "inherit" });
  if (scale.status !== 0) process.exitCode = scale.status ?? 1;
}
