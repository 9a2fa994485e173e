import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { formatDiagnostic, generate } from "../../index.js";
import { compareStrings } from "../../model.js";
import { commandArgs, formatFlag, stringFlag, UsageError } from "../args.js";
import type { Command } from "../command.js";
import { EXIT_CODES_HELP, EXIT_FAILED, EXIT_OK } from "../command.js";
import { unifiedDiff } from "../diff.js";
import { readGenerated } from "../output.js";
import { contractBaselineOf, LOCK_FLAGS, LOCK_FLAGS_HELP } from "../contract-baseline.js";

const FLAGS = [
  { names: ["--out", "-o"], takesValue: true },
  { names: ["--format"], takesValue: true },
  { names: ["--help", "-h"], takesValue: false },
  ...LOCK_FLAGS,
];

const HELP = `Usage: mqgen check [schemas/] [-o generated/] [--format text|json] [--lock file | --no-lock]

Regenerates in memory and compares with the output folder without writing anything. Reports files that
changed (with a unified diff), are missing, or are stale (generated files no schema produces any more).
Use it in CI to make sure the committed generated code is up to date.

Options:
  -o, --out <dir>    output folder to compare with (default: generated/)
  --format <f>       text (default) or json: {"ok", "diagnostics", "changed", "missing", "stale", "diffs"}
${LOCK_FLAGS_HELP}
  -h, --help         this help

${EXIT_CODES_HELP}
`;

export const checkCommand: Command = {
  name: "check",
  summary: "verify that the generated code is up to date (exit 1 if not)",
  help: HELP,
  async run(argv, io) {
    const parsed = commandArgs(argv, FLAGS, io, HELP);
    if (parsed === undefined) return EXIT_OK;
    const { args, schemaDir } = parsed;
    const format = formatFlag(args);
    const outDir = resolve(io.cwd, stringFlag(args, "--out") ?? "generated");
    if (!existsSync(schemaDir) || !statSync(schemaDir).isDirectory()) {
      throw new UsageError(`schema folder ${args.positionals[0] ?? "schemas"} does not exist`);
    }
    const result = generate({ schemaDir, baseline: contractBaselineOf(args, io.cwd) });
    if (result.diagnostics.length > 0) {
      if (format === "json") {
        io.out(`${JSON.stringify({ ok: false, diagnostics: result.diagnostics, changed: [], missing: [], stale: [], diffs: {} })}\n`);
      } else {
        for (const d of result.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
        io.err(`${result.diagnostics.length} error${result.diagnostics.length === 1 ? "" : "s"}\n`);
      }
      return EXIT_FAILED;
    }
    const existing = readGenerated(outDir);
    const label = relative(io.cwd, outDir).split("\\").join("/") || ".";
    const changed: string[] = [];
    const missing: string[] = [];
    const diffs: Record<string, string> = {};
    for (const [path, content] of result.files) {
      const current = existing.get(path);
      if (current === undefined) {
        missing.push(path);
        diffs[path] = unifiedDiff("", content, "/dev/null", `b/${label}/${path}`);
      } else if (current !== content) {
        changed.push(path);
        diffs[path] = unifiedDiff(current, content, `a/${label}/${path}`, `b/${label}/${path}`);
      }
    }
    const stale = [...existing.keys()].filter((p) => !result.files.has(p)).sort(compareStrings);
    for (const path of stale) diffs[path] = unifiedDiff(existing.get(path) as string, "", `a/${label}/${path}`, "/dev/null");
    const ok = changed.length === 0 && missing.length === 0 && stale.length === 0;
    if (format === "json") {
      io.out(`${JSON.stringify({ ok, diagnostics: [], changed, missing, stale, diffs })}\n`);
    } else if (ok) {
      io.out(`mqgen check: ${result.files.size} files up to date\n`);
    } else {
      for (const path of changed) io.err(`changed: ${label}/${path}\n`);
      for (const path of missing) io.err(`missing: ${label}/${path}\n`);
      for (const path of stale) io.err(`stale: ${label}/${path}\n`);
      for (const path of Object.keys(diffs).sort(compareStrings)) io.err(diffs[path] as string);
      io.err(`mqgen check: generated code is out of date; run mqgen ${relative(io.cwd, schemaDir) || "."} -o ${label}\n`);
    }
    return ok ? EXIT_OK : EXIT_FAILED;
  },
};
