/**
 * bench:typecheck — how long a consumer's `tsc` takes on a small app that imports the runtime and one
 * generated module: mqgen (its published `.d.ts` in dist/ plus `mqgen` output for schemas/helloworld.yaml)
 * against the same app written with protobuf-es (@bufbuild/protobuf's runtime plus protoc-gen-es output for
 * the equivalent .proto). Both apps use the tsconfig `mqgen init` writes (@tsconfig/strictest, ES2022,
 * NodeNext, types node), run in interleaved rounds on the same machine; the goal is mqgen ≤ 1× protobuf-es.
 * Besides wall time it records the CPU time of each tsc (user + system of the process and its children, as
 * the shell's `times` reports it, in clock ticks): on a shared machine it moves far less than wall time.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { environment, formatGoals, formatNumber, formatTable, judge, median, repoRoot, writeResult } from "../support/measure.js";

const rounds = Number(process.env["BENCH_ROUNDS"] ?? 7);
const work = join(repoRoot, "bench", "work", "typecheck");
const bin = (name: string): string => join(repoRoot, "node_modules", ".bin", name);
const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

function must(cmd: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const TSCONFIG = {
  extends: "@tsconfig/strictest/tsconfig.json",
  compilerOptions: { target: "ES2022", lib: ["ES2022"], module: "NodeNext", moduleResolution: "NodeNext", types: ["node"], noEmit: true },
  include: ["main.ts", "gen"],
};

interface App {
  readonly name: string;
  readonly label: string;
  readonly dir: string;
}

function prepare(): App[] {
  rmSync(work, { recursive: true, force: true });
  // The published shape: dist/ with declarations, reached through package.json "exports" as a user would.
  must(process.execPath, [tsc, "-p", "tsconfig.build.json"], repoRoot);
  mkdirSync(join(work, "node_modules"), { recursive: true });
  symlinkSync(repoRoot, join(work, "node_modules", "mqgen"), "dir");

  const mqgen = join(work, "mqgen");
  mkdirSync(join(mqgen, "schemas"), { recursive: true });
  copyFileSync(join(repoRoot, "schemas", "helloworld.yaml"), join(mqgen, "schemas", "helloworld.yaml"));
  must(process.execPath, [join(repoRoot, "bin", "mqgen.js"), "schemas", "-o", "gen", "--no-lock"], mqgen);
  writeFileSync(
    join(mqgen, "main.ts"),
    `import { createApp, type CallContext, type Module, type ModuleContext } from "mqgen/runtime";
import { HelloworldClient, registerHelloworld, type HelloworldHandlers } from "./gen/helloworld.js";

class Helloworld implements Module, HelloworldHandlers {
  readonly type = "helloworld";
  readonly version = "1.0.0";
  onInit(ctx: ModuleContext): void {
    registerHelloworld(ctx.server, this);
  }
  sayHi(name: string, _ctx: CallContext): string {
    return \`hi \${name}\`;
  }
}

const app = createApp({ parseFlags: false, env: {} });
await app.start([new Helloworld()]);
export const greeting: string = await new HelloworldClient(app).sayHi("mqant", { timeout: 1_000 });
await app.stop();
`,
  );

  const es = join(work, "protobuf-es");
  mkdirSync(join(es, "proto"), { recursive: true });
  writeFileSync(
    join(es, "proto", "helloworld.proto"),
    `syntax = "proto3";
package helloworld;
message SayHiRequest { string name = 1; }
message SayHiResponse { string greeting = 1; }
service Helloworld { rpc SayHi(SayHiRequest) returns (SayHiResponse); }
`,
  );
  writeFileSync(join(es, "buf.gen.yaml"), `version: v2\nplugins:\n  - local: ${bin("protoc-gen-es")}\n    out: gen\n    opt: [target=ts]\n`);
  must(bin("buf"), ["generate", "proto"], es);
  writeFileSync(
    join(es, "main.ts"),
    `import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Helloworld, SayHiRequestSchema, SayHiResponseSchema, type SayHiResponse } from "./gen/helloworld_pb.js";

const request = create(SayHiRequestSchema, { name: "mqant" });
const received = fromBinary(SayHiRequestSchema, toBinary(SayHiRequestSchema, request));
const response: SayHiResponse = create(SayHiResponseSchema, { greeting: \`hi \${received.name}\` });
export const greeting: string = fromBinary(SayHiResponseSchema, toBinary(SayHiResponseSchema, response)).greeting;
export const method: string = Helloworld.method.sayHi.name;
`,
  );
  for (const dir of [mqgen, es]) writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  return [
    { name: "mqgen", label: "mqgen/runtime + mqgen output", dir: mqgen },
    { name: "protobuf-es", label: "@bufbuild/protobuf + protoc-gen-es output", dir: es },
  ];
}

interface Check {
  readonly wallS: number;
  readonly cpuS: number;
  readonly errors: number;
  readonly errorLines: string[];
}

/** `times` prints the shell's user and system time, then its children's: `0m0.230000s 0m0.090000s`. */
function childrenCpuS(timesOutput: string): number {
  const children = timesOutput.trim().split("\n").at(-1) ?? "";
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return parts.length === 2 ? (parts[0] ?? NaN) + (parts[1] ?? NaN) : NaN;
}

