import { existsSync, statSync, watch } from "node:fs";
import { relative, resolve, sep } from "node:path";
import { formatDiagnostic, generate } from "../../index.js";
import type { Diagnostic } from "../../index.js";
import { commandArgs, formatFlag, stringFlag, UsageError } from "../args.js";
import type { OutputFormat } from "../args.js";
import type { CliIO, Command } from "../command.js";
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK } from "../command.js";
import { writeGenerated } from "../output.js";
import { contractBaselineOf, LOCK_FLAGS, LOCK_FLAGS_HELP } from "../contract-baseline.js";
import type { ContractSnapshot } from "../../breaking/index.js";

const FLAGS = [
  { names: ["--out", "-o"], takesValue: true },
  { names: ["--impl"], takesValue: true },
  { names: ["--watch", "-w"], takesValue: false },
  { names: ["--format"], takesValue: true },
  { names: ["--help", "-h"], takesValue: false },
  ...LOCK_FLAGS,
];

const HELP = `Usage: mqgen [schemas/] [-o generated/] [--impl dir] [--watch] [--format text|json] [--lock file | --no-lock]

Generates typed TypeScript from the YAML (*.yaml, *.yml) and protobuf (*.proto) schemas in schemas/
(default: schemas/) into the output folder (default: generated/). Only files that changed are written;
generated files whose schema is gone are deleted. Files without the mqgen header are never touched.

Options:
  -o, --out <dir>    output folder (default: generated/)
  --impl <dir>       also keep starter implementations in <dir> in sync: create <dir>/<module>.module.ts for a
                     new module, add a method stub for each new handler to the existing class; never changes
                     what is already written there
  -w, --watch        regenerate whenever a schema changes (Ctrl-C to stop)
  --format <f>       text (default) or json (diagnostics and written files as one JSON object)
${LOCK_FLAGS_HELP}
  -h, --help         this help

Other commands: mqgen check --help

${EXIT_CODES_HELP}
`;

export interface GenerateRun {
  readonly ok: boolean;
  readonly diagnostics: readonly Diagnostic[];
  readonly written: readonly string[];
  readonly deleted: readonly string[];
  readonly skeletons: readonly string[];
  readonly warnings: readonly { readonly file: string; readonly message: string }[];
  readonly ms: number;
}

export async function runGenerateOnce(
  schemaDir: string,
  outDir: string,
  implDir: string | undefined,
  baseline?: ContractSnapshot,
): Promise<GenerateRun> {
  const started = performance.now();
  const result = generate({ schemaDir, baseline });
  if (result.diagnostics.length > 0) {
    return { ok: false, diagnostics: result.diagnostics, written: [], deleted: [], skeletons: [], warnings: [], ms: performance.now() - started };
  }
  const summary = writeGenerated(outDir, result.files);
  let skeletons: string[] = [];
  const warnings: { file: string; message: string }[] = [];
  if (implDir !== undefined) {
    // ts-morph costs ~300 ms to load, so only sync runs pay for it.
    const { syncSkeletons } = await import("../../sync/skeleton.js");
    skeletons = syncSkeletons(result.model, { implDir, outDir, onSkip: (file, message) => warnings.push({ file, message }) });
  }
  return {
    ok: true,
    diagnostics: [],
    written: summary.written,
    deleted: summary.deleted,
    skeletons,
    warnings,
    ms: performance.now() - started,
  };
}

function report(run: GenerateRun, format: OutputFormat, io: CliIO): void {
  if (format === "json") {
    const { ok, diagnostics, written, deleted, skeletons, warnings } = run;
    io.out(`${JSON.stringify({ ok, diagnostics, written, deleted, skeletons, warnings })}\n`);
    return;
  }
  if (!run.ok) {
    for (const d of run.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    io.err(`${run.diagnostics.length} error${run.diagnostics.length === 1 ? "" : "s"}\n`);
    return;
  }
  for (const w of run.warnings) io.err(`mqgen: warning: ${relative(io.cwd, w.file).split(sep).join("/")}: ${w.message}\n`);
  const parts = [`${run.written.length} written`];
  if (run.deleted.length > 0) parts.push(`${run.deleted.length} deleted`);
  if (run.skeletons.length > 0) {
    parts.push(`implementations updated: ${run.skeletons.map((p) => relative(io.cwd, p).split(sep).join("/")).join(", ")}`);
  }
  io.out(`mqgen: ${parts.join(", ")} (${Math.round(run.ms)} ms)\n`);
}

export const generateCommand: Command = {
  name: "generate",
  summary: "generate code from schemas (the default command)",
  help: HELP,
  async run(argv, io) {
    const parsed = commandArgs(argv, FLAGS, io, HELP);
    if (parsed === undefined) return EXIT_OK;
    const { args, schemaDir } = parsed;
    const format = formatFlag(args);
    const outDir = resolve(io.cwd, stringFlag(args, "--out") ?? "generated");
    const implFlag = stringFlag(args, "--impl");
    const implDir = implFlag === undefined ? undefined : resolve(io.cwd, implFlag);
    if (!existsSync(schemaDir) || !statSync(schemaDir).isDirectory()) {
      throw new UsageError(`schema folder ${args.positionals[0] ?? "schemas"} does not exist`);
    }
    // Read for every run, so `mqgen lock` while watching takes effect.
    const baseline = (): ContractSnapshot | undefined => contractBaselineOf(args, io.cwd);
    const first = await runGenerateOnce(schemaDir, outDir, implDir, baseline());
    report(first, format, io);
    if (!args.flags.has("--watch")) return first.ok ? EXIT_OK : EXIT_FAILED;
    return watchSchemas(schemaDir, outDir, implDir, baseline, format, io);
  },
};

/** Regenerates on every change below `schemaDir`, debounced so an editor's save burst is one run. */
function watchSchemas(
  schemaDir: string,
  outDir: string,
  implDir: string | undefined,
  baseline: () => ContractSnapshot | undefined,
  format: OutputFormat,
  io: CliIO,
): Promise<number> {
  return new Promise((resolveExit) => {
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    let again = false;
    const regenerate = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        report(await runGenerateOnce(schemaDir, outDir, implDir, baseline()), format, io);
      } catch (error) {
        io.err(`mqgen: ${error instanceof Error ? error.message : String(error)}\n`);
      } finally {
        running = false;
        if (again) {
          again = false;
          void regenerate();
        }
      }
    };
    const watcher = watch(schemaDir, { recursive: true }, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void regenerate(), 50);
    });
    if (format === "text") io.out(`mqgen: watching ${schemaDir} (Ctrl-C to stop)\n`);
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      watcher.close();
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolveExit(EXIT_OK);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