function check(app: App): Check {
  const started = performance.now();
  // tsc's own output goes to stderr, so stdout holds only what `times` says about it.
  const result = spawnSync("/bin/sh", ["-c", '"$@" 1>&2; status=$?; times; exit $status', "sh", process.execPath, tsc, "-p", "tsconfig.json"], {
    cwd: app.dir,
    encoding: "utf8",
  });
  const wallS = (performance.now() - started) / 1000;
  const errorLines = result.stderr.split("\n").filter((l) => /error TS\d+/.test(l));
  return { wallS, cpuS: childrenCpuS(result.stdout), errors: errorLines.length, errorLines };
}

/** What the app's program reads: files, declaration files, and the bytes of those outside @types/node and the TypeScript libs. */
function filesLoaded(app: App): { files: number; declarationFiles: number; libraryBytes: number } {
  const listed = must(process.execPath, [tsc, "-p", "tsconfig.json", "--listFilesOnly"], app.dir).split("\n").filter((l) => l.trim() !== "");
  const shared = /\/node_modules\/(@types\/node|undici-types|typescript|@typescript)\//;
  const libraryBytes = listed.filter((l) => l.endsWith(".d.ts") && !shared.test(l)).reduce((sum, l) => sum + readFileSync(l).length, 0);
  return { files: listed.length, declarationFiles: listed.filter((l) => l.endsWith(".d.ts")).length, libraryBytes };
}

const apps = prepare();
// One untimed pass each warms the file cache, so the first measured round is not the only cold one.
for (const app of apps) check(app);
const samples = new Map<string, Check[]>(apps.map((a) => [a.name, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? apps : [...apps].reverse();
  for (const app of order) samples.get(app.name)?.push(check(app));
}

const summaries = apps.map((app) => {
  const runs = samples.get(app.name) ?? [];
  const last = runs.at(-1);
  return {
    name: app.name,
    label: app.label,
    medianWallS: median(runs.map((r) => r.wallS)),
    wallS: runs.map((r) => Number(r.wallS.toFixed(3))),
    medianCpuS: median(runs.map((r) => r.cpuS)),
    cpuS: runs.map((r) => Number(r.cpuS.toFixed(3))),
    errors: last?.errors ?? NaN,
    errorLines: last?.errorLines ?? [],
    ...filesLoaded(app),
  };
});
const get = (name: string): (typeof summaries)[number] => summaries.find((s) => s.name === name) as (typeof summaries)[number];
const goals = [
  judge(
    "consumer type-check: mqgen app ≤ 1× the protobuf-es app (wall, median)",
    get("mqgen").medianWallS,
    get("protobuf-es").medianWallS,
    "atMost",
    1,
    `${formatNumber(get("mqgen").medianWallS, 2)} s vs ${formatNumber(get("protobuf-es").medianWallS, 2)} s`,
  ),
  judge(
    "consumer type-check: mqgen app ≤ 1× the protobuf-es app (CPU, median)",
    get("mqgen").medianCpuS,
    get("protobuf-es").medianCpuS,
    "atMost",
    1,
    `${formatNumber(get("mqgen").medianCpuS, 2)} s vs ${formatNumber(get("protobuf-es").medianCpuS, 2)} s`,
  ),
];

console.log(`\nbench:typecheck — tsc ${must(process.execPath, [tsc, "--version"], repoRoot).trim()}, @tsconfig/strictest, median of ${rounds} interleaved rounds\n`);
console.log(
  formatTable(
    ["app", "tsc wall s", "tsc CPU s", "files", ".d.ts files", "library .d.ts KB", "errors"],
    summaries.map((s) => [
      s.label,
      formatNumber(s.medianWallS, 3),
      formatNumber(s.medianCpuS, 2),
      String(s.files),
      String(s.declarationFiles),
      formatNumber(s.libraryBytes / 1024, 0),
      String(s.errors),
    ]),
  ),
);
console.log(`\n${formatGoals(goals)}`);
for (const s of summaries) if (s.errors > 0) console.log(`\n${s.label}: ${s.errors} type error(s) under strictest:\n  ${s.errorLines.join("\n  ")}`);
const path = writeResult("typecheck", {
  benchmark: "typecheck",
  environment: await environment(),
  method: {
    rounds,
    timing:
      "wall time and CPU time (user + system, the shell's `times`, 10 ms ticks) of one `tsc -p tsconfig.json` process per app, interleaved rounds after one warm-up pass; median",
    libraryBytes: "bytes of the .d.ts files the program reads other than @types/node, undici-types and TypeScript's libs",
    tsconfig: TSCONFIG,
    mqgen: "dist/ built by tsc -p tsconfig.build.json, reached as node_modules/mqgen through package.json exports; gen/ = mqgen output for schemas/helloworld.yaml",
    peer: "@bufbuild/protobuf runtime; gen/ = protoc-gen-es (target=ts) output for the equivalent helloworld.proto via buf generate",
  },
  results: summaries,
  goals,
});
console.log(`\nwrote ${path}`);
if (existsSync(work)) rmSync(work, { recursive: true, force: true });
